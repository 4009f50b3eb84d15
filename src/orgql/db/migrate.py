"""Run Alembic migrations programmatically (``orgql migrate``, app start-up, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from orgql.database_urls import to_asyncpg_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", to_asyncpg_url(url).replace("%", "%%"))
    return config


async def upgrade(engine: AsyncEngine, revision: str = "heads") -> None:
    """Bring the database behind ``engine`` to ``revision`` in one transaction."""
    async with engine.begin() as connection:
        await upgrade_within(connection, revision)


async def upgrade_within(connection: AsyncConnection, revision: str = "heads") -> None:
    """Bring the database to ``revision`` inside the caller's transaction (it commits)."""
    await connection.run_sync(_upgrade_sync, revision)


def _upgrade_sync(connection: object, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
