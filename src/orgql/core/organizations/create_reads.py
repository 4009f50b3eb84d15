"""createOrganization's reads, two statements in all (issue 16: the create costs at most 6).

The first (:func:`begin`) names the writer for history, holds off moves when the new
organization has a parent, finds the site its site values go to and reserves the new ids.
The second (:func:`parent_chain`) locks the parent and reads it with its ancestors: the
checks need the parent, and the reply's derived values and ancestors need the chain, which
is the new organization's chain less itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Text, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from orgql.core.history import service as history
from orgql.core.organizations.move_lock import holding_off_moves
from orgql.db import models


@dataclass(frozen=True)
class Begun:
    #: The site given, if it exists; else the default site, if there is one.
    site_id: str | None
    ids: list[str]


async def begin(
    session: AsyncSession, *, site_id: str | None, hold_off_moves: bool, id_count: int
) -> Begun:
    """One statement, before any row lock (as :func:`move_lock.hold_off_moves` wants).

    ``site_id`` must be storable text (the caller checks); ``id_count`` ids come from the
    repository sequence as :func:`orgql.core.common.ids.next_ids` draws them."""
    site = models.Site
    which = site.is_default.is_(True) if site_id is None else site.id == site_id
    ids = (
        select(func.array_agg(cast(func.nextval("repository_id_seq"), Text)))
        .select_from(func.generate_series(1, id_count))
        .scalar_subquery()
    )
    columns: list[ColumnElement[Any]] = [
        select(site.id).where(which).scalar_subquery().label("site_id"),
        ids.label("ids"),
    ]
    actor = history.take_actor(session)
    if actor is not None:
        columns.append(actor)
    if hold_off_moves:
        columns.append(holding_off_moves())
    row = (await session.execute(select(*columns))).one()
    return Begun(row.site_id, list(row.ids or []))


async def parent_chain(session: AsyncSession, parent_id: str) -> list[models.Organization]:
    """The parent and its ancestors, nearest first (empty: no such parent). Only the parent
    is locked (FOR SHARE: a concurrent deactivation of it commits first or waits); its row
    comes from the lock, so it is the version that committed while this waited."""
    organization = models.Organization
    locked = (
        select(organization)
        .where(organization.id == parent_id)
        .with_for_update(read=True)
        .cte("parent")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    parent = aliased(organization, locked)
    rows = (
        await session.execute(
            select(parent, organization)
            .outerjoin(organization, organization.id == func.any(locked.c.path))
            .execution_options(populate_existing=True)
        )
    ).all()
    if not rows:
        return []
    ancestors = [ancestor for _, ancestor in rows if ancestor is not None]
    return [rows[0][0], *sorted(ancestors, key=lambda row: len(row.path), reverse=True)]
