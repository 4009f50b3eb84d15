"""The connection pool gauges of ``orgql serve --workers N`` (metrics.PoolGauges): written by
each worker off the request path, every POOL_REFRESH_SECONDS and before it answers a scrape,
so a scrape it answers shows its pool as it is and another worker's shows it at most a period
old. The app's tests run prometheus_client's multiprocess mode in this process, as a worker
does: its values in files of a folder, read back by MultiProcessCollector."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest, values
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.values import MultiProcessValue
from sqlalchemy import text as sql
from sqlalchemy.ext.asyncio import AsyncEngine

from orgql.app import create_app
from orgql.db.engine import PRIMARY_HELD_CONNECTIONS
from orgql.observability import metrics
from orgql.observability.metrics import PoolGauges
from orgql.settings import Settings

ORGANIZATION = "/ccadmin/v1/organizations/100001"
WAIT_SECONDS = 10
Pool = dict[str, float]


@pytest.fixture
def multiprocess(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """prometheus_client's multiprocess mode in this process: the folder of its values."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    value_class = MultiProcessValue()  # type: ignore[no-untyped-call]
    monkeypatch.setattr(values, "ValueClass", value_class)
    yield folder
    value_class.close_all_files()


def scraped_pool(text: str) -> Pool:
    """orgql_db_pool_connections by state, of this process (the ``pid`` label) only."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "orgql_db_pool_connections":
                assert sample.labels["pid"] == str(os.getpid())
                found[sample.labels["state"]] = sample.value
    return found


async def scrape(gateway: httpx.AsyncClient) -> Pool:
    """The pool as a scrape this worker answers shows it."""
    answer = await gateway.get("/metrics")
    assert answer.status_code == 200
    return scraped_pool(answer.text)


async def another_workers_scrape(folder: Path) -> Pool:
    """The pool as a scrape another worker answers shows it: the files alone, read as they
    are (no refresh of this worker's)."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry, str(folder))  # type: ignore[no-untyped-call]
    return scraped_pool(generate_latest(registry).decode())


async def until(read: Callable[[], Awaitable[Pool]], expected: Pool) -> None:
    """Wait for ``read`` to give ``expected``, WAIT_SECONDS at most."""
    deadline = time.monotonic() + WAIT_SECONDS
    while (found := await read()) != expected:
        assert time.monotonic() < deadline, f"{found} != {expected}"
        await asyncio.sleep(0.01)


@asynccontextmanager
async def a_read_holding_a_connection(
    gateway: httpx.AsyncClient, engine: AsyncEngine
) -> AsyncIterator[asyncio.Future[httpx.Response]]:
    """A REST read waiting for a lock the test holds, its connection checked out meanwhile;
    the lock is released on leaving."""
    async with engine.connect() as holder:
        await holder.execute(sql("LOCK TABLE organizations IN ACCESS EXCLUSIVE MODE"))
        read = asyncio.ensure_future(gateway.get(ORGANIZATION))
        try:
            yield read
        finally:
            await holder.rollback()


def _settings(database_url: str) -> Settings:
    """The read waits for the test's lock as long as the test takes (not 1 s, the default)."""
    return Settings(
        database_url=database_url, db_lock_timeout_seconds=60, db_statement_timeout_seconds=60
    )


async def test_a_scrape_a_worker_answers_shows_its_pool_as_it_is(
    multiprocess: Path,
    database_url: str,
    engine: AsyncEngine,
    client_for: Callable[..., httpx.AsyncClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(metrics, "POOL_REFRESH_SECONDS", 3600.0)  # the scrape's refresh alone
    app = create_app(_settings(database_url))
    async with app.router.lifespan_context(app) as state, client_for(app, state) as gateway:
        assert (await gateway.get(ORGANIZATION)).status_code == 200
        quiet = await scrape(gateway)
        async with a_read_holding_a_connection(gateway, engine) as read:
            await until(lambda: scrape(gateway), {"checked_out": 1, "idle": 0})
        assert (await read).status_code == 200
        after = await scrape(gateway)

    assert quiet == {"checked_out": 0, "idle": 1}  # the connection of the first read
    assert after == quiet


async def test_another_workers_scrape_shows_the_pool_at_most_a_period_old(
    multiprocess: Path,
    database_url: str,
    engine: AsyncEngine,
    client_for: Callable[..., httpx.AsyncClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The periodic refresh follows the pool: a connection checked out while a request holds
    it, idle once the request is answered. When the worker stops, so does its refresh, and
    its pool gauges leave the folder (marked dead)."""
    monkeypatch.setattr(metrics, "POOL_REFRESH_SECONDS", 0.01)
    app = create_app(_settings(database_url))
    async with app.router.lifespan_context(app) as state, client_for(app, state) as gateway:
        assert (await gateway.get(ORGANIZATION)).status_code == 200
        quiet = {"checked_out": 0, "idle": 1}
        await until(lambda: another_workers_scrape(multiprocess), quiet)
        async with a_read_holding_a_connection(gateway, engine) as read:
            await until(lambda: another_workers_scrape(multiprocess), {"checked_out": 1, "idle": 0})
        assert (await read).status_code == 200
        await until(lambda: another_workers_scrape(multiprocess), quiet)

    assert [task for task in asyncio.all_tasks() if task.get_name() == "orgql-pool-gauges"] == []
    assert await another_workers_scrape(multiprocess) == {}


async def test_the_pool_gauges_hold_what_the_last_refresh_found(engine: AsyncEngine) -> None:
    """No checkout or checkin writes them (they were twice per request): a connection given
    back shows as idle from the next refresh on."""
    registry = CollectorRegistry()
    gauges = PoolGauges(registry)
    gauges.watch(engine)

    def reported() -> tuple[float | None, float | None]:
        return tuple(  # type: ignore[return-value]
            registry.get_sample_value("orgql_db_pool_connections", {"state": state})
            for state in ("checked_out", "idle")
        )

    async with engine.connect() as first, engine.connect() as second:
        await first.scalar(sql("SELECT 1"))
        await second.scalar(sql("SELECT 1"))
        assert reported() == (0, 0)
        gauges.refresh()
        assert reported() == (2, 0)
    assert reported() == (2, 0)
    gauges.refresh()
    assert reported() == (0, 2)
    assert registry.get_sample_value("orgql_db_pool_size") == 2 * 5 + PRIMARY_HELD_CONNECTIONS


async def test_a_refresh_that_fails_is_logged_once_and_raises_nothing(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A scrape still answers and the periodic refresh goes on; the next refresh that works
    writes the pool again."""
    registry = CollectorRegistry()
    gauges = PoolGauges(registry)
    gauges.watch(engine)
    caplog.set_level(logging.ERROR, logger="orgql.metrics")

    def broken(*args: object) -> tuple[int, int]:
        raise RuntimeError("pool unreadable")

    with monkeypatch.context() as patched:
        patched.setattr(metrics, "pool_connections", broken)
        async with engine.connect() as connection:
            await connection.scalar(sql("SELECT 1"))
            gauges.refresh()
            gauges.refresh()
    assert [record.getMessage() for record in caplog.records] == ["pool gauges not refreshed"]
    assert registry.get_sample_value("orgql_db_pool_connections", {"state": "idle"}) == 0
    gauges.refresh()
    assert registry.get_sample_value("orgql_db_pool_connections", {"state": "idle"}) == 1
