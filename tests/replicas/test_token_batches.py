"""A batch of queries presenting a token no replica has replayed waits for it once, not once
per operation: ORGQL_REPLICA_WAIT_SECONDS bounds the request (docs/scaling.md)."""

from __future__ import annotations

import httpx
from replica_cluster import Cluster
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from test_read_replicas import NAME, RENAME, graphql

from orgql.app import create_app
from orgql.consistency import HEADER
from orgql.settings import Settings

OPERATIONS = 5


async def test_a_batch_waits_for_its_token_once(
    cluster: Cluster, replica: AsyncEngine, client_for: object, caught_up: None
) -> None:
    settings = Settings(
        database_url=cluster.primary_url,
        database_replica_urls=cluster.replica_url,
        replica_check_interval_seconds=60,
        replica_wait_seconds=4,
        # Once per operation would be 5 x 4 s: past the request's time.
        graphql_timeout_seconds=15,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state:
        client: httpx.AsyncClient
        async with client_for(app, state) as client:  # type: ignore[operator]
            async with replica.connect() as connection:
                await connection.execute(text("SELECT pg_wal_replay_pause()"))
            written = await graphql(client, RENAME, name="Seen by the whole batch")

            answer = await client.post(
                "/graphql",
                json=[{"query": NAME}] * OPERATIONS,
                headers={HEADER: written.headers[HEADER]},
            )

    assert answer.status_code == 200, answer.text
    names = [result["data"]["organization"]["name"] for result in answer.json()]
    assert names == ["Seen by the whole batch"] * OPERATIONS
