"""``orgql serve``: refuse an unsafe profile, migrate (and seed an embedded database), then
run uvicorn with our protocols, logs and graceful shutdown."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from orgql.cli import CommandError, database_url, describe, open_engine, seed
from orgql.db.migrate import upgrade
from orgql.observability.logs import logging_config
from orgql.settings import Settings

#: Lifetime of the admin token `orgql serve` prints in development.
DEV_TOKEN_TTL = 8 * 3600


def _ignore_signal(signum: int, frame: FrameType | None) -> None:
    pass


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
            ' ORGQL_ENVIRONMENT=production with a signing key (README "Running in production")'
        )
    try:
        signing_key(settings)
    except SigningKeyError as err:
        raise CommandError(str(err)) from None


@contextlib.contextmanager
def worker_metrics(workers: int) -> Iterator[None]:
    """Several workers add their metrics up (prometheus_client's multiprocess mode): each
    writes its values under PROMETHEUS_MULTIPROC_DIR, emptied here first (values of an
    earlier run would count again). Unset, a temporary folder, removed at the end. Set
    before the workers start: prometheus_client reads it once, when imported."""
    if workers <= 1:
        yield
        return
    configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
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

        # GraphiQL only where it is served (never in production, README "Limits").
        what = "GraphiQL" if Limits.from_settings(settings).graphiql else "GraphQL"
        print(f"orgql: {what} at http://{host}:{port}/graphql, database: {database}")
        if settings.environment == "development":
            # The first look needs no login: a ready admin token, for development only.
            from orgql.auth.tokens import Authenticator

            token = Authenticator(settings).issue_admin("operator", ttl=DEV_TOKEN_TTL)
            print(f"orgql: admin token (valid 8 hours): {token.access_token}")
        sys.stdout.flush()
        # uvicorn re-raises the signal it shut down for once the shutdown is done; by then
        # it was clean (requests finished, pool closed): the command ends with status 0.
        previous = signal.signal(signal.SIGTERM, _ignore_signal)
        try:
            uvicorn.run(
                "orgql.app:app_from_env",
                factory=True,
                host=host,
                port=port,
                workers=args.workers,
                log_level=settings.log_level,
                # JSON lines (README "Logs"); our access line replaces uvicorn's.
                log_config=logging_config(settings.log_format, settings.log_level),
                access_log=False,
                # SIGTERM: stop accepting, let in-flight requests finish (this long at most),
                # then the lifespan closes the pool.
                timeout_graceful_shutdown=math.ceil(settings.shutdown_timeout_seconds),
                # Slow clients bounded: headers, their size, bodies, unread answers (README
                # "Limits"); no WebSocket (the app has no WebSocket route).
                http=PROTOCOLS["httptools"],
                ws="none",
            )
        finally:
            signal.signal(signal.SIGTERM, previous)
    return 0
