"""The CHECK constraints of the database Alembic migrated, as PostgreSQL stores them."""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


async def check_values(engine: AsyncEngine, constraint: str) -> list[str]:
    """The quoted values of a CHECK ``column IN (...)``, in order, read from pg_constraint
    (PostgreSQL keeps it as ``(status)::text = ANY ((ARRAY['review'::character varying,
    ...])::text[])``)."""
    async with engine.connect() as connection:
        definition = await connection.scalar(
            text("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = :name"),
            {"name": constraint},
        )
    assert isinstance(definition, str), f"no constraint {constraint}"
    return re.findall(r"'([^']*)'", definition)
