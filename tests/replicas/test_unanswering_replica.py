"""A replica that still accepts TCP but no longer answers (a frozen host, a network
partition that drops packets): reads presenting a token wait ``ORGQL_REPLICA_WAIT_SECONDS``
at most (docs/scaling.md), and the health check finds it down in bounded time, however long
a statement may run (ORGQL_DB_COMMAND_TIMEOUT_SECONDS)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
from replica_cluster import Cluster
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from test_read_replicas import NAME, RENAME, graphql

from orgql.app import create_app
from orgql.consistency import HEADER
from orgql.db.replicas import Databases
from orgql.settings import Settings


class FreezingProxy:
    """A TCP proxy to the replica that, once frozen, keeps every connection open and
    forwards nothing: the server behind it never answers."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.tasks: set[asyncio.Task[None]] = set()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await reader.read(65536):
                await self.flowing.wait()
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.port)
        for task in (
            asyncio.create_task(self._pipe(reader, upstream_writer)),
            asyncio.create_task(self._pipe(upstream_reader, writer)),
        ):
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[int]:
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        try:
            yield server.sockets[0].getsockname()[1]
        finally:
            self.flowing.set()
            server.close()
            for task in list(self.tasks):
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)


async def test_a_replica_that_never_answers_delays_a_token_read_by_the_wait_at_most(
    cluster: Cluster, replica: AsyncEngine, client_for: object, caught_up: None
) -> None:
    proxy = FreezingProxy(cluster.replica_port)
    async with proxy.running() as port:
        settings = Settings(
            database_url=cluster.primary_url,
            database_replica_urls=cluster.url(port),
            replica_check_interval_seconds=60,
            replica_wait_seconds=0.2,
            # A statement may run long; a replica's answer about its replay must not.
            db_command_timeout_seconds=120,
            db_connect_timeout_seconds=2,
            graphql_timeout_seconds=60,
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app) as state:
            databases: Databases = state["databases"]  # type: ignore[index]
            assert databases.replicas[0].healthy  # checked through the proxy at start
            client: httpx.AsyncClient
            async with client_for(app, state) as client:  # type: ignore[operator]
                async with replica.connect() as connection:
                    await connection.execute(text("SELECT pg_wal_replay_pause()"))
                written = await graphql(client, RENAME, name="Past a frozen replica")
                proxy.flowing.clear()  # the replica host freezes

                fresh = await asyncio.wait_for(
                    graphql(client, NAME, written.headers[HEADER]), timeout=50
                )
                assert fresh.status_code == 200, fresh.text
                assert fresh.json()["data"]["organization"]["name"] == "Past a frozen replica"

                # The health check gives up on it (well before a statement's timeout).
                await asyncio.wait_for(databases.check(), timeout=50)
                assert databases.replicas[0].healthy is False
                plain = await graphql(client, NAME)
                assert plain.json()["data"]["organization"]["name"] == "Past a frozen replica"
                proxy.flowing.set()
