"""What the tests of a real ``orgql serve`` share (test_graceful_shutdown, test_hangup_in_flight,
test_serve_hangup): a free port, the command started as a subprocess, waits with a deadline
(a guard against a hang, not a timing assertion), its JSON log's messages, and a ``/readyz``
held in flight by the test's lock on ``alembic_version``, which ``/readyz`` reads. Imported as
a module: ``tests/`` is on ``sys.path`` because ``tests/conftest.py`` lives there."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

#: How long a test waits at most for the server to start, stop or answer.
DEADLINE_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_serve(
    port: int, *options: str, env: Mapping[str, str], **popen: Any
) -> subprocess.Popen[Any]:
    """``orgql serve`` on 127.0.0.1:``port`` with ``options``; its streams as ``popen`` says
    (stdout is not read unless it says so)."""
    command = [sys.executable, "-m", "orgql", "serve", "--host", "127.0.0.1", "--port", str(port)]
    return subprocess.Popen(  # noqa: S603 (our own command)
        [*command, *options], env=env, **{"stdout": subprocess.DEVNULL, **popen}
    )


def answers_health(port: int) -> bool:
    """Whether the server on ``port`` answers ``/healthz`` 200 (not yet listening: False)."""
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
    except httpx.TransportError:
        return False


def logged_messages(log: str) -> list[str]:
    """The messages of the JSON lines of a log (``ORGQL_LOG_FORMAT=json``)."""
    return [json.loads(line)["message"] for line in log.splitlines() if line.startswith("{")]


def wait_for(condition: Callable[[], bool], what: str, seconds: float = DEADLINE_SECONDS) -> None:
    """Return once ``condition()`` holds, asked again every 50 ms for ``seconds`` at most."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting until {what}"
        time.sleep(0.05)


async def wait_until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    """``wait_for`` on the event loop, for a condition that awaits."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting until {what}")
        await asyncio.sleep(0.05)


class HeldProbe:
    """A ``GET /readyz`` in flight, waiting for the lock the test holds."""

    def __init__(self, holder: AsyncConnection, answer: asyncio.Task[httpx.Response]) -> None:
        self._holder, self._answer = holder, answer

    async def release(self) -> httpx.Response:
        """Release the lock; the probe's answer."""
        await self._holder.rollback()
        return await self._answer


@asynccontextmanager
async def readyz_held(engine: AsyncEngine, base: str) -> AsyncIterator[HeldProbe]:
    """A ``GET {base}/readyz`` sent while the test holds an ACCESS EXCLUSIVE lock on
    ``alembic_version``, once the server's statement waits for it (``pg_locks``)."""
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
            yield HeldProbe(holder, in_flight)
