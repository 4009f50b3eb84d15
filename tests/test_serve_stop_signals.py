"""A SIGTERM or SIGHUP that ``orgql serve`` receives before uvicorn handles signals (while the
app loads) is not lost: once uvicorn's handlers are in, the server stops, gracefully, and the
command ends with status 0 (``cli_serve.stop_signals``). Each case runs in a process of its
own: real signals, raised in that window."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

DEADLINE_SECONDS = 120  # a safety net: without the fix the server serves on, until killed

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP here")

APP = """
async def app(scope, receive, send):
    assert scope["type"] == "lifespan"
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            print("startup", flush=True)
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            print("shutdown", flush=True)
            await send({"type": "lifespan.shutdown.complete"})
            return
"""

SERVE = """
import signal
import sys

import uvicorn

from orgql.cli_serve import run_server, run_workers, stop_signals

workers = int(sys.argv[2])
config = uvicorn.Config(
    "stop_app:app", host="127.0.0.1", port=0, workers=workers, lifespan="on", log_config=None
)
with stop_signals() as pending:
    signal.raise_signal(getattr(signal, sys.argv[1]))  # uvicorn's handlers not in yet
    if workers > 1:
        run_workers(config, pending)
    else:
        run_server(config, pending)
print("stopped", flush=True)
"""


def serve_after(signal_name: str, workers: int, tmp_path: Path) -> tuple[int, str, str]:
    """The status, output and log of a server that received ``signal_name`` first."""
    (tmp_path / "stop_app.py").write_text(APP)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    process = subprocess.Popen(  # noqa: S603 (our own code)
        [sys.executable, "-c", SERVE, signal_name, str(workers)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its workers too are ended below, should it serve on
    )
    try:
        stdout, stderr = process.communicate(timeout=DEADLINE_SECONDS)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    return process.returncode, stdout, stderr


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGHUP"])
def test_a_stop_before_uvicorn_handles_signals_stops_the_server_gracefully(
    signal_name: str, tmp_path: Path
) -> None:
    status, stdout, stderr = serve_after(signal_name, 1, tmp_path)

    assert status == 0, stderr
    # Started (its lifespan too), then stopped at once and shut down, as on a later signal.
    assert stdout.split() == ["startup", "shutdown", "stopped"]
    assert "Traceback" not in stderr


def test_a_stop_before_the_supervisor_handles_signals_stops_the_workers(tmp_path: Path) -> None:
    status, stdout, stderr = serve_after("SIGHUP", 2, tmp_path)

    assert status == 0, stderr
    assert stdout.split()[-1:] == ["stopped"]
    assert "received SIGHUP" in stderr
