"""Read replicas under load: where the page scenario's statements run (not run by CI).

    apt-get install -y wrk
    .venv/bin/python bench/replicas.py [--workers 2] [--duration 10] [--connections 16]

Starts its own primary and a streaming replica on loopback (the suite's
tests/replicas/replica_cluster.py: initdb, pg_basebackup -R), loads run.py's database into the
primary (migrated, demo-seeded, dataset.py's 100,000 organizations), waits for the replica to
replay it, then serves ``orgql serve --workers N`` with ``ORGQL_DATABASE_REPLICA_URLS`` and
drives with wrk: the page scenario; then ``create`` (writes); then the page scenario again
with a consistency token from a write that the replica has replayed. For each it prints
requests/s and the statements each database ran, read from ``/metrics``
(``orgql_db_statements_total``, every worker added up) before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from run import ROOT, SCENARIOS, Scenario, free_port, prepare, run_wrk, start, stop, token_for
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(ROOT / "tests" / "replicas"))
from replica_cluster import Cluster, running_cluster, wait_for_replay

from orgql.db.replicas import parse_lsn


async def create_database(cluster: Cluster) -> None:
    admin = create_async_engine(
        cluster.url(cluster.primary_port, "postgres"), isolation_level="AUTOCOMMIT"
    )
    async with admin.connect() as connection:
        await connection.execute(text("CREATE DATABASE orgql"))
    await admin.dispose()


async def caught_up(cluster: Cluster) -> None:
    primary = create_async_engine(cluster.primary_url, isolation_level="AUTOCOMMIT")
    replica = create_async_engine(cluster.replica_url, isolation_level="AUTOCOMMIT")
    async with primary.connect() as connection:
        position = await connection.scalar(text("SELECT pg_current_wal_lsn()::text"))
    await wait_for_replay(replica, parse_lsn(str(position)))
    await primary.dispose()
    await replica.dispose()


def counts(base: str) -> dict[str, float]:
    """Statements by database and GraphQL requests, all workers, from /metrics."""
    found = {"primary": 0.0, "replica": 0.0, "requests": 0.0}
    for family in text_string_to_metric_families(httpx.get(f"{base}/metrics").text):
        for sample in family.samples:
            if sample.name == "orgql_db_statements_total":
                found[sample.labels["database"]] += sample.value
            elif sample.name == "orgql_requests_total" and sample.labels["transport"] == "graphql":
                found["requests"] += sample.value
    return found


def token_after_write(base: str, token: str | None) -> str:
    """The consistency token of one rename (the demo organization 100001)."""
    answer = httpx.post(
        f"{base}/graphql",
        headers={"Authorization": f"Bearer {token}"} if token else {},
        json={
            "query": 'mutation { updateOrganization(id: "100001", input: {description:'
            ' "bench"}) { organization { id } } }'
        },
    )
    return answer.headers["x-consistency-token"]


def main(args: argparse.Namespace) -> None:
    with running_cluster() as cluster, tempfile.TemporaryDirectory() as scratch:
        asyncio.run(create_database(cluster))
        asyncio.run(prepare(cluster.primary_url))
        asyncio.run(caught_up(cluster))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "ORGQL_DATABASE_URL": cluster.primary_url,
            "ORGQL_DATABASE_REPLICA_URLS": cluster.replica_url,
            "ORGQL_DATA_DIR": scratch,
            "ORGQL_LOG_LEVEL": "warning",
            "ORGQL_GRAPHIQL": "false",
            "PROMETHEUS_MULTIPROC_DIR": str(Path(scratch) / "metrics"),
        }
        command = [sys.executable, "-m", "orgql", "serve", "--port", str(port)]
        process = start(
            [*command, "--workers", str(args.workers)],
            env,
            f"{base}/healthz",
        )
        try:
            token = token_for(env)
            page = next(s for s in SCENARIOS if s.name == "page")
            create = next(s for s in SCENARIOS if s.name == "create")
            print(
                f"\n{args.workers} workers, one primary and one replica, {args.duration} s per"
                " scenario, wrk on loopback\n\n| scenario | req/s | requests | statements on"
                " the primary | on the replica | replica share |\n|---|---|---|---|---|---|"
            )
            runs: list[tuple[str, Scenario, str | None]] = [
                ("page", page, None),
                ("create", create, None),
            ]
            for label, scenario, consistency in runs:
                report(label, scenario, consistency, base, token, args)
            written = token_after_write(base, token)
            asyncio.run(caught_up(cluster))
            report("page, with a replayed token", page, written, base, token, args)
            print(
                "\nThe primary's statements during the page runs are the replica checks:"
                " each worker samples the primary's WAL position every"
                " ORGQL_REPLICA_CHECK_INTERVAL_SECONDS (1)."
            )
        finally:
            stop(process)


def report(
    label: str,
    scenario: Scenario,
    consistency: str | None,
    base: str,
    token: str | None,
    args: argparse.Namespace,
) -> None:
    before = counts(base)
    headers = {"x-consistency-token": consistency} if consistency else None
    result = run_wrk(f"{base}/graphql", scenario, args, token, extra_headers=headers)
    after = counts(base)
    primary = after["primary"] - before["primary"]
    replica = after["replica"] - before["replica"]
    requests = after["requests"] - before["requests"]
    share = replica / (primary + replica) if primary + replica else 0.0
    print(
        f"| {label} | {result['rps']:.0f} | {requests:.0f} | {primary:.0f} | {replica:.0f}"
        f" | {share:.1%} |"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=16)
    main(parser.parse_args())
