"""Repository ids: strings drawn from one database sequence, as OCC's are ("200003")."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def next_ids(session: AsyncSession, count: int) -> list[str]:
    """Reserve ``count`` new ids in one round trip."""
    if count <= 0:
        return []
    result = await session.execute(
        text("SELECT nextval('repository_id_seq')::text FROM generate_series(1, :n)"),
        {"n": count},
    )
    return list(result.scalars())


def distinct_keys(keys: Iterable[str]) -> list[str]:
    """Distinct keys in order, for a batch read by ``= ANY``; a key PostgreSQL cannot store
    (NUL) cannot exist, so it is dropped rather than sent."""
    return [key for key in dict.fromkeys(keys) if "\x00" not in key]
