"""The organization a site update writes to, locked: updates of one organization's site
values serialize, so that each reads the values the previous one committed (no lost write)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Text, case, cast, select
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.validation import is_storable_text
from orgql.core.events import outbox as events
from orgql.core.history import service as history
from orgql.core.organizations.move_lock import holding_off_moves
from orgql.db import models


async def begin_update(
    session: AsyncSession, organization_id: str
) -> tuple[models.Organization, bool] | None:
    """The organization, locked, and whether a subscription takes effective-value events;
    in one statement that names the writer too (history) and, when the events are wanted,
    holds off moves (no move commits between the two snapshots), before the row lock.
    None: no such organization."""
    table = models.Organization
    wanted = events.wanting(events.EventType.ORGANIZATION_EFFECTIVE_VALUE_CHANGED)
    # The target list is computed below the row lock (PostgreSQL locks the rows the scan
    # returns): the advisory lock comes first, as hold_off_moves wants; CASE takes it only
    # when the events are wanted.
    columns: list[ColumnElement[Any]] = [
        wanted.label("wanted"),
        case((wanted, cast(holding_off_moves(), Text))).label("held"),
    ]
    actor = history.take_actor(session)
    if actor is not None:
        columns.append(actor)
    found = None
    if is_storable_text(organization_id):  # an id PostgreSQL cannot hold names nothing
        found = (
            await session.execute(
                select(table, *columns).where(table.id == organization_id).with_for_update(of=table)
            )
        ).first()
    return None if found is None else (found[0], bool(found.wanted))


async def locked_organization(
    session: AsyncSession, organization_id: str
) -> models.Organization | None:
    """The organization, locked: updates of one organization's site values serialize, so
    that each reads the values the previous one committed (no lost write)."""
    organization = None
    if is_storable_text(organization_id):  # an id PostgreSQL cannot hold names nothing
        organization = await session.scalar(
            select(models.Organization)
            .where(models.Organization.id == organization_id)
            .with_for_update()
        )
    return organization
