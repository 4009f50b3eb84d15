"""A write that committed is answered as done even when the primary cannot tell its WAL
position at once (its pool is busy, the primary is gone a moment): the consistency token is
read after the commit, and its failure must not turn a committed write into an error (a
retry would make it twice)."""

from __future__ import annotations

import asyncio
import time

import httpx
import sqlalchemy.exc
from replica_cluster import Cluster
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from orgql.app import create_app
from orgql.consistency import HEADER
from orgql.settings import Settings

ORGANIZATION = "/ccadmin/v1/organizations/100002"
DEADLINE_SECONDS = 60


async def _until(condition: object, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not await condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.02)


async def _connection_once_free(engine: AsyncEngine) -> AsyncConnection:
    """A connection of ``engine``'s pool, waited for however long the write takes to commit
    on a loaded machine: each wait is the pool's timeout (the token read's must stay short),
    and a timed-out wait is queued again with no pause in which another could take one."""
    while True:
        try:
            return await engine.connect().__aenter__()
        except sqlalchemy.exc.TimeoutError:
            continue


async def test_a_committed_write_whose_token_cannot_be_read_is_still_answered_as_done(
    cluster: Cluster, client_for: object, caught_up: None
) -> None:
    settings = Settings(
        database_url=cluster.primary_url,
        database_replica_urls=cluster.replica_url,
        replica_check_interval_seconds=60,
        db_pool_size=1,  # the primary's pool: twice that, and the two held long (none here)
        db_pool_timeout_seconds=1,
        db_lock_timeout_seconds=DEADLINE_SECONDS,
    )
    app = create_app(settings)
    locker = create_async_engine(cluster.primary_url, isolation_level="AUTOCOMMIT")
    try:
        async with app.router.lifespan_context(app) as state:
            primary: AsyncEngine = state["engine"]  # type: ignore[index]
            client: httpx.AsyncClient
            async with client_for(app, state) as client, locker.connect() as lock:  # type: ignore[operator]
                # The write waits on a row lock, holding one of the pool's connections ...
                await lock.execute(text("BEGIN"))
                await lock.execute(
                    text("SELECT 1 FROM organizations WHERE id = '100002' FOR UPDATE")
                )
                # ... and something else holds the others.
                pool = primary.sync_engine.pool
                held = [await primary.connect() for _ in range(pool.size() - 1)]
                put = asyncio.create_task(
                    client.put(ORGANIZATION, json={"name": "Committed all the same"})
                )

                async def waiting_on_the_lock() -> bool:
                    if put.done():
                        raise AssertionError(put.result().text)
                    # Another connection: one in a transaction sees the statistics of its start.
                    async with locker.connect() as watch:
                        found = await watch.scalar(
                            text(
                                "SELECT count(*) FROM pg_stat_activity"
                                " WHERE wait_event_type = 'Lock' AND datname = 'orgql'"
                            )
                        )
                    return bool(found)

                await _until(waiting_on_the_lock, "the write never waited on the lock")
                # ... and waits for a connection: it gets the write's, once committed.
                second = asyncio.create_task(_connection_once_free(primary))
                for _ in range(10):
                    await asyncio.sleep(0)
                await lock.execute(text("COMMIT"))
                answer = await put
                taken = await second
                await taken.close()
                for connection in held:
                    await connection.close()

        async with locker.connect() as check:
            name = await check.scalar(text("SELECT name FROM organizations WHERE id = '100002'"))
        assert name == "Committed all the same"  # committed: answered as done, not "retry"
        assert answer.status_code == 200, answer.text
        assert answer.json()["name"] == "Committed all the same"
        assert HEADER not in answer.headers  # no token could be read: none is answered
    finally:
        await locker.dispose()
