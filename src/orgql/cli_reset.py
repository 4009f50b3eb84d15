"""``orgql reset-demo``: empty the database, migrate it and load the demo data, so that the
documentation's examples answer as shown again (docs/getting-started.md)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from sqlalchemy import text

from orgql.settings import Settings


def add_parser(commands: Any) -> None:
    reset = commands.add_parser(
        "reset-demo",
        help="drop every table of the database, migrate and load the demo data (development)",
    )
    reset.add_argument(
        "--yes", action="store_true", help="confirm: everything in the database is deleted"
    )
    reset.set_defaults(handler=cmd_reset_demo)


def cmd_reset_demo(args: argparse.Namespace, settings: Settings) -> int:
    from orgql.cli import CommandError, database_url, describe, open_engine, seed
    from orgql.db.migrate import upgrade

    if settings.environment == "production":
        raise CommandError(
            "reset-demo deletes every record: refused with ORGQL_ENVIRONMENT=production"
        )

    async def run(url: str) -> None:
        async with open_engine(url) as engine:
            async with engine.begin() as connection:
                # Tables, sequences, functions and triggers all live in the public schema.
                await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                await connection.execute(text("CREATE SCHEMA public"))
            await upgrade(engine)
            await seed(engine)

    with database_url(settings) as url:
        if not args.yes:
            raise CommandError(
                f"reset-demo deletes everything in {describe(settings, url)}: run it with --yes"
            )
        asyncio.run(run(url))
        print(f"orgql: {describe(settings, url)} holds the demo data alone again")
    return 0
