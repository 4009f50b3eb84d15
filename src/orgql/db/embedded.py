"""An embedded PostgreSQL server (the ``pgserver`` package) for runs without a server URL.

pgserver is the optional extra ``orgql[embedded]`` (about 34 MB of server binaries): a
deployment with ORGQL_DATABASE_URL does not need it."""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: How to get the embedded server, or do without it (shown when pgserver is missing).
MISSING = (
    "no database: ORGQL_DATABASE_URL is not set and the embedded PostgreSQL is not installed."
    " Either install it with `pip install 'orgql[embedded]'` (`python3 dev.py` does so in a"
    " clone), or point orgql at a PostgreSQL server with"
    " ORGQL_DATABASE_URL=postgresql://user:password@host:5432/database"
)


class EmbeddedPostgresMissing(RuntimeError):
    """pgserver, the ``embedded`` extra, is not installed."""

    def __init__(self) -> None:
        super().__init__(MISSING)


class EmbeddedPostgres:
    """A PostgreSQL server whose data lives under ``data_dir``; stopped by :meth:`stop`."""

    def __init__(self, data_dir: Path, *, keep_running: bool = False) -> None:
        self.data_dir = data_dir.resolve()
        self._keep_running = keep_running
        self._server: Any = None

    def start(self) -> str:
        """Start (or attach to) the server and return its ``postgresql://`` URL."""
        try:  # imported lazily: only runs without ORGQL_DATABASE_URL need it
            import pgserver
        except ImportError:
            raise EmbeddedPostgresMissing from None

        self.data_dir.mkdir(parents=True, exist_ok=True)
        pgdata = self.data_dir / "pgdata"
        _forget_dead_users(pgdata)
        logger.info("starting embedded PostgreSQL in %s", self.data_dir)
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); harmless.
            warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
            # pgserver ships no type hints for its re-exports.
            self._server = pgserver.get_server(  # type: ignore[attr-defined]
                pgdata, cleanup_mode=None if self._keep_running else "stop"
            )
        uri: str = self._server.get_uri()
        return uri

    def stop(self) -> None:
        if self._server is not None and not self._keep_running:
            self._server.cleanup()
            self._server = None


def _forget_dead_users(pgdata: Path) -> None:
    """Drop processes that no longer exist from pgserver's list of the server's users.

    pgserver stops the server when its last user exits; a user killed with SIGKILL never
    removes itself, and the server would then outlive every later run."""
    handles = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    if not isinstance(pids, list):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and _is_running(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
