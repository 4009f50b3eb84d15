"""The demo seed completes a database seeded by an older version instead of skipping it."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.financial.demo import DEMO_PARTY_ID
from orgql.core.reference.demo import seed_demo
from orgql.db import financial_models, models


async def _source_accounts(session: AsyncSession) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(financial_models.FinancialSourceAccount)
        )
        or 0
    )


async def test_seeding_again_adds_the_financial_demo_records_an_older_seed_lacked(
    session: AsyncSession,
) -> None:
    # What a database seeded before the financial sync existed looks like.
    await session.execute(delete(financial_models.FinancialSourceSite))
    await session.execute(delete(financial_models.FinancialSourceAccount))
    await session.execute(
        update(models.Organization).where(models.Organization.id == "100001").values(party_id=None)
    )
    await session.commit()

    assert await seed_demo(session) is False  # the hierarchy was there
    await session.commit()

    assert await _source_accounts(session) == 3
    root = await session.get(models.Organization, "100001", populate_existing=True)
    assert root is not None
    assert root.party_id == DEMO_PARTY_ID


async def test_seeding_a_complete_demo_database_changes_nothing(session: AsyncSession) -> None:
    before = await _source_accounts(session)

    assert await seed_demo(session) is False
    await session.commit()

    assert await _source_accounts(session) == before == 3
