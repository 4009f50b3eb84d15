"""Reads on a real streaming replica, writes and their reads on the primary, read-your-writes
with the consistency token, and a replica that is down or behind skipped without an error
(docs/scaling.md). Which server ran a request's statements: its statement log."""

from __future__ import annotations

import asyncio
import re

import httpx
from replica_cluster import Cluster, wait_for_replay
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from orgql.consistency import EXTENSION, HEADER, HEADER_NAME
from orgql.db.replicas import Databases, parse_lsn

PAGE = "{ organizations(first: 5) { edges { node { id name } } } }"
NAME = '{ organization(id: "100002") { name } }'
RENAME = (
    'mutation($name: String!) { updateOrganization(id: "100002", input: {name: $name})'
    " { organization { name } userErrors { code } } }"
)
ORGANIZATION = "/ccadmin/v1/organizations/100002"


class Logs:
    """What each server logged from now on."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.offsets = {which: cluster.log_size(which) for which in ("primary", "replica")}

    def new(self, which: str) -> str:
        return self.cluster.log_since(which, self.offsets[which])


def reads_organizations(log: str) -> bool:
    return re.search(r"FROM organizations\b", log, re.IGNORECASE) is not None


async def graphql(
    client: httpx.AsyncClient, query: str, token: str | None = None, **variables: object
) -> httpx.Response:
    headers = {HEADER: token} if token is not None else {}
    return await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )


async def test_queries_and_rest_gets_read_from_the_replica(
    cluster: Cluster, replica_client: httpx.AsyncClient
) -> None:
    logs = Logs(cluster)

    page = await graphql(replica_client, PAGE)
    rest = await replica_client.get(ORGANIZATION)

    assert page.status_code == 200, page.text
    assert len(page.json()["data"]["organizations"]["edges"]) == 3  # the demo data
    assert rest.status_code == 200, rest.text
    assert rest.json()["name"] == "Sample East"
    assert reads_organizations(logs.new("replica"))
    assert not reads_organizations(logs.new("primary"))
    # A read answers no token: it wrote nothing.
    assert HEADER not in page.headers
    assert "extensions" not in page.json()


async def test_a_mutation_writes_and_reads_on_the_primary_and_answers_its_token(
    cluster: Cluster, replica_client: httpx.AsyncClient, primary: AsyncEngine
) -> None:
    logs = Logs(cluster)

    answer = await graphql(replica_client, RENAME, name="Renamed on the primary")

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["data"]["updateOrganization"] == {
        "organization": {"name": "Renamed on the primary"},
        "userErrors": [],
    }
    token = answer.headers[HEADER]
    assert body["extensions"] == {EXTENSION: token}
    async with primary.connect() as connection:
        now = await connection.scalar(text("SELECT pg_current_wal_lsn()::text"))
    assert 0 < parse_lsn(token) <= parse_lsn(str(now))
    assert not reads_organizations(logs.new("replica"))
    assert reads_organizations(logs.new("primary"))


async def test_a_read_with_the_token_sees_the_write_while_replay_is_paused(
    cluster: Cluster, replica_client: httpx.AsyncClient, replica: AsyncEngine
) -> None:
    before = (await graphql(replica_client, NAME)).json()["data"]["organization"]["name"]
    async with replica.connect() as connection:
        await connection.execute(text("SELECT pg_wal_replay_pause()"))
    written = await graphql(replica_client, RENAME, name="Seen at once")
    token = written.headers[HEADER]
    logs = Logs(cluster)

    stale = await graphql(replica_client, NAME)
    fresh = await graphql(replica_client, NAME, token)
    rest = await replica_client.get(ORGANIZATION, headers={HEADER: token})

    # Without the token: the paused replica's (old) state; with it: the write, from the
    # primary (the replica has not replayed it), on both transports.
    assert stale.json()["data"]["organization"]["name"] == before != "Seen at once"
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["data"]["organization"]["name"] == "Seen at once"
    assert rest.json()["name"] == "Seen at once"
    assert reads_organizations(logs.new("primary"))


async def test_a_read_with_the_token_uses_a_replica_that_replayed_it(
    cluster: Cluster, replica_client: httpx.AsyncClient, replica: AsyncEngine
) -> None:
    written = await graphql(replica_client, RENAME, name="Replayed")
    token = written.headers[HEADER]
    await wait_for_replay(replica, parse_lsn(token))
    logs = Logs(cluster)

    fresh = await graphql(replica_client, NAME, token)

    assert fresh.json()["data"]["organization"]["name"] == "Replayed"
    assert reads_organizations(logs.new("replica"))
    assert not reads_organizations(logs.new("primary"))


async def test_a_malformed_token_is_a_400_with_a_code_on_both_transports(
    replica_client: httpx.AsyncClient,
) -> None:
    for bad in ("", "yesterday", "0/", "1/2/3", "G/0", "123456789/0", "0/1 OR 1=1"):
        graphql_answer = await graphql(replica_client, NAME, bad)
        rest_answer = await replica_client.get(ORGANIZATION, headers={HEADER: bad})

        assert graphql_answer.status_code == 400, bad
        assert graphql_answer.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
        assert HEADER_NAME in graphql_answer.json()["errors"][0]["message"]
        assert rest_answer.status_code == 400, bad
        assert rest_answer.json()["errorCode"] == "100002"
        assert rest_answer.json()["o:errorPath"] == HEADER_NAME


async def test_a_replica_behind_the_allowed_lag_is_skipped(
    cluster: Cluster,
    replica_client: httpx.AsyncClient,
    replica: AsyncEngine,
    databases: Databases,
) -> None:
    # Any lag is too much: a replica that has not replayed the primary's newest position
    # lags by the time since the newest one it has, which is more than none.
    databases.max_lag_seconds = 0.0
    async with replica.connect() as connection:
        await connection.execute(text("SELECT pg_wal_replay_pause()"))
    await graphql(replica_client, RENAME, name="Lagging behind")
    await databases.check()
    logs = Logs(cluster)

    answer = await graphql(replica_client, NAME)

    assert databases.replicas[0].healthy is False
    assert answer.json()["data"]["organization"]["name"] == "Lagging behind"
    assert reads_organizations(logs.new("primary"))
    assert not reads_organizations(logs.new("replica"))


async def test_a_stopped_replica_falls_back_to_the_primary_without_an_error(
    cluster: Cluster, replica_client: httpx.AsyncClient, databases: Databases
) -> None:
    assert (await graphql(replica_client, NAME)).status_code == 200  # pooled on the replica
    await asyncio.to_thread(cluster.stop_replica)
    try:
        logs = Logs(cluster)
        page = await graphql(replica_client, PAGE)
        rest = await replica_client.get(ORGANIZATION)

        assert page.status_code == 200, page.text
        assert "errors" not in page.json()
        assert rest.status_code == 200, rest.text
        assert databases.replicas[0].healthy is False
        assert reads_organizations(logs.new("primary"))
    finally:
        await asyncio.to_thread(cluster.start_replica)
    # Back: the next check finds it, and reads return to it.
    await databases.check()
    logs = Logs(cluster)
    assert (await graphql(replica_client, NAME)).status_code == 200
    assert databases.replicas[0].healthy is True
    assert reads_organizations(logs.new("replica"))


async def test_a_replayed_answer_carries_a_token_that_sees_the_write(
    cluster: Cluster, replica_client: httpx.AsyncClient, replica: AsyncEngine
) -> None:
    """A retry with the same Idempotency-Key (the first answer was lost) is answered from
    the key's store: its token must still lead the caller's next read to the write."""
    async with replica.connect() as connection:
        await connection.execute(text("SELECT pg_wal_replay_pause()"))
    key = {"Idempotency-Key": "replayed-token-test"}
    body = {"name": "Kept by its key"}
    first = await replica_client.put(ORGANIZATION, json=body, headers=key)
    retry = await replica_client.put(ORGANIZATION, json=body, headers=key)

    assert first.status_code == retry.status_code == 200, retry.text
    assert retry.headers["idempotency-replayed"] == "true"
    token = retry.headers[HEADER]
    assert parse_lsn(token) >= parse_lsn(first.headers[HEADER])
    read = await replica_client.get(ORGANIZATION, headers={HEADER: token})
    assert read.json()["name"] == "Kept by its key"
