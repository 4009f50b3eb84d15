"""SIGHUP to a real ``orgql serve`` (``kill -HUP``, a process manager's reload signal, the
terminal closing) with a request in flight, with one worker and with ``--workers 2``: the
graceful stop of SIGTERM, not a reload nor the default sudden death. The request in flight
finishes, each worker closes its pool, the command exits 0 and the log says which signal
stopped it. (tests/test_serve_hangup.py: the embedded PostgreSQL stops too.)

The request in flight waits deterministically, as in tests/test_graceful_shutdown.py: the
test holds an ACCESS EXCLUSIVE lock on ``alembic_version``, which ``/readyz`` reads."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

DEADLINE_SECONDS = 60

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP here")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Serving:
    """A running ``orgql serve`` whose JSON log lines are written to a file the test reads."""

    def __init__(
        self, process: subprocess.Popen[bytes], port: int, log: Path, workers: int
    ) -> None:
        self.process, self.port, self.log, self.workers = process, port, log, workers

    def messages(self) -> list[str]:
        lines = self.log.read_text().splitlines()
        return [json.loads(line)["message"] for line in lines if line.startswith("{")]

    def count(self, message: str) -> int:
        return self.messages().count(message)


@pytest.fixture(params=[1, 2], ids=["one-worker", "two-workers"])
def serving(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Iterator[Serving]:
    port, log = free_port(), tmp_path / "serve.log"
    env = {
        **os.environ,
        "ORGQL_DATABASE_URL": database_url,
        "ORGQL_DATA_DIR": str(tmp_path),
        "ORGQL_LOG_FORMAT": "json",
        # The probe in flight waits on the test's lock: let it wait, and let it finish (its
        # statement too: the default 1 s lock timeout, twice with the probe's retry, is all
        # a loaded machine would have to stop the workers and the test to see it: a 503).
        "ORGQL_DB_CONNECT_TIMEOUT_SECONDS": str(DEADLINE_SECONDS),
        "ORGQL_DB_LOCK_TIMEOUT_SECONDS": str(DEADLINE_SECONDS),
        "ORGQL_DB_STATEMENT_TIMEOUT_SECONDS": str(DEADLINE_SECONDS),
        "ORGQL_SHUTDOWN_TIMEOUT_SECONDS": str(DEADLINE_SECONDS),
    }
    command = [sys.executable, "-m", "orgql", "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(request.param)]
    with log.open("w") as stderr:
        process = subprocess.Popen(  # noqa: S603 (our own command)
            command, env=env, stdout=subprocess.DEVNULL, stderr=stderr
        )
    try:
        yield Serving(process, port, log, request.param)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=DEADLINE_SECONDS)


async def wait_until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting until {what}")
        await asyncio.sleep(0.05)


async def test_sighup_stops_gracefully_finishing_the_request_in_flight(
    serving: Serving, engine: AsyncEngine
) -> None:
    workers = serving.workers
    process, base = serving.process, f"http://127.0.0.1:{serving.port}"

    async def all_serving() -> bool:
        assert process.poll() is None, serving.log.read_text()
        return serving.count("Application startup complete.") == workers

    await wait_until(all_serving, "every worker serves")

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
            in_flight: asyncio.Task[Any] = asyncio.create_task(client.get(f"{base}/readyz"))
            await wait_until(probe_waits, "the probe waits for the lock")

            process.send_signal(signal.SIGHUP)

            async def shutting_down() -> bool:
                return serving.count("Shutting down") == workers

            await wait_until(shutting_down, "every worker shuts down")
            assert process.poll() is None  # still finishing the request in flight
            await holder.rollback()  # release the lock
            response = await in_flight

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert await asyncio.to_thread(process.wait, DEADLINE_SECONDS) == 0
    messages = serving.messages()
    hangups = [message for message in messages if message.startswith("received SIGHUP")]
    assert hangups == [
        "received SIGHUP: stopping gracefully as on SIGTERM (requests in flight finish);"
        " orgql serve does not reload, start it again to apply new settings"
    ]
    assert not [message for message in messages if "SIGTERM, exiting" in message]
    assert not [message for message in messages if "restarting" in message]
    assert messages.count("database pool closed") == workers
    last_closed = max(i for i, message in enumerate(messages) if message == "database pool closed")
    assert messages.index("GET /readyz 200") < last_closed  # answered, then the pool closed
