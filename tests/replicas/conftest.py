"""A primary and its streaming replica, started once for this folder's tests (they take a
few seconds), holding the migrated demo database; an app reading from the replica."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, MutableMapping
from typing import Any

import httpx
import pytest
from replica_cluster import Cluster, primary_position, running_cluster, wait_for_replay
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from starlette.applications import Starlette

from orgql.app import create_app
from orgql.core.reference.demo import seed_demo
from orgql.db.engine import make_engine, make_sessionmaker
from orgql.db.migrate import upgrade
from orgql.db.replicas import Databases
from orgql.settings import Settings


async def _prepare(cluster: Cluster) -> None:
    admin = create_async_engine(cluster.url(cluster.primary_port, "postgres"))
    try:
        async with admin.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("CREATE DATABASE orgql"))
    finally:
        await admin.dispose()
    engine = make_engine(cluster.primary_url, pool_size=1)
    try:
        await upgrade(engine)
        async with make_sessionmaker(engine)() as session, session.begin():
            await seed_demo(session)
    finally:
        await engine.dispose()


@pytest.fixture(scope="package")
def cluster() -> Iterator[Cluster]:
    with running_cluster() as started:
        asyncio.run(_prepare(started))
        yield started


@pytest.fixture(scope="module")
async def primary(cluster: Cluster) -> AsyncIterator[AsyncEngine]:
    """The test's own autocommit connection to the primary (checks and pauses)."""
    engine = create_async_engine(cluster.primary_url, isolation_level="AUTOCOMMIT", pool_size=1)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
async def replica(cluster: Cluster) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(cluster.replica_url, isolation_level="AUTOCOMMIT", pool_size=1)
    yield engine
    await engine.dispose()


@pytest.fixture
async def caught_up(primary: AsyncEngine, replica: AsyncEngine) -> None:
    """Each test starts with replay running and the replica caught up."""
    async with replica.connect() as connection:
        await connection.execute(text("SELECT pg_wal_replay_resume()"))
    await wait_for_replay(replica, await primary_position(primary))


@pytest.fixture
def replica_settings(cluster: Cluster) -> Settings:
    return Settings(
        database_url=cluster.primary_url,
        database_replica_urls=cluster.replica_url,
        # The tests check the replicas themselves (Databases.check) when they need to.
        replica_check_interval_seconds=60,
        replica_wait_seconds=0.2,
    )


@pytest.fixture
async def replica_app(
    replica_settings: Settings, caught_up: None
) -> AsyncIterator[tuple[Starlette, MutableMapping[str, Any]]]:
    app = create_app(replica_settings)
    async with app.router.lifespan_context(app) as state:
        yield app, dict(state or {})


@pytest.fixture
async def replica_client(
    replica_app: tuple[Starlette, MutableMapping[str, Any]], client_for: Any
) -> AsyncIterator[httpx.AsyncClient]:
    app, state = replica_app
    async with client_for(app, state) as client:
        yield client


@pytest.fixture
def databases(replica_app: tuple[Starlette, MutableMapping[str, Any]]) -> Databases:
    found: Databases = replica_app[1]["databases"]
    return found
