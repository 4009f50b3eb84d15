"""SIGTERM to a real ``orgql serve``: it stops accepting connections, lets the request in
flight finish, closes the pool and exits 0.

The request in flight is made to wait deterministically: the test holds an ACCESS EXCLUSIVE
lock on ``alembic_version``, which ``/readyz`` reads, and watches ``pg_locks`` until the
server's statement waits for it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

DEADLINE_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def refuses_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except OSError:
        return True


@pytest.fixture
def serve(
    database_url: str, tmp_path: os.PathLike[str]
) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    env = {
        **os.environ,
        "ORGQL_DATABASE_URL": database_url,
        "ORGQL_DATA_DIR": str(tmp_path),
        "ORGQL_LOG_FORMAT": "json",
        # The probe in flight waits on the test's lock: let it wait (its own bound is twice
        # the connect timeout; the lock and statement timeouts bound its statement, the
        # lock's 1 s by default, which a loaded machine's SIGTERM and the test's seeing the
        # listener closed could outlast: a 503).
        "ORGQL_DB_CONNECT_TIMEOUT_SECONDS": "60",
        "ORGQL_DB_LOCK_TIMEOUT_SECONDS": "60",
        "ORGQL_DB_STATEMENT_TIMEOUT_SECONDS": "60",
    }
    process = subprocess.Popen(  # noqa: S603 (our own command)
        [sys.executable, "-m", "orgql", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=DEADLINE_SECONDS)


async def wait_until(condition: object, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not await condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting until {what}")
        await asyncio.sleep(0.05)


async def test_sigterm_finishes_the_request_in_flight_then_closes_the_pool_and_exits(
    serve: tuple[subprocess.Popen[str], int], engine: AsyncEngine
) -> None:
    process, port = serve
    base = f"http://127.0.0.1:{port}"

    async def healthy() -> bool:
        assert process.poll() is None, process.communicate()
        try:
            async with httpx.AsyncClient() as probe:
                return (await probe.get(f"{base}/healthz")).status_code == 200
        except httpx.TransportError:
            return False

    await wait_until(healthy, "the server answers")

    async with engine.connect() as holder, engine.connect() as watcher:
        await holder.execute(text("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE"))

        async def probe_waits() -> bool:
            waiting = await watcher.scalar(
                text(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted"
                    " AND relation = 'alembic_version'::regclass"
                )
            )
            return bool(waiting)

        async with httpx.AsyncClient(timeout=DEADLINE_SECONDS) as client:
            in_flight = asyncio.create_task(client.get(f"{base}/readyz"))
            await wait_until(probe_waits, "the probe waits for the lock")

            process.send_signal(signal.SIGTERM)

            async def refuses() -> bool:
                return await asyncio.to_thread(refuses_connections, port)

            await wait_until(refuses, "new connections are refused")
            assert process.poll() is None  # still finishing the request in flight
            await holder.rollback()  # release the lock
            response = await in_flight

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    _, stderr = await asyncio.to_thread(process.communicate, timeout=DEADLINE_SECONDS)
    assert process.returncode == 0
    entries = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    messages = [entry["message"] for entry in entries]
    assert "GET /readyz 200" in messages
    assert "database pool closed" in messages
    assert messages.index("GET /readyz 200") < messages.index("database pool closed")
