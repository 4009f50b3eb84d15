"""``orgql serve``: refuse an unsafe profile, migrate (and seed an embedded database), then
run uvicorn with our protocols, logs and graceful shutdown."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from orgql.cli import CommandError, database_url, describe, open_engine, seed
from orgql.db.migrate import upgrade
from orgql.graphiql import ASSET_DIR
from orgql.observability.logs import logging_config
from orgql.settings import Settings

if TYPE_CHECKING:
    import socket

    import uvicorn

logger = logging.getLogger("orgql.serve")

#: Lifetime of the admin token `orgql serve` prints in development.
DEV_TOKEN_TTL = 8 * 3600


def _note_hangup() -> None:
    """The log line of a SIGHUP: which signal stopped the server, and that it is no reload."""
    logger.warning(
        "received SIGHUP: stopping gracefully as on SIGTERM (requests in flight finish);"
        " orgql serve does not reload, start it again to apply new settings"
    )


def _terminate(signum: int, frame: FrameType | None) -> None:
    """SIGHUP (the terminal closed, ``kill -HUP``, a process manager's reload) while serving:
    the graceful stop of SIGTERM, which uvicorn handles (it knows nothing of SIGHUP, whose
    default would end the process on the spot, requests in flight and all, and leave an
    embedded PostgreSQL running)."""
    _note_hangup()
    signal.raise_signal(signal.SIGTERM)


@contextlib.contextmanager
def stop_signals() -> Iterator[list[int]]:
    """SIGTERM and SIGHUP while ``orgql serve`` runs uvicorn, which handles them (a graceful
    stop) only once it has installed its handlers, after loading the app. Until then a SIGTERM,
    and a SIGHUP (:func:`_terminate` raises SIGTERM), is kept in the list yielded, which
    :func:`run_server` and :func:`run_workers` give uvicorn as soon as its handlers are in: a
    stop asked for while the app loads is not lost. After the shutdown uvicorn restores these
    handlers and re-raises the SIGTERM it stopped for: kept too, so the command ends with 0."""
    pending: list[int] = []

    def keep(signum: int, frame: FrameType | None) -> None:
        pending.append(signum)

    previous = signal.signal(signal.SIGTERM, keep)
    hangup = signal.signal(signal.SIGHUP, _terminate) if hasattr(signal, "SIGHUP") else None
    try:
        yield pending
    finally:
        signal.signal(signal.SIGTERM, previous)
        if hangup is not None:
            signal.signal(signal.SIGHUP, hangup)


def run_server(config: uvicorn.Config, pending: list[int]) -> None:
    """``uvicorn.run`` with one worker, but the stop signals ``pending`` (:func:`stop_signals`)
    are handled as soon as uvicorn's handlers are in: the server starts (its lifespan too),
    and stops at once, gracefully."""
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE

    class StopPending(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            with super().capture_signals():
                for signum in pending:
                    self.handle_exit(signum, None)
                pending.clear()
                yield

    server = StopPending(config)
    with contextlib.suppress(KeyboardInterrupt):  # as uvicorn.run
        server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def run_workers(config: uvicorn.Config, pending: list[int]) -> None:
    """``uvicorn.run`` with ``--workers N``, but SIGHUP stops the server like SIGTERM rather
    than restarting its workers: the terminal closing sends SIGHUP to the whole process group,
    and uvicorn's restart left the server (and the embedded PostgreSQL) running with no
    terminal. The workers ignore SIGHUP themselves (``orgql.app.app_from_env``): the
    supervisor stops them gracefully with SIGTERM. The stop signals ``pending``
    (:func:`stop_signals`) are the supervisor's first."""
    from uvicorn.supervisors import Multiprocess

    class StopOnHangup(Multiprocess):
        def __init__(self, config: uvicorn.Config, sockets: list[socket.socket]) -> None:
            super().__init__(config, sockets)  # its handlers in
            self.signal_queue.extend(pending)
            pending.clear()

        def handle_hup(self) -> None:
            _note_hangup()
            self.should_exit.set()  # as handle_term, whose log line would say SIGTERM

    bound = config.bind_socket()
    try:
        StopOnHangup(config, sockets=[bound]).run()
    finally:
        bound.close()


def check_serving(settings: Settings, host: str) -> None:
    """Refuse to serve what would be unsafe, before anything starts: the development profile
    (admin tokens handed out, introspection) on a host other machines reach, and production
    without a usable signing key."""
    from orgql.auth.signing import SigningKeyError, signing_key
    from orgql.loopback import is_loopback

    if settings.environment == "development" and not is_loopback(host):
        raise CommandError(
            f"the development profile listens on loopback only (127.0.0.1, ::1, localhost),"
            f" not {host!r}: it hands out admin tokens. To serve other machines set"
            " ORGQL_ENVIRONMENT=production with a signing key (docs/security.md)"
        )
    try:
        signing_key(settings)
    except SigningKeyError as err:
        raise CommandError(str(err)) from None


def check_trusted_documents(settings: Settings) -> None:
    """A trusted-documents manifest the app would refuse (graphql.persisted: unreadable, an
    id listed twice with different texts, a document no request could run) stops the start
    before anything starts, as the other settings refused here: one paragraph naming the
    setting, the file, each document's id and the limit's setting; no traceback. Found
    first when the app is built, it came after the migration, from uvicorn (every worker)."""
    if settings.graphql_trusted_documents is None:
        return
    from orgql.graphql.persisted import ManifestError, PersistedDocuments
    from orgql.graphql.schema import app_schema

    try:
        PersistedDocuments.of(settings, app_schema(settings)._schema)
    except ManifestError as refused:
        raise CommandError(f"ORGQL_GRAPHQL_TRUSTED_DOCUMENTS: {refused}") from None


def warn_without_graphiql_assets(directory: Path = ASSET_DIR) -> None:
    """GraphiQL's scripts and styles are not installed (a source tree where they were never
    fetched, a wheel built without them): the page then needs the unpkg.com CDN."""
    from orgql.graphiql.build import missing

    absent = missing(directory)
    if absent:
        print(
            f"orgql: warning: GraphiQL's scripts and styles are not installed ({directory} lacks"
            f" the pinned {', '.join(absent)}): the page will load them from unpkg.com and stay on"
            ' "Loading GraphiQL…" without internet access. Fetch them with'
            " `python -m orgql.graphiql.build`, or install a wheel built with them.",
            file=sys.stderr,
        )


def note_an_older_data_directory(settings: Settings) -> None:
    """Before one data directory per user, the embedded database lived in ./.orgql: say where
    the data now is, so nobody thinks theirs was lost."""
    older = Path(".orgql")
    embedded = settings.database_url is None
    if embedded and (older / "pgdata").is_dir() and older.resolve() != settings.data_dir.resolve():
        print(
            f"orgql: note: {older.resolve()} holds the data of an earlier orgql; the data"
            f" directory is now {settings.data_dir} (ORGQL_DATA_DIR=.orgql uses the old one)",
            file=sys.stderr,
        )


@contextlib.contextmanager
def worker_metrics(workers: int) -> Iterator[None]:
    """Several workers add their metrics up (prometheus_client's multiprocess mode): each
    writes its values under PROMETHEUS_MULTIPROC_DIR, emptied here first (values of an
    earlier run would count again). Unset, a temporary folder, removed at the end. Set
    before the workers start: prometheus_client reads it once, when imported. Set by the
    operator, it is used (and emptied) with one worker too: the app then sums its files."""
    configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if workers <= 1 and not configured:
        yield
        return
    folder = Path(configured) if configured else Path(tempfile.mkdtemp(prefix="orgql-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    try:
        yield
    finally:
        if not configured:
            shutil.rmtree(folder, ignore_errors=True)
            del os.environ["PROMETHEUS_MULTIPROC_DIR"]


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from orgql.slow_clients import PROTOCOLS

    host: str = args.host or settings.host
    port: int = args.port or settings.port
    check_serving(settings, host)
    check_trusted_documents(settings)
    note_an_older_data_directory(settings)
    embedded = settings.database_url is None

    async def prepare(url: str) -> bool | None:
        async with open_engine(url) as engine:
            await upgrade(engine)
            # An embedded database exists for trying things out: give it the demo data.
            return await seed(engine) if (args.seed_demo or embedded) else None

    with database_url(settings) as url, worker_metrics(args.workers):
        seeded = asyncio.run(prepare(url))
        # Workers are separate processes that build their settings from the environment.
        os.environ["ORGQL_DATABASE_URL"] = url
        database = describe(settings, url)
        if seeded is not None:
            database += " (demo data loaded)" if seeded else " (demo data kept)"
        from orgql.graphql.limits import Limits  # strawberry: only for the commands that serve

        # GraphiQL only where it is served (never in production, docs/security.md).
        graphiql = Limits.from_settings(settings).graphiql
        what = "GraphiQL" if graphiql else "GraphQL"
        print(f"orgql: {what} at http://{host}:{port}/graphql, database: {database}")
        if graphiql:
            warn_without_graphiql_assets()
        if settings.environment == "development":
            # The first look needs no login: a ready admin token, for development only.
            from orgql.auth.tokens import Authenticator

            token = Authenticator(settings).issue_admin("operator", ttl=DEV_TOKEN_TTL)
            print(f"orgql: admin token (valid 8 hours): {token.access_token}")
        sys.stdout.flush()
        options = {
            "factory": True,
            "host": host,
            "port": port,
            "workers": args.workers,
            "log_level": settings.log_level,
            # JSON lines (docs/operations.md, "Logs"); our access line replaces uvicorn's.
            "log_config": logging_config(settings.log_format, settings.log_level),
            "access_log": False,
            # SIGTERM: stop accepting, let in-flight requests finish (this long at most),
            # then the lifespan closes the pool.
            "timeout_graceful_shutdown": math.ceil(settings.shutdown_timeout_seconds),
            # Slow clients bounded: headers, their size, bodies, unread answers (docs/security.md).
            "http": PROTOCOLS["httptools"],
            # Subscriptions (graphql-transport-ws at /graphql, docs/spa-clients.md): the
            # `websockets` library's protocol, messages bounded, a ping every 20 s closing
            # a connection whose peer is gone.
            "ws": "websockets-sansio",
            "ws_max_size": settings.graphql_ws_max_message_bytes,
            "ws_ping_interval": 20.0,
            "ws_ping_timeout": 20.0,
        }
        # A stop signal from here on stops the server gracefully, even before uvicorn
        # handles signals; its shutdown clean (requests finished, pool closed), the
        # command ends with status 0.
        with stop_signals() as pending:
            config = uvicorn.Config("orgql.app:app_from_env", **options)
            if args.workers > 1:
                run_workers(config, pending)
            else:
                run_server(config, pending)
    return 0
