"""The ``orgql`` command: serve (cli_serve.py), migrate, seed-demo, import-reference,
export-schema, app-key, token, webhook (cli_webhooks.py), reset-demo (cli_reset.py)."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import signal
import sys
import warnings
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from types import FrameType

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from pydantic import ValidationError
from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from orgql.core.common.errors import OrgqlError
from orgql.db.engine import make_engine, make_sessionmaker
from orgql.db.migrate import alembic_config, upgrade
from orgql.settings import Settings

#: Exit status for input the caller has to fix (bad file, invalid document, unmigrated schema).
EXIT_BAD_INPUT = 2
#: Exit status when the work could not be done (database unreachable, unwritable file).
EXIT_FAILURE = 1


class CommandError(Exception):
    """A failure reported as one line on stderr (no traceback) with an exit status."""

    def __init__(self, message: str, status: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.status = status


# ---------------------------------------------------------------- settings → database → engine


@contextmanager
def database_url(settings: Settings) -> Iterator[str]:
    """The configured server, or an embedded one under ``settings.data_dir`` while in use."""
    if settings.database_url is not None:
        yield settings.database_url
        return
    from orgql.db.embedded import EmbeddedPostgres, EmbeddedPostgresMissing

    server = EmbeddedPostgres(settings.data_dir)
    # SIGTERM and SIGHUP (the terminal closed) become SystemExit so the `finally` below stops
    # the server. uvicorn re-raises the signal it shut down for, which by default would end
    # the process on the spot.
    previous = {number: signal.signal(number, _exit_on_signal) for number in STOP_SIGNALS}
    try:
        with warnings.catch_warnings():
            # platformdirs warns that it picks a runtime dir under /tmp; that is what we want.
            warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
            url = server.start()
        yield url
    except EmbeddedPostgresMissing as missing:
        raise CommandError(str(missing)) from None
    finally:
        server.stop()
        for number, handler in previous.items():
            signal.signal(number, handler)


#: The signals that stop a command: SIGTERM (service managers), SIGHUP (terminal closed).
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@asynccontextmanager
async def open_engine(url: str) -> AsyncIterator[AsyncEngine]:
    # Commands are short and sequential: one connection is plenty.
    engine = make_engine(url, pool_size=1)
    try:
        yield engine
    finally:
        await engine.dispose()


def describe(settings: Settings, url: str) -> str:
    """Which database ``url`` is, for messages; never shows a password."""
    if settings.database_url is None:
        return f"embedded PostgreSQL in {settings.data_dir}"
    parsed = make_url(url)
    return parsed.render_as_string(hide_password=bool(parsed.password))


async def require_current_schema(engine: AsyncEngine) -> None:
    """Data commands refuse to run on a schema that ``orgql migrate`` has not brought to head."""

    def current_heads(connection: Connection) -> tuple[str, ...]:
        return MigrationContext.configure(connection).get_current_heads()

    async with engine.connect() as connection:
        current = set(await connection.run_sync(current_heads))
    expected = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    if current != expected:
        raise CommandError("the database schema is not up to date: run `orgql migrate` first")


async def seed(engine: AsyncEngine) -> bool:
    from orgql.core.reference.demo import seed_demo

    async with make_sessionmaker(engine)() as session, session.begin():
        return await seed_demo(session)


# ---------------------------------------------------------------- commands


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    async def run(url: str) -> None:
        async with open_engine(url) as engine:
            await upgrade(engine)

    with database_url(settings) as url:
        asyncio.run(run(url))
        print(f"orgql: {describe(settings, url)} is at the latest schema revision")
    return 0


def cmd_seed_demo(args: argparse.Namespace, settings: Settings) -> int:
    async def run(url: str) -> bool:
        async with open_engine(url) as engine:
            await require_current_schema(engine)
            return await seed(engine)

    with database_url(settings) as url:
        seeded = asyncio.run(run(url))
    print("orgql: demo data loaded" if seeded else "orgql: demo data already present")
    return 0


def read_json(path: Path) -> object:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {path}: {exc}") from None
    try:
        document: object = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"
        ) from None
    return document


def cmd_import_reference(args: argparse.Namespace, settings: Settings) -> int:
    from orgql.core.reference.data import import_reference_data, parse_reference_data

    # Validate before touching the database: bad input fails fast and changes nothing.
    data = parse_reference_data(read_json(args.file))

    async def run(url: str) -> dict[str, int]:
        async with open_engine(url) as engine:
            await require_current_schema(engine)
            async with make_sessionmaker(engine)() as session, session.begin():
                return await import_reference_data(session, data)

    with database_url(settings) as url:
        counts = asyncio.run(run(url))
    for kind, count in counts.items():
        print(f"{kind}: {count}")
    return 0


def cmd_export_schema(args: argparse.Namespace, settings: Settings) -> int:
    # Imported by name so the other commands work without the GraphQL layer loaded.
    module = importlib.import_module("orgql.graphql.schema")
    sdl: str = module.default_schema().as_str().rstrip("\n") + "\n"
    if args.output is None:
        sys.stdout.write(sdl)
    else:
        args.output.write_text(sdl, "utf-8")
        print(f"orgql: wrote {args.output}", file=sys.stderr)
    return 0


def cmd_app_key(args: argparse.Namespace, settings: Settings) -> int:
    from orgql.core.access import app_keys

    async def run(url: str) -> list[str]:
        async with open_engine(url) as engine:
            await require_current_schema(engine)
            async with make_sessionmaker(engine)() as session, session.begin():
                if args.action == "create":
                    info, key = await app_keys.create_app_key(session, args.name)
                    return [
                        key,
                        f"orgql: created application key {info.id} ({info.name});"
                        " it is shown this once",
                    ]
                if args.action == "revoke":
                    info = await app_keys.revoke_app_key(session, args.id)
                    return [f"orgql: revoked application key {info.id} ({info.name})"]
                return [
                    "\t".join(
                        (
                            info.id,
                            info.created_at.isoformat(timespec="seconds"),
                            "revoked " + info.revoked_at.isoformat(timespec="seconds")
                            if info.revoked_at
                            else "active",
                            info.name,
                        )
                    )
                    for info in await app_keys.list_app_keys(session)
                ]

    with database_url(settings) as url:
        lines = asyncio.run(run(url))
    if args.action == "create":
        print(lines[0])
        print(lines[1], file=sys.stderr)
    else:
        for line in lines:
            print(line)
    return 0


def cmd_token(args: argparse.Namespace, settings: Settings) -> int:
    from orgql.auth.signing import SigningKeyError
    from orgql.auth.tokens import Authenticator

    try:
        authenticator = Authenticator(settings)
    except SigningKeyError as err:
        raise CommandError(str(err)) from None
    print(authenticator.issue_admin("operator", ttl=args.ttl).access_token)
    return 0


def cmd_settings(args: argparse.Namespace, settings: Settings) -> int:
    from orgql.settings_display import effective_settings

    for line in effective_settings(settings):
        print(line)
    return 0


# ---------------------------------------------------------------- entry point


def package_version() -> str:
    """The installed distribution's version (pyproject.toml's, once installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("orgql")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed: version unknown)"


def build_parser() -> argparse.ArgumentParser:
    from orgql import cli_reset, cli_serve, cli_webhooks  # they import this module's helpers

    parser = argparse.ArgumentParser(
        prog="orgql",
        description="GraphQL gateway and OCC-compatible REST shim over PostgreSQL. "
        "Without ORGQL_DATABASE_URL, an embedded PostgreSQL (the orgql[embedded] extra) under"
        " ORGQL_DATA_DIR is used; its default is the user's data folder, the same wherever"
        " orgql runs (`orgql settings` shows it).",
    )
    parser.add_argument("--version", action="version", version=f"orgql {package_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="migrate, then run the HTTP server")
    serve.add_argument("--host", help="interface to listen on (default: ORGQL_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: ORGQL_PORT or 8080)")
    serve.add_argument("--workers", type=int, default=1, metavar="N", help="worker processes")
    serve.add_argument(
        "--seed-demo", action="store_true", help="load the demo data (always done when embedded)"
    )
    serve.set_defaults(handler=cli_serve.cmd_serve)

    commands.add_parser("migrate", help="bring the schema to the latest revision").set_defaults(
        handler=cmd_migrate
    )
    commands.add_parser("seed-demo", help="load the demo data (harmless twice)").set_defaults(
        handler=cmd_seed_demo
    )

    reference = commands.add_parser(
        "import-reference", help="upsert sites, catalogs, ... from a JSON file"
    )
    reference.add_argument("file", type=Path, metavar="FILE")
    reference.set_defaults(handler=cmd_import_reference)

    export = commands.add_parser("export-schema", help="print the GraphQL SDL")
    export.add_argument("--output", "-o", type=Path, metavar="PATH", help="write it here instead")
    export.set_defaults(handler=cmd_export_schema)

    commands.add_parser(
        "settings", help="print the effective ORGQL_* settings (secrets masked)"
    ).set_defaults(handler=cmd_settings)

    app_key = commands.add_parser("app-key", help="create, list or revoke admin application keys")
    actions = app_key.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="print a new key (shown this once)")
    create.add_argument("--name", required=True, help="who or what the key is for")
    actions.add_parser("list", help="id, created, active or revoked, name")
    revoke = actions.add_parser("revoke", help="revoke a key by id")
    revoke.add_argument("id", metavar="ID")
    app_key.set_defaults(handler=cmd_app_key)

    token = commands.add_parser("token", help="print an admin access token (for scripts)")
    token.add_argument("--scope", choices=["admin"], default="admin", help="only admin for now")
    token.add_argument(
        "--ttl",
        type=int,
        default=None,
        metavar="SECONDS",
        help="lifetime (default: ORGQL_AUTH_TOKEN_TTL_SECONDS)",
    )
    token.set_defaults(handler=cmd_token)

    cli_webhooks.add_parser(commands)
    cli_reset.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
        status: int = args.handler(args, settings)
    except OrgqlError as err:
        for detail in err.details:
            field = f" {detail.field}" if detail.field else ""
            print(f"orgql: error {detail.code}{field}: {detail.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 128 + signal.SIGINT
    except CommandError as err:
        print(f"orgql: {err}", file=sys.stderr)
        return err.status
    except ValidationError as err:
        print(f"orgql: invalid ORGQL_* setting: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except DBAPIError as err:
        print(f"orgql: database error: {err.orig or err}", file=sys.stderr)
        return EXIT_FAILURE
    except OSError as err:
        # Connection refused, unreachable host, unwritable output file: the message says it.
        print(f"orgql: {err}", file=sys.stderr)
        return EXIT_FAILURE
    return status


if __name__ == "__main__":
    sys.exit(main())
