"""A replica whose connection pool is busy (every connection checked out by reads) is busy,
not down: a read that finds no free connection in time goes to the primary, and the replica
stays in use; its health is checked on a connection of its own."""

from __future__ import annotations

import httpx
from replica_cluster import Cluster
from test_read_replicas import NAME, graphql

from orgql.app import create_app
from orgql.db.replicas import Databases
from orgql.settings import Settings


async def test_a_replica_with_a_busy_pool_is_not_marked_down(
    cluster: Cluster, client_for: object, caught_up: None
) -> None:
    settings = Settings(
        database_url=cluster.primary_url,
        database_replica_urls=cluster.replica_url,
        replica_check_interval_seconds=60,
        db_pool_size=1,  # a replica's pool: twice that, two connections
        db_pool_timeout_seconds=1,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state:
        databases: Databases = state["databases"]  # type: ignore[index]
        replica = databases.replicas[0]
        client: httpx.AsyncClient
        async with client_for(app, state) as client:  # type: ignore[operator]
            busy = [await replica.engine.connect() for _ in range(2)]  # reads in flight
            try:
                answer = await graphql(client, NAME)
                assert replica.healthy is True  # busy, not down

                await databases.check()
                assert replica.healthy is True  # the check has a connection of its own
            finally:
                for connection in busy:
                    await connection.close()

    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["organization"]["name"]
