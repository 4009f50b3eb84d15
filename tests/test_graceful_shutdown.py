"""SIGTERM to a real ``orgql serve``: it stops accepting connections, lets the request in
flight finish, closes the pool and exits 0.

The request in flight is made to wait deterministically: the test holds an ACCESS EXCLUSIVE
lock on ``alembic_version``, which ``/readyz`` reads, and watches ``pg_locks`` until the
server's statement waits for it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
from collections.abc import Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from serve_process import (
    DEADLINE_SECONDS,
    answers_health,
    free_port,
    logged_messages,
    readyz_held,
    start_serve,
    wait_until,
)


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
    process = start_serve(port, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=DEADLINE_SECONDS)


async def test_sigterm_finishes_the_request_in_flight_then_closes_the_pool_and_exits(
    serve: tuple[subprocess.Popen[str], int], engine: AsyncEngine
) -> None:
    process, port = serve
    base = f"http://127.0.0.1:{port}"

    async def healthy() -> bool:
        assert process.poll() is None, process.communicate()
        return await asyncio.to_thread(answers_health, port)

    await wait_until(healthy, "the server answers")

    async with readyz_held(engine, base) as probe:
        process.send_signal(signal.SIGTERM)

        async def refuses() -> bool:
            return await asyncio.to_thread(refuses_connections, port)

        await wait_until(refuses, "new connections are refused")
        assert process.poll() is None  # still finishing the request in flight
        response = await probe.release()

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    _, stderr = await asyncio.to_thread(process.communicate, timeout=DEADLINE_SECONDS)
    assert process.returncode == 0
    messages = logged_messages(stderr)
    assert "GET /readyz 200" in messages
    assert "database pool closed" in messages
    assert messages.index("GET /readyz 200") < messages.index("database pool closed")
