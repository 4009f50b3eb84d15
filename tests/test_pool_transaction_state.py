"""A pooled connection whose transaction state its next user cannot trust is closed when
given back, not pooled (db.checkin): one poisoned connection failed every webhook dispatch
round and request it served, until a restart.

The incident: a GraphQL read with a lone surrogate in a string argument, which asyncpg
refuses to encode after sending the statement's Parse; the server kept that statement's
timeout running, and once it passed it cancelled the next statement on the connection, the
dispatcher's BEGIN; asyncpg still recorded the failed BEGIN's transaction, so every later
BEGIN on the connection was a SAVEPOINT the server refused (25P01). The waits below let the
server's statement timeout (1 s) pass; nothing is asserted of their length."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from orgql.db.engine import autocommit, make_engine, make_sessionmaker
from orgql.db.raw import read_once
from orgql.webhooks.dispatcher import Dispatcher, DispatchPolicy

SURROGATE = "\ud800"  # no UTF-8 encoding: asyncpg refuses it after the Parse is sent
ECHO = text("SELECT CAST(:value AS text)")
STATEMENT_TIMEOUT = 1.0
PAST_THE_TIMEOUT = STATEMENT_TIMEOUT + 0.5


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine whose statements the server cancels after 1 s; used one at a time, its
    pool serves everything on one connection."""
    engine = make_engine(database_url, pool_size=1, statement_timeout=STATEMENT_TIMEOUT)
    try:
        yield engine
    finally:
        await engine.dispose()


async def _dispatch_rounds(engine: AsyncEngine, rounds: int = 3) -> list[int]:
    async with httpx.AsyncClient() as client:
        dispatcher = Dispatcher(make_sessionmaker(engine), DispatchPolicy(), client)
        return [await dispatcher.dispatch_once() for _ in range(rounds)]


async def _transactions_work(engine: AsyncEngine) -> None:
    for _ in range(3):
        async with make_sessionmaker(engine)() as session, session.begin():
            assert await session.scalar(text("SELECT 1")) == 1


async def test_a_read_the_driver_refused_leaves_no_connection_to_fail_the_dispatcher(
    pool: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(DBAPIError, match="invalid input for query argument"):
        await read_once(pool, lambda reads: reads.all(ECHO, {"value": SURROGATE}))
    await asyncio.sleep(PAST_THE_TIMEOUT)

    assert await _dispatch_rounds(pool) == [0, 0, 0]
    await _transactions_work(pool)
    assert "closed a database connection instead of pooling it" in caplog.text


async def test_an_autocommit_read_the_driver_refused_leaves_no_connection_to_fail_the_next(
    pool: AsyncEngine,
) -> None:
    async with autocommit(pool).connect() as connection:
        with pytest.raises(DBAPIError, match="invalid input for query argument"):
            await connection.execute(ECHO, {"value": SURROGATE})
    await asyncio.sleep(PAST_THE_TIMEOUT)

    assert await _dispatch_rounds(pool) == [0, 0, 0]
    await _transactions_work(pool)


async def test_a_connection_whose_begin_failed_is_closed_not_pooled(
    pool: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    """The general rule, whatever failed the BEGIN: here the same late timeout, left by the
    driver used directly (neither the engine nor db.raw hears of its refusal)."""
    async with pool.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        with pytest.raises(asyncpg.DataError):
            await driver.fetch("SELECT CAST($1 AS text)", SURROGATE)
        await asyncio.sleep(PAST_THE_TIMEOUT)
        with pytest.raises(DBAPIError, match="statement timeout"):
            await connection.execute(text("SELECT 1"))  # its BEGIN cancelled

    with caplog.at_level(logging.WARNING, logger="orgql.db"):
        assert await _dispatch_rounds(pool) == [0, 0, 0]
        await _transactions_work(pool)
    assert "closed a database connection instead of pooling it" in caplog.text


async def test_a_connection_given_back_in_a_transaction_the_server_holds_is_closed(
    pool: AsyncEngine,
) -> None:
    async with pool.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        await driver.execute("BEGIN")  # one SQLAlchemy does not know of, nor rolls back

    await _transactions_work(pool)
