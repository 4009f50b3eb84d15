"""Each replica's health and lag as gauges on /metrics (docs/operations.md): what the last
check of it found, labelled with its host:port/database (never its user or password)."""

from __future__ import annotations

import asyncio

import httpx
from prometheus_client.parser import text_string_to_metric_families
from replica_cluster import Cluster
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from orgql.db.replicas import Databases

RENAME = (
    'mutation($name: String!) { updateOrganization(id: "100002", input: {name: $name})'
    " { organization { name } userErrors { code } } }"
)


async def gauges(client: httpx.AsyncClient, name: str) -> dict[str, float]:
    """The samples of gauge ``name`` by their ``replica`` label."""
    answer = await client.get("/metrics")
    assert answer.status_code == 200, answer.text
    return {
        sample.labels["replica"]: sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
        if sample.name == name
    }


async def test_a_replica_in_use_reports_healthy_and_its_lag(
    replica_client: httpx.AsyncClient, databases: Databases
) -> None:
    await databases.check()
    name = databases.replicas[0].name

    healthy = await gauges(replica_client, "orgql_replica_healthy")
    lag = await gauges(replica_client, "orgql_replica_lag_seconds")

    assert healthy == {name: 1.0}
    assert set(lag) == {name}
    assert 0 <= lag[name] <= databases.max_lag_seconds
    assert "@" not in name  # no credentials in a label


async def test_a_lagging_replica_reports_unhealthy_and_the_lag_that_skipped_it(
    replica_client: httpx.AsyncClient, replica: AsyncEngine, databases: Databases
) -> None:
    # Any lag at all is too much: a replica that has not replayed the primary's newest
    # position lags by the time since the newest one it has, which is more than none.
    databases.max_lag_seconds = 0.0
    async with replica.connect() as connection:
        await connection.execute(text("SELECT pg_wal_replay_pause()"))
    answer = await replica_client.post(
        "/graphql", json={"query": RENAME, "variables": {"name": "Behind on metrics"}}
    )
    assert answer.status_code == 200, answer.text
    await databases.check()  # samples the primary's position past the replica's
    name = databases.replicas[0].name

    healthy = await gauges(replica_client, "orgql_replica_healthy")
    lag = await gauges(replica_client, "orgql_replica_lag_seconds")

    assert healthy == {name: 0.0}
    assert lag[name] > databases.max_lag_seconds


async def test_a_stopped_replica_reports_unhealthy(
    cluster: Cluster, replica_client: httpx.AsyncClient, databases: Databases
) -> None:
    name = databases.replicas[0].name
    await asyncio.to_thread(cluster.stop_replica)
    try:
        await databases.check()
        assert await gauges(replica_client, "orgql_replica_healthy") == {name: 0.0}
    finally:
        await asyncio.to_thread(cluster.start_replica)
    await databases.check()
    assert await gauges(replica_client, "orgql_replica_healthy") == {name: 1.0}
