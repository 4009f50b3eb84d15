"""Liveness and readiness probes, through the ASGI app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from orgql.app import create_app
from orgql.db.engine import make_engine
from orgql.db.migrate import upgrade
from orgql.observability.health import script_heads
from orgql.settings import Settings

ClientFor = Callable[[Any, Mapping[str, Any]], httpx.AsyncClient]


async def readyz_of(settings: Settings, client_for: ClientFor) -> httpx.Response:
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state, client_for(app, state or {}) as client:
        return await client.get("/readyz")


@pytest.fixture
async def empty_database_url(server: Any, template_database: str) -> AsyncIterator[str]:
    name = f"{template_database}_bare"
    await server.create_database(name)
    try:
        yield server.database_url(name)
    finally:
        await server.drop_database(name)


async def test_healthz_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_answers_ok_when_the_database_answers_at_the_latest_revision(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_answers_503_when_the_database_is_unreachable(client_for: ClientFor) -> None:
    # Port 1 on the loopback interface refuses connections at once.
    settings = Settings(database_url="postgresql://postgres@127.0.0.1:1/unreachable")

    response = await readyz_of(settings, client_for)

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "reason": "database unavailable: the database refused or dropped the connection",
    }


async def test_readyz_answers_503_within_the_connect_timeout_when_the_server_is_silent(
    client_for: ClientFor,
) -> None:
    # A server that accepts connections and never says a word: the probe must not hang.
    async def accept_and_stay_silent(reader: asyncio.StreamReader, _: Any) -> None:
        await reader.read()

    silent = await asyncio.start_server(accept_and_stay_silent, "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    settings = Settings(
        database_url=f"postgresql://postgres@127.0.0.1:{port}/silent",
        db_connect_timeout_seconds=0.2,
    )
    try:
        response = await asyncio.wait_for(readyz_of(settings, client_for), timeout=30)
    finally:
        silent.close()

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "reason": "database unavailable: the database did not answer in time",
    }


async def test_readyz_answers_503_within_its_own_bound_when_the_database_does_not_answer(
    database_url: str, engine: AsyncEngine, client_for: ClientFor
) -> None:
    """Connected, the probe's statement waits (here on a lock) past twice the connect
    timeout, the probe's own bound, well within the driver's command timeout."""
    settings = Settings(
        database_url=database_url,
        db_connect_timeout_seconds=0.5,
        db_command_timeout_seconds=60,
        db_statement_timeout_seconds=None,
        db_lock_timeout_seconds=None,
    )
    async with engine.connect() as holder:
        await holder.execute(text("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE"))
        response = await readyz_of(settings, client_for)
        await holder.rollback()

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "reason": "database unavailable: the database did not answer in time",
    }


async def test_readyz_answers_503_when_the_database_has_no_schema(
    empty_database_url: str, client_for: ClientFor
) -> None:
    response = await readyz_of(Settings(database_url=empty_database_url), client_for)

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "reason": "the database has no schema: run `orgql migrate`",
    }


async def test_readyz_answers_503_when_migrations_are_behind_the_head(
    empty_database_url: str, client_for: ClientFor
) -> None:
    engine = make_engine(empty_database_url, pool_size=1)
    try:
        await upgrade(engine, "0001")
    finally:
        await engine.dispose()

    response = await readyz_of(Settings(database_url=empty_database_url), client_for)

    assert response.status_code == 503
    heads = ", ".join(sorted(script_heads()))
    assert response.json() == {
        "status": "unavailable",
        "reason": f"database schema at revision 0001, expected {heads}: run `orgql migrate`",
    }
