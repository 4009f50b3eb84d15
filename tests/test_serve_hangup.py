"""SIGHUP (the terminal that ran ``orgql serve`` was closed) stops a real ``orgql serve``
like SIGTERM: the server shuts down gracefully and the embedded PostgreSQL stops with it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from serve_process import answers_health, free_port, start_serve, wait_for

DEADLINE_SECONDS = 120

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP here")


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
    process = start_serve(port, env=env, stderr=subprocess.PIPE, text=True)
    try:

        def answers() -> bool:
            assert process.poll() is None, process.communicate()
            return answers_health(port)

        wait_for(answers, "orgql serve answers", DEADLINE_SECONDS)
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
    wait_for(lambda: not is_running(postmaster), "the embedded PostgreSQL stops", DEADLINE_SECONDS)


def test_closing_the_terminal_stops_serve_with_workers_and_its_embedded_postgresql(
    data_dir: Path,
) -> None:
    """The terminal closing sends SIGHUP to the whole process group, workers included: the
    server stops like on SIGTERM (each worker finishes gracefully), rather than restarting its
    workers and outliving the terminal with the embedded PostgreSQL."""
    pytest.importorskip("pgserver", reason="needs the embedded extra")
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "ORGQL_DATABASE_URL"}
    env.update(ORGQL_DATA_DIR=str(data_dir), PYTHONPATH=os.pathsep.join(sys.path))
    log = data_dir / "serve.log"
    with log.open("w") as stderr_file:
        process = start_serve(
            port,
            "--workers",
            "2",
            env=env,
            stderr=stderr_file,
            start_new_session=True,  # its own process group, as a terminal's job is
        )
    try:

        def all_serving() -> bool:
            # Both workers serving (their lifespans started), not just the first one.
            assert process.poll() is None, log.read_text()
            return log.read_text().count("Application startup complete") >= 2

        wait_for(all_serving, "orgql serve starts its workers", DEADLINE_SECONDS)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        pid_file = data_dir / "pgdata" / "postmaster.pid"
        postmaster = int(pid_file.read_text().split()[0])

        os.killpg(process.pid, signal.SIGHUP)
        process.wait(timeout=DEADLINE_SECONDS)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    stderr = log.read_text()

    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "restarting processes" not in stderr
    assert stderr.count("database pool closed") == 2, stderr  # both workers, gracefully
    assert not pid_file.exists(), "the embedded PostgreSQL was left running"
    wait_for(lambda: not is_running(postmaster), "the embedded PostgreSQL stops", DEADLINE_SECONDS)
