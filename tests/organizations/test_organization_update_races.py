"""Concurrent moves and updates in separate transactions (two connections).

Interleavings are forced: the second writer is observed waiting for the first's lock in
``pg_stat_activity`` before the first commits, so each test exercises the race it names.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from database_checks import backend_pid, wait_until_blocked_on_a_lock
from orgql.core.access.principals import SYSTEM
from orgql.core.common.errors import Codes, ErrorKind, OrgqlError
from orgql.core.inheritance.effects import EffectiveValues, diff
from orgql.core.organizations import service as organizations
from orgql.core.organizations import updates as organization_updates
from orgql.core.organizations.changes import parse_changes
from orgql.core.organizations.input import parse_new_organization
from orgql.core.sites import service as site_properties
from orgql.db import models
from orgql.db.engine import make_sessionmaker


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


async def move(session: AsyncSession, organization_id: str, parent_id: str | None) -> None:
    changes = parse_changes({"parentOrganization": {"id": parent_id} if parent_id else None})
    await organization_updates.update(session, organization_id, changes)


async def two_roots(sessions: async_sessionmaker[AsyncSession]) -> tuple[str, str]:
    async with sessions() as session, session.begin():
        a = await organizations.create(session, parse_new_organization({"name": "A"}))
        b = await organizations.create(session, parse_new_organization({"name": "B"}))
        return a.id, b.id


async def test_opposite_concurrent_moves_cannot_form_a_cycle(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    a, b = await two_roots(sessions)
    async with sessions() as first, sessions() as second:
        await first.begin()
        await move(first, a, b)  # A under B, not committed yet
        pid = await backend_pid(second)
        second_move = asyncio.create_task(_in_transaction(second, move(second, b, a)))
        await wait_until_blocked_on_a_lock(engine, pid)  # B under A waits for the move lock
        await first.commit()
        outcome = await second_move

    assert isinstance(outcome, OrgqlError)
    assert (outcome.code, outcome.field) == (Codes.INVALID_INPUT, "parentOrganization.id")
    async with sessions() as session:
        paths = dict(
            (
                await session.execute(
                    select(models.Organization.id, models.Organization.path).where(
                        models.Organization.id.in_([a, b])
                    )
                )
            ).all()
        )
    assert paths == {a: [b], b: []}


async def test_opposite_moves_started_together_leave_exactly_one(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    a, b = await two_roots(sessions)
    async with sessions() as first, sessions() as second:
        outcomes = await asyncio.gather(
            _in_transaction(first, move(first, a, b)),
            _in_transaction(second, move(second, b, a)),
        )
    assert sorted(type(o).__name__ for o in outcomes) == ["NoneType", "OrgqlError"]
    async with sessions() as session:
        paths = dict(
            (
                await session.execute(
                    select(models.Organization.id, models.Organization.path).where(
                        models.Organization.id.in_([a, b])
                    )
                )
            ).all()
        )
    assert sorted(paths.values()) in ([[], [a]], [[], [b]])


async def test_of_two_updates_expecting_one_version_exactly_one_wins(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async def rename(session: AsyncSession, description: str) -> None:
        changes = parse_changes({"description": description})
        await organization_updates.update(session, "100002", changes, expected_version=1)

    async with sessions() as first, sessions() as second:
        await first.begin()
        await rename(first, "first")
        pid = await backend_pid(second)
        late = asyncio.create_task(_in_transaction(second, rename(second, "second")))
        await wait_until_blocked_on_a_lock(engine, pid)  # the row lock
        await first.commit()
        outcome = await late

    assert isinstance(outcome, OrgqlError)
    assert (outcome.code, outcome.kind) == (Codes.VERSION_CONFLICT, ErrorKind.STALE)
    async with sessions() as session:
        east = await session.get(models.Organization, "100002")
        assert east is not None
        assert (east.description, east.version) == ("first", 2)


async def test_a_move_under_a_parent_being_deactivated_waits_and_is_refused(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    a, b = await two_roots(sessions)
    async with sessions() as first, sessions() as second:
        await first.begin()
        await organization_updates.set_active(first, b, False)  # not committed yet
        pid = await backend_pid(second)
        late = asyncio.create_task(_in_transaction(second, move(second, a, b)))
        await wait_until_blocked_on_a_lock(engine, pid)  # the parent's row
        await first.commit()
        outcome = await late

    assert isinstance(outcome, OrgqlError)
    assert "deactivated" in outcome.message
    async with sessions() as session:
        moved = await session.get(models.Organization, a)
        assert moved is not None
        assert moved.path == []


async def test_a_child_created_under_a_parent_being_deactivated_is_refused(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    _, b = await two_roots(sessions)

    async def create_child(session: AsyncSession) -> None:
        document = {"name": "Child", "parentOrganization": {"id": b}}
        await organizations.create(session, parse_new_organization(document))

    async with sessions() as first, sessions() as second:
        await first.begin()
        await organization_updates.set_active(first, b, False)
        pid = await backend_pid(second)
        late = asyncio.create_task(_in_transaction(second, create_child(second)))
        await wait_until_blocked_on_a_lock(engine, pid)
        await first.commit()
        outcome = await late

    assert isinstance(outcome, OrgqlError)
    assert (outcome.field, "deactivated" in outcome.message) == ("parentOrganization.id", True)


@pytest.mark.usefixtures("effect_subscriber")
async def test_a_move_does_not_commit_between_the_snapshots_of_a_site_update(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """O > X ("x") > D and O > Y ("y"): D moving from X to Y while a site value of O changes
    is not an effect of that change (its derivedDescription x -> y is the move's)."""

    async def create(session: AsyncSession, name: str, parent: str | None, **more: str) -> str:
        document = {
            "name": name,
            **more,
            **({"parentOrganization": {"id": parent}} if parent else {}),
        }
        return (await organizations.create(session, parse_new_organization(document))).id

    def limit(value: int) -> list[site_properties.SiteUpdate]:
        entry = {"site": {"id": "siteUS"}, "properties": {"orderPriceLimit": value}}
        return site_properties.parse_site_updates([entry])

    async with sessions() as session, session.begin():
        o = await create(session, "O", None)
        x = await create(session, "X", o, description="x")
        y = await create(session, "Y", o, description="y")
        d = await create(session, "D", x)
        await site_properties.update(session, o, limit(10), principal=SYSTEM)

    async with sessions() as first, sessions() as mover, sessions() as blocker:
        await blocker.begin()
        # Holds O's site row, so the site update waits between its two snapshots.
        await blocker.execute(
            select(models.SiteOrganizationProperties)
            .where(models.SiteOrganizationProperties.organization_id == o)
            .with_for_update()
        )
        first_pid, mover_pid = await backend_pid(first), await backend_pid(mover)
        updating = asyncio.create_task(
            _in_transaction(first, site_properties.update(first, o, limit(20), principal=SYSTEM))
        )
        await wait_until_blocked_on_a_lock(engine, first_pid)
        moving = asyncio.create_task(_in_transaction(mover, move(mover, d, y)))
        blocked = asyncio.create_task(wait_until_blocked_on_a_lock(engine, mover_pid))
        await asyncio.wait({moving, blocked}, return_when=asyncio.FIRST_COMPLETED)
        blocked.cancel()
        await asyncio.gather(blocked, return_exceptions=True)
        await blocker.rollback()
        assert await updating is None
        assert await moving is None

    async with sessions() as session:
        rows = await session.execute(
            text(
                "SELECT organization_id, change ->> 'field' FROM outbox_events,"
                " jsonb_array_elements(payload -> 'changes') AS change"
                " WHERE type = 'organization.effectiveValueChanged'"
                " AND payload -> 'causedBy' ->> 'organizationId' = :o"
            ),
            {"o": o},
        )
        reported = sorted({(row[0], row[1]) for row in rows})
    assert reported == sorted((org, "orderPriceLimit") for org in (o, x, y, d))


def test_an_organization_in_one_snapshot_only_is_not_compared() -> None:
    values = EffectiveValues(derived={"derivedDescription": "x"}, sites={})
    assert diff({"1": values, "2": values}, {"1": values, "3": values}) == []


async def _in_transaction(session: AsyncSession, work: object) -> OrgqlError | None:
    """Run ``work`` (a coroutine) in a transaction of ``session``: committed, or rolled back
    and its OrgqlError returned."""
    assert asyncio.iscoroutine(work)
    try:
        if not session.in_transaction():
            await session.begin()
        await work
        await session.commit()
    except OrgqlError as error:
        await session.rollback()
        return error
    return None


async def test_a_child_created_during_a_move_of_its_ancestor_takes_the_new_path(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    a, b = await two_roots(sessions)
    async with sessions() as session, session.begin():
        document = {"name": "C", "parentOrganization": {"id": a}}
        c = (await organizations.create(session, parse_new_organization(document))).id

    async def create_child(session: AsyncSession) -> str:
        document = {"name": "Grandchild", "parentOrganization": {"id": c}}
        return (await organizations.create(session, parse_new_organization(document))).id

    async with sessions() as first, sessions() as second:
        await first.begin()
        child = await create_child(first)  # under C, not committed yet
        pid = await backend_pid(second)
        moving = asyncio.create_task(_in_transaction(second, move(second, a, b)))
        await wait_until_blocked_on_a_lock(engine, pid)
        await first.commit()
        assert await moving is None

    async with sessions() as session:
        created = await session.get(models.Organization, child)
        assert created is not None
        assert created.path == [b, a, c]
