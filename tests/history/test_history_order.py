"""The order of one record's history images is the order its writes took effect, even when
an older transaction (an earlier ``changed_at``) writes after a younger one committed."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from orgql.core.history import point_in_time
from orgql.db import models
from orgql.db.engine import make_sessionmaker


async def test_an_older_transaction_writing_last_gives_the_image_in_effect(
    engine: AsyncEngine,
) -> None:
    sessions = make_sessionmaker(engine)
    async with sessions() as older, sessions() as younger:
        # The older transaction starts first: its now() is the earlier timestamp.
        await older.execute(text("SELECT 1"))
        await younger.execute(
            text("UPDATE organizations SET description = 'younger' WHERE id = '100002'")
        )
        await younger.commit()
        await older.execute(
            text("UPDATE organizations SET description = 'older' WHERE id = '100002'")
        )
        await older.commit()

        live = await older.scalar(
            select(models.Organization.description).where(models.Organization.id == "100002")
        )
        chain = await point_in_time.chain_as_of(older, "100002", datetime.now(UTC))

    assert live == "older"
    assert chain is not None
    assert chain[0].description == "older"
