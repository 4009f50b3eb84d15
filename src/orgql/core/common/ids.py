"""Repository ids: strings drawn from one database sequence, as OCC's are ("200003")."""

from __future__ import annotations

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
