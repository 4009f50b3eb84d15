"""SIGHUP (the terminal that ran ``orgql serve`` was closed) stops a real ``orgql serve``
like SIGTERM: the server shuts down gracefully and the embedded PostgreSQL stops with it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

DEADLINE_SECONDS = 120

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP here")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data directory whose embedded PostgreSQL is stopped after the test, if it is left."""
    yield tmp_path
    with contextlib.suppress(OSError, ValueError, IndexError):
        pid = int((tmp_path / "pgdata" / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGINT)  # a fast shutdown


def test_sighup_stops_serve_and_its_embedded_postgresql(data_dir: Path) -> None:
    pytest.importorskip("pgserver", reason="needs the embedded extra")
    tmp_path = data_dir
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "ORGQL_DATABASE_URL"}
    env.update(ORGQL_DATA_DIR=str(tmp_path), PYTHONPATH=os.pathsep.join(sys.path))
    process = subprocess.Popen(  # noqa: S603 (our own command)
        [sys.executable, "-m", "orgql", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while True:
            assert process.poll() is None, process.communicate()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "orgql serve did not answer"
            time.sleep(0.1)
        pid_file = tmp_path / "pgdata" / "postmaster.pid"
        postmaster = int(pid_file.read_text().split()[0])
        assert is_running(postmaster)

        process.send_signal(signal.SIGHUP)
        _, stderr = process.communicate(timeout=DEADLINE_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "database pool closed" in stderr  # the graceful path, not a sudden death
    assert not pid_file.exists(), "the embedded PostgreSQL was left running"
    # The postmaster removes its pid file, then exits: it must be gone soon (not a sleep).
    deadline = time.monotonic() + DEADLINE_SECONDS
    while is_running(postmaster):
        assert time.monotonic() < deadline, "the embedded PostgreSQL is still running"
        time.sleep(0.05)
