"""An embedded PostgreSQL server (the ``pgserver`` package) for runs without a server URL."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


class EmbeddedPostgres:
    """A PostgreSQL server whose data lives under ``data_dir``; stopped by :meth:`stop`."""

    def __init__(self, data_dir: Path, *, keep_running: bool = False) -> None:
        self.data_dir = data_dir.resolve()
        self._keep_running = keep_running
        self._server: Any = None

    def start(self) -> str:
        """Start (or attach to) the server and return its ``postgresql://`` URL."""
        import pgserver  # imported lazily: only runs without ORGQL_DATABASE_URL need it

        self.data_dir.mkdir(parents=True, exist_ok=True)
        logger.info("starting embedded PostgreSQL in %s", self.data_dir)
        # pgserver ships no type hints for its re-exports.
        self._server = pgserver.get_server(  # type: ignore[attr-defined]
            self.data_dir / "pgdata", cleanup_mode=None if self._keep_running else "stop"
        )
        uri: str = self._server.get_uri()
        return uri

    def stop(self) -> None:
        if self._server is not None and not self._keep_running:
            self._server.cleanup()
            self._server = None
