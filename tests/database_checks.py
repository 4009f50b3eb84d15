"""The database as tests observe it: the CHECK constraints Alembic migrated, as PostgreSQL
stores them; which backends wait for a lock (the concurrency tests hold one from a
connection of their own, and go on once the request under test waits for it)."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

#: How long a test waits at most for a backend to wait for a lock: a guard against a hang,
#: not a timing assertion (nothing announces the wait, so pg_stat_activity is asked again).
WAIT_LIMIT_SECONDS = 30


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


async def backend_pid(session: AsyncSession) -> int:
    """The server process of ``session``'s connection."""
    return int(await session.scalar(text("SELECT pg_backend_pid()")) or 0)


async def wait_until_blocked_on_a_lock(engine: AsyncEngine, pid: int) -> None:
    """Return once the backend ``pid`` waits for a lock another transaction holds."""
    query = text("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :pid")
    async with asyncio.timeout(WAIT_LIMIT_SECONDS), engine.connect() as observer:
        while not await observer.scalar(query, {"pid": pid}):
            await observer.rollback()  # a fresh snapshot of pg_stat_activity
            await asyncio.sleep(0.005)


async def wait_until_waiting_on_locks(engine: AsyncEngine, count: int) -> None:
    """Return once ``count`` backends of this database wait for a lock."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    async with asyncio.timeout(WAIT_LIMIT_SECONDS), engine.connect() as observer:
        while (await observer.scalar(query) or 0) < count:
            await observer.rollback()  # a fresh snapshot of pg_stat_activity
            await asyncio.sleep(0.005)


async def same_nickname_key(engine: AsyncEngine, one: str, other: str) -> bool:
    """Whether the unique keys (``lower(btrim(...))``) take ``one`` and ``other`` for one
    nickname or external id; the test is skipped when Python's ``lower`` says the same (a
    server whose lower() agrees with it: the case under test cannot happen there)."""
    async with engine.connect() as connection:
        same = bool(
            await connection.scalar(
                text("SELECT lower(btrim(:one)) = lower(btrim(:other))"),
                {"one": one, "other": other},
            )
        )
    if same == (one.strip().lower() == other.strip().lower()):
        pytest.skip("this server's lower() agrees with Python's on the pair")
    return same
