"""Concurrent writers in separate transactions: the database keeps the rules that the
in-code checks cannot (a check and an insert are not atomic).

Interleavings are forced, not hoped for: a writer that must be waiting on another's lock is
observed waiting in ``pg_stat_activity`` before the other commits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from database_checks import WAIT_LIMIT_SECONDS, backend_pid, wait_until_blocked_on_a_lock
from orgql.core.common.errors import ErrorKind, OrgqlError
from orgql.core.organizations import service as organizations
from orgql.core.organizations.input import parse_new_organization
from orgql.db import models
from orgql.db.engine import make_sessionmaker


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


async def create(session: AsyncSession, document: Mapping[str, Any]) -> models.Organization:
    return await organizations.create(session, parse_new_organization(document))


async def count(session: AsyncSession, model: type[models.Base], *where: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def race_for_one_name(
    engine: AsyncEngine, first: AsyncSession, second: AsyncSession
) -> list[models.Organization | BaseException]:
    """Both writers pass the in-code name check before either commits: the second inserts
    while the first's row is flushed but uncommitted, so the unique index decides."""
    first_flushed = asyncio.Event()
    second_pid = await backend_pid(second)

    async def first_writer() -> models.Organization:
        organization = await create(first, {"name": "Zenith"})
        first_flushed.set()
        await wait_until_blocked_on_a_lock(engine, second_pid)
        await first.commit()
        return organization

    async def second_writer() -> models.Organization:
        await first_flushed.wait()
        try:
            organization = await create(second, {"name": "  zenith  "})
        except OrgqlError:
            await second.rollback()
            raise
        await second.commit()
        return organization

    return await asyncio.gather(first_writer(), second_writer(), return_exceptions=True)


async def test_concurrent_creates_of_one_name_let_exactly_one_succeed(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as first, sessions() as second:
        winner, loser = await race_for_one_name(engine, first, second)

    assert isinstance(winner, models.Organization)
    assert winner.name == "Zenith"
    assert isinstance(loser, OrgqlError)
    assert (loser.code, loser.field, loser.kind) == ("100005", "name", ErrorKind.CONFLICT)


async def test_losing_concurrent_create_leaves_no_rows(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as reader:
        roles_before = await count(reader, models.RelativeRole)

    async with sessions() as first, sessions() as second:
        await race_for_one_name(engine, first, second)

    async with sessions() as reader:
        organizations_named = await count(
            reader, models.Organization, models.Organization.name_key == "zenith"
        )
        roles_after = await count(reader, models.RelativeRole)
    assert (organizations_named, roles_after - roles_before) == (1, 5)


async def test_concurrent_creates_under_one_parent_do_not_block_each_other(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as first, sessions() as second:
        # Each child locks the parent FOR SHARE; shared locks do not conflict, so the second
        # flush completes while the first transaction is still open.
        async with asyncio.timeout(WAIT_LIMIT_SECONDS):
            left = await create(first, {"name": "Left", "parentOrganization": {"id": "100002"}})
            right = await create(second, {"name": "Right", "parentOrganization": {"id": "100002"}})
        await first.commit()
        await second.commit()

    async with sessions() as reader:
        rows = await reader.execute(
            select(models.Organization.id, models.Organization.path).where(
                models.Organization.id.in_([left.id, right.id])
            )
        )
        assert dict(rows.all()) == {left.id: ["100001", "100002"], right.id: ["100001", "100002"]}


async def test_child_attached_while_its_parent_moves_gets_the_new_path(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    # 100003 ("Sample East Purchasing") sits below 100001 -> 100002; it moves to the root
    # while another transaction attaches a child to it.
    async with sessions() as attacher, sessions() as mover:
        mover_pid = await backend_pid(mover)
        child = await create(
            attacher, {"name": "Purchasing Team", "parentOrganization": {"id": "100003"}}
        )

        async def move() -> None:
            await mover.execute(
                update(models.Organization)
                .where(models.Organization.id == "100003")
                .values(parent_id="100001")
            )
            await mover.commit()

        moving = asyncio.create_task(move())
        await wait_until_blocked_on_a_lock(engine, mover_pid)
        await attacher.commit()
        await moving

    async with sessions() as reader:
        path = await reader.scalar(
            select(models.Organization.path).where(models.Organization.id == child.id)
        )
    assert path == ["100001", "100003"]
