"""SIGHUP to a real ``orgql serve`` (``kill -HUP``, a process manager's reload signal, the
terminal closing) with a request in flight, with one worker and with ``--workers 2``: the
graceful stop of SIGTERM, not a reload nor the default sudden death. The request in flight
finishes, each worker closes its pool, the command exits 0 and the log says which signal
stopped it. (tests/test_serve_hangup.py: the embedded PostgreSQL stops too.)

The request in flight waits deterministically, as in tests/test_graceful_shutdown.py: the
test holds an ACCESS EXCLUSIVE lock on ``alembic_version``, which ``/readyz`` reads."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from serve_process import (
    DEADLINE_SECONDS,
    free_port,
    logged_messages,
    readyz_held,
    start_serve,
    wait_until,
)

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP here")


class Serving:
    """A running ``orgql serve`` whose JSON log lines are written to a file the test reads."""

    def __init__(
        self, process: subprocess.Popen[bytes], port: int, log: Path, workers: int
    ) -> None:
        self.process, self.port, self.log, self.workers = process, port, log, workers

    def messages(self) -> list[str]:
        return logged_messages(self.log.read_text())

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
    with log.open("w") as stderr:
        process = start_serve(port, "--workers", str(request.param), env=env, stderr=stderr)
    try:
        yield Serving(process, port, log, request.param)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=DEADLINE_SECONDS)


async def test_sighup_stops_gracefully_finishing_the_request_in_flight(
    serving: Serving, engine: AsyncEngine
) -> None:
    workers = serving.workers
    process, base = serving.process, f"http://127.0.0.1:{serving.port}"

    async def all_serving() -> bool:
        assert process.poll() is None, serving.log.read_text()
        return serving.count("Application startup complete.") == workers

    await wait_until(all_serving, "every worker serves")

    async with readyz_held(engine, base) as probe:
        process.send_signal(signal.SIGHUP)

        async def shutting_down() -> bool:
            return serving.count("Shutting down") == workers

        await wait_until(shutting_down, "every worker shuts down")
        assert process.poll() is None  # still finishing the request in flight
        response = await probe.release()

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
