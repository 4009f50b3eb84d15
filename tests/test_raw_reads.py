"""db.raw.RawReads.select: a ``Select`` run on a driver connection takes the caller's
parameters and its own values (literals, ``limit()``) of each statement object, also when
another statement of the same shape was compiled first; one with parameters SQLAlchemy
renders at execution (an expanding ``IN``) has them written into its SQL."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
import pytest
from sqlalchemy import Integer, Select, bindparam, event, func, literal, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from orgql.db.engine import make_engine
from orgql.db.raw import RawReads, read_once
from orgql.observability.database import unavailability


def _numbers(limit: int, tag: int) -> Select[Any]:
    """``tag`` with the numbers from ``:low`` to 10, at most ``limit`` of them."""
    series = func.generate_series(bindparam("low", type_=Integer), 10)
    return select(literal(tag).label("tag"), series.label("n")).limit(limit)


async def test_each_statement_runs_with_its_own_values_and_the_callers(
    engine: AsyncEngine,
) -> None:
    statements: list[str] = []

    def told(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", told)
    try:

        async def three_reads(reads: RawReads) -> list[list[Any]]:
            return [
                await reads.select(_numbers(2, tag=1), {"low": 3}),
                await reads.select(_numbers(3, tag=2), {"low": 5}),
                await reads.select(_numbers(2, tag=1), {"low": 8}),
            ]

        two, three, again = await read_once(engine, three_reads)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", told)
    assert [tuple(row) for row in two] == [(1, 3), (1, 4)]
    assert [tuple(row) for row in three] == [(2, 5), (2, 6), (2, 7)]
    assert [tuple(row) for row in again] == [(1, 8), (1, 9)]
    assert len(statements) == 3  # the engine's listeners hear every statement


async def test_an_expanding_in_is_written_into_the_statement(engine: AsyncEngine) -> None:
    number = func.generate_series(1, 10).column_valued("n")
    statement = select(number).where(number.in_([2, 4, 11])).order_by(number)
    rows = await read_once(engine, lambda reads: reads.select(statement))
    assert [row[0] for row in rows] == [2, 4]


async def test_read_once_cancelled_mid_statement_closes_its_connection(
    engine: AsyncEngine, database_url: str
) -> None:
    """A read_once cancelled while its statement waits (a client gone, the request's
    timeout) stops the statement and closes its connection rather than giving it back to
    the pool mid-statement; the pool's next read is answered."""
    blocked = text(
        "SELECT pid FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))"
    )
    statement = select(func.count()).select_from(text("organizations"))
    pool = engine.sync_engine.pool
    holder_engine = make_engine(database_url, pool_size=1)
    try:
        async with holder_engine.connect() as holder:
            await holder.execute(text("LOCK TABLE organizations IN ACCESS EXCLUSIVE MODE"))
            read = asyncio.ensure_future(read_once(engine, lambda reads: reads.select(statement)))
            waiting: list[int] = []
            while not waiting:  # until the read waits for the lock (no timing assumed)
                assert not read.done()
                await asyncio.sleep(0.01)
                # pg_stat_activity's list of backends is read once per transaction: the
                # read's connection may be newer than the first poll (a loaded machine).
                await holder.execute(text("SELECT pg_stat_clear_snapshot()"))
                waiting = list((await holder.execute(blocked)).scalars())
            read.cancel()
            with pytest.raises(asyncio.CancelledError):
                await read
            still_waiting = (await holder.execute(blocked)).scalars().all()
            await holder.rollback()
            gone = await holder.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                {"pid": waiting[0]},
            )
    finally:
        await holder_engine.dispose()
    assert still_waiting == []
    assert gone == 0
    assert pool.checkedout() == 0
    (row,) = await read_once(engine, lambda reads: reads.select(statement))
    assert row[0] > 0


async def test_a_failure_on_a_connection_the_server_closed_is_a_lost_connection(
    engine: AsyncEngine,
) -> None:
    """Whatever the driver raises once the server closed the connection under a statement,
    the read's error says the connection was lost (the request answers 503, not 500) and
    the connection is not given back. asyncpg sometimes raises InternalClientError ("cannot
    switch to state 11; another operation (2) is in progress") when the server's FATAL
    message came in just before the statement; here it is raised on a connection the
    server did close, as the driver would."""

    async def ended(reads: RawReads) -> Exception:
        async with engine.connect() as admin:
            await admin.execute(
                text("SELECT pg_terminate_backend(:pid)"), {"pid": reads.driver.get_server_pid()}
            )
        deadline = time.monotonic() + 10
        while not reads.driver.is_closed():  # the driver saw it go
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        error = asyncpg.exceptions.InternalClientError(
            "cannot switch to state 11; another operation (2) is in progress"
        )
        return reads._translated(error, "SELECT 1", ())

    translated = await read_once(engine, ended)
    assert unavailability(translated) == "the connection to the database was lost"
    assert engine.sync_engine.pool.checkedout() == 0
    assert await read_once(engine, lambda reads: reads.scalar(text("SELECT 1"))) == 1
