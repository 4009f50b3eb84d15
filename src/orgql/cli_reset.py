"""``orgql reset-demo``: empty the database, migrate it and load the demo data, so that the
documentation's examples answer as shown again (docs/getting-started.md)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from orgql.core.reference.demo import DEMO_ROOT_ID
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
    from orgql.cli import CommandError, database_url, describe, open_engine

    if settings.environment == "production":
        raise CommandError(
            "reset-demo deletes every record: refused with ORGQL_ENVIRONMENT=production"
        )

    async def run(url: str) -> None:
        async with open_engine(url) as engine, engine.begin() as connection:
            if not await is_a_demo_database(connection):
                raise CommandError(
                    f"{describe(settings, url)} holds tables but not orgql's demo data (no"
                    f" organization {DEMO_ROOT_ID}): reset-demo empties only a demo database."
                    " Nothing was changed; check ORGQL_DATABASE_URL"
                )
            await reset(connection)

    with database_url(settings) as url:
        if not args.yes:
            raise CommandError(
                f"reset-demo deletes everything in {describe(settings, url)}: run it with --yes"
            )
        asyncio.run(run(url))
        print(f"orgql: {describe(settings, url)} holds the demo data alone again")
    return 0


async def is_a_demo_database(connection: AsyncConnection) -> bool:
    """Whether reset-demo may empty this database: it has no tables at all, or it holds the
    demo data. "Production" is not only ORGQL_ENVIRONMENT: a shell with another database's
    URL (a real orgql, another application) and the default profile must not lose it."""
    tables = await connection.scalar(
        text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
    )
    if not tables:
        return True
    if await connection.scalar(text("SELECT to_regclass('public.organizations')")) is None:
        return False
    found = await connection.scalar(
        text("SELECT EXISTS (SELECT 1 FROM public.organizations WHERE id = :id)"),
        {"id": DEMO_ROOT_ID},
    )
    return bool(found)


async def reset(connection: AsyncConnection) -> None:
    """Drop, migrate and seed in the one transaction of ``connection``: a failure half-way (a
    migration, the seed, Ctrl-C) leaves the database as it was, not empty."""
    from orgql.core.reference.demo import seed_demo
    from orgql.db.migrate import upgrade_within

    # Tables, sequences, functions and triggers all live in the public schema.
    await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
    await connection.execute(text("CREATE SCHEMA public"))
    await upgrade_within(connection)
    # The session joins the connection's transaction; the caller's block commits it.
    async with AsyncSession(bind=connection, expire_on_commit=False, autoflush=False) as session:
        await seed_demo(session)
        await session.flush()
