"""Pooled connections the server closed while they were idle (a restart, a failover, an
administrator's pg_terminate_backend) are replaced at checkout: the requests that come next
are answered, none 503 and none 500, whichever path reads (db.engine.make_engine).

The pool keeps every connection it opened, up to twice ORGQL_DB_POOL_SIZE and the two held
long (db.engine.PRIMARY_HELD_CONNECTIONS): without the replacement, each one would fail one
request in turn (the driver's own reads, db.raw, invalidate only their connection, not the
whole pool as SQLAlchemy does)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from orgql.app import create_app
from orgql.observability.metrics import PoolGauges
from orgql.settings import Settings

ORGANIZATION = "/ccadmin/v1/organizations/100001"
ONE = {"query": 'query One { organization(id: "100001") { id name } }'}
RENAME = {
    "query": 'mutation { updateOrganization(id: "100001", input: {name: "Renamed"})'
    " { organization { name } userErrors { code } } }"
}
WAIT_SECONDS = 10


def _settings(database_url: str) -> Settings:
    """A pool of four (and the two held long); a read waiting for the test's lock waits for as
    long as the test takes to see it wait and let go (a loaded machine can take more than the
    default ORGQL_DB_LOCK_TIMEOUT_SECONDS, 1 s: the read answered 503 STATEMENT_TIMEOUT)."""
    return Settings(
        database_url=database_url,
        db_pool_size=2,
        db_pool_timeout_seconds=5,
        db_lock_timeout_seconds=60,
        db_statement_timeout_seconds=60,
    )


async def test_connections_the_server_closed_are_replaced_at_checkout(
    database_url: str, engine: AsyncEngine, client_for: Callable[..., httpx.AsyncClient]
) -> None:
    settings = _settings(database_url)
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state, client_for(app, state) as gateway:
        pool_engine = state["engine"].sync_engine
        drivers: list[Any] = []

        def opened(dbapi_connection: Any, record: Any) -> None:
            drivers.append(dbapi_connection.driver_connection)

        event.listen(pool_engine, "connect", opened)
        burst = await asyncio.gather(*(gateway.get(ORGANIZATION) for _ in range(12)))
        assert [a.status_code for a in burst] == [200] * 12
        idle = pool_engine.pool.checkedin()
        assert idle >= 2  # kept open: past ORGQL_DB_POOL_SIZE's worth, some of them

        pids = [driver.get_server_pid() for driver in drivers]
        async with engine.connect() as admin:
            ended = await admin.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid))"
                    " FROM unnest(CAST(:pids AS int[])) AS pid"
                ),
                {"pids": pids},
            )
        assert ended == len(pids) > 0
        deadline = time.monotonic() + WAIT_SECONDS
        while not all(driver.is_closed() for driver in drivers):  # the driver saw them go
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)

        rest = [(await gateway.get(ORGANIZATION)).status_code for _ in range(idle + 1)]
        graphql = [(await gateway.post("/graphql", json=ONE)).status_code for _ in range(idle + 1)]
        renamed = await gateway.post("/graphql", json=RENAME)

    assert rest == [200] * (idle + 1)
    assert graphql == [200] * (idle + 1)
    assert renamed.status_code == 200
    assert renamed.json()["data"]["updateOrganization"]["organization"] == {"name": "Renamed"}


async def test_a_rest_read_whose_connection_the_server_ends_is_read_again(
    database_url: str, engine: AsyncEngine, client_for: Callable[..., httpx.AsyncClient]
) -> None:
    """A REST read whose connection the server ends mid-statement (a restart, a failover)
    is read again on another connection and answered 200, not 503 (core.organizations.
    snapshots: a read changes nothing)."""
    settings = _settings(database_url)
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state, client_for(app, state) as gateway:
        assert (await gateway.get(ORGANIZATION)).status_code == 200
        answer = await read_losing_its_connection(gateway, engine)

    assert answer.status_code == 200
    assert answer.json()["id"] == "100001"


async def test_the_pool_reports_open_connections_only(
    database_url: str, engine: AsyncEngine, client_for: Callable[..., httpx.AsyncClient]
) -> None:
    """orgql_db_pool_connections counts the connections open, checked out or idle: a
    connection the server ended mid-statement leaves the pool (its slot, kept for a new
    connection, is no idle connection), as PostgreSQL's own list of backends says. So do
    the gauges of ``orgql serve --workers N`` (metrics.PoolGauges), once refreshed."""
    settings = _settings(database_url)
    app = create_app(settings)
    workers = CollectorRegistry()
    async with app.router.lifespan_context(app) as state, client_for(app, state) as gateway:
        pool_gauges = PoolGauges(workers)
        pool_gauges.watch(state["engine"])
        pids: list[int] = []

        def opened(dbapi_connection: Any, record: Any) -> None:
            pids.append(dbapi_connection.driver_connection.get_server_pid())

        event.listen(state["engine"].sync_engine, "connect", opened)
        burst = await asyncio.gather(*(gateway.get(ORGANIZATION) for _ in range(6)))
        assert [a.status_code for a in burst] == [200] * 6
        answer = await read_losing_its_connection(gateway, engine)
        assert answer.status_code == 200
        scraped = (await gateway.get("/metrics")).text
        pool_gauges.refresh()
        gauges = {
            state: workers.get_sample_value("orgql_db_pool_connections", {"state": state})
            for state in ("checked_out", "idle")
        }
        async with engine.connect() as admin:
            alive = await admin.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(CAST(:p AS int[]))"),
                {"p": pids},
            )

    reported = {
        sample.labels["state"]: sample.value
        for family in text_string_to_metric_families(scraped)
        for sample in family.samples
        if sample.name == "orgql_db_pool_connections"
    }
    assert reported == {"checked_out": 0, "idle": alive}
    assert gauges == reported


async def read_losing_its_connection(
    gateway: httpx.AsyncClient, engine: AsyncEngine
) -> httpx.Response:
    """The answer of a REST read whose connection the server ended mid-statement: the read
    waits for a lock, its backend is ended, and the lock is released once the read waits
    for it again (on another connection)."""
    blocked = text(
        "SELECT pid FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))"
    )
    async with engine.connect() as holder:
        await holder.execute(text("LOCK TABLE organizations IN ACCESS EXCLUSIVE MODE"))
        read = asyncio.ensure_future(gateway.get(ORGANIZATION))

        async def waiting(besides: set[int]) -> set[int]:
            deadline = time.monotonic() + WAIT_SECONDS
            while True:
                assert not read.done(), read.result().text
                assert time.monotonic() < deadline
                await asyncio.sleep(0.01)
                # pg_stat_activity's backends are read once per transaction otherwise.
                await holder.execute(text("SELECT pg_stat_clear_snapshot()"))
                found = set((await holder.execute(blocked)).scalars()) - besides
                if found:
                    return found

        first = await waiting(set())
        await holder.execute(
            text("SELECT pg_terminate_backend(pid) FROM unnest(CAST(:p AS int[])) AS pid"),
            {"p": list(first)},
        )
        await waiting(first)  # the same read, on another connection
        await holder.rollback()
    return await read
