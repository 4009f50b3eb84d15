"""Two concurrent creates of contacts with one email (in different case): the database's
unique key decides, one contact is created and the other is refused with 22003.

The second insert is observed waiting on the first's uncommitted key before the first
commits, so both passed any check made in code."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from database_checks import wait_until_waiting_on_locks
from orgql.core.access.principals import SYSTEM
from orgql.core.common.errors import OrgqlError
from orgql.core.people import contacts
from orgql.db import models
from orgql.db.engine import make_sessionmaker


async def test_of_two_concurrent_creates_with_one_email_one_wins(engine: AsyncEngine) -> None:
    sessions = make_sessionmaker(engine)
    async with sessions() as first, sessions() as second:
        await first.begin()
        await contacts.create(first, {"email": "twin@example.com"}, principal=SYSTEM)

        async def create_second() -> None:
            async with second.begin():
                await contacts.create(second, {"email": " TWIN@example.com"}, principal=SYSTEM)

        racing = asyncio.create_task(create_second())
        await wait_until_waiting_on_locks(engine, 1)
        await first.commit()
        with pytest.raises(OrgqlError) as refused:
            await racing

    assert refused.value.code == "22003"
    async with sessions() as session:
        profile = models.Profile
        count = await session.scalar(
            select(func.count()).select_from(profile).where(profile.email_key == "twin@example.com")
        )
    assert count == 1
