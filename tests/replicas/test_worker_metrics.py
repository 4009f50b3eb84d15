"""``orgql serve --workers 2`` with a read replica: a scrape answered by either worker adds up
both workers' metrics (prometheus_client's multiprocess mode), and counts the statements
each database ran."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from replica_cluster import Cluster, free_port

from orgql.auth.tokens import Authenticator
from orgql.settings import Settings

DEADLINE_SECONDS = 120
QUERY = {"query": '{ organization(id: "100001") { name } }'}
#: Requests sent at once, each on a connection of its own (either worker may accept it).
BATCH = 8


def _sum(families: Iterator[object], sample_name: str, **labels: str) -> float:
    total = 0.0
    for family in families:
        for sample in getattr(family, "samples", []):
            if sample.name == sample_name and all(
                sample.labels.get(key) == value for key, value in labels.items()
            ):
                total += sample.value
    return total


def graphql_requests_by_worker(folder: Path, scratch: Path) -> dict[str, float]:
    """Each worker's own count of GraphQL requests, from its file in the metrics folder."""
    counts = {}
    for file in folder.glob("counter_*.db"):
        alone = scratch / file.stem
        alone.mkdir(exist_ok=True)
        shutil.copy(file, alone / file.name)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, str(alone))
        counts[file.stem] = _sum(
            iter(registry.collect()), "orgql_requests_total", transport="graphql"
        )
    return counts


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def serve_two_workers(cluster: Cluster, tmp_path: Path) -> Iterator[tuple[int, Path]]:
    port = free_port()
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    (metrics / "counter_1.db").write_bytes(b"left by an earlier run")  # emptied at start
    env = {
        **os.environ,
        "ORGQL_DATABASE_URL": cluster.primary_url,
        "ORGQL_DATABASE_REPLICA_URLS": cluster.replica_url,
        "ORGQL_DATA_DIR": str(tmp_path),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
    }
    with (tmp_path / "serve.log").open("w") as log:
        process = subprocess.Popen(  # noqa: S603 (our own command)
            [sys.executable, "-m", "orgql", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield port, metrics
        finally:
            process.terminate()
            try:
                process.wait(timeout=DEADLINE_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def test_metrics_of_two_workers_add_up(
    serve_two_workers: tuple[int, Path], tmp_path: Path
) -> None:
    port, folder = serve_two_workers
    base = f"http://127.0.0.1:{port}"
    token = Authenticator(Settings()).issue_admin("test-suite").access_token
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not _listening(port):
        assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
        await asyncio.sleep(0.1)

    async def one_request() -> None:
        # A connection per request: the kernel hands each to whichever worker accepts.
        async with httpx.AsyncClient(base_url=base, headers=headers) as client:
            answer = await client.post("/graphql", json=QUERY)
            assert answer.status_code == 200, answer.text

    sent = 0
    while True:  # until both workers have answered some (which one accepts is the kernel's)
        await asyncio.gather(*(one_request() for _ in range(BATCH)))
        sent += BATCH
        by_worker = graphql_requests_by_worker(folder, tmp_path)
        if sum(1 for count in by_worker.values() if count > 0) >= 2:
            break
        assert time.monotonic() < deadline, f"one worker answered all {sent} requests"

    async with httpx.AsyncClient(base_url=base) as client:
        scraped = (await client.get("/metrics")).text
    families = list(text_string_to_metric_families(scraped))

    assert _sum(iter(families), "orgql_requests_total", transport="graphql") == sent
    assert sum(by_worker.values()) == sent
    assert _sum(iter(families), "orgql_db_statements_total", database="replica") >= sent
    assert not (folder / "counter_1.db").exists()
