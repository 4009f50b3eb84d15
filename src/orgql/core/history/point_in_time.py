"""Point-in-time reads: rows as they were at an instant, rebuilt from the history table.

Each function mirrors a live read of :mod:`orgql.core.organizations.repository` and returns the same
ORM classes (transient instances, never added to a session), so that derived and effective
values at an instant are computed by the same code as live ones
(:mod:`orgql.core.inheritance.rules`). An entity's image at ``as_of`` is its latest history row
recorded at or before ``as_of`` (``changed_at`` is the writing transaction's timestamp, ``id`` the
recording order); an entity whose latest row is a delete did not exist then.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, DateTime, Numeric, Select, String, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.ids import distinct_keys
from orgql.db import history_models, models
from orgql.db.models import Base

M = TypeVar("M", bound=Base)

History = history_models.OrganizationHistory


def from_image(model: type[M], image: dict[str, Any]) -> M:
    """A transient ``model`` instance holding a row image (``to_jsonb`` of the row): JSON
    strings back to datetimes, JSON numbers back to decimals. Keys the model does not know
    (a column a later migration added) are ignored."""
    values: dict[str, Any] = {}
    for column in model.__table__.columns:
        if column.name not in image:
            continue
        value = image[column.name]
        if value is not None and isinstance(column.type, DateTime):
            value = datetime.fromisoformat(value)
        elif value is not None and isinstance(column.type, Numeric):
            value = Decimal(str(value))
        values[column.key] = value
    return model(**values)


def _latest(
    kind: str, as_of: datetime, *where: ColumnElement[bool]
) -> Select[tuple[str, str | None, dict[str, Any] | None]]:
    """The latest image of each entity of ``kind`` matching ``where`` at ``as_of``."""
    latest_ids = (
        select(func.max(History.id))
        .where(History.entity_kind == kind, History.changed_at <= as_of, *where)
        .group_by(History.entity_id)
    )
    return select(History.entity_id, History.organization_id, History.after).where(
        History.id.in_(latest_ids)
    )


async def chain_as_of(
    session: AsyncSession, organization_id: str, as_of: datetime
) -> list[models.Organization] | None:
    """The organization followed by its ancestors (nearest first) as they were at
    ``as_of`` — the ancestors named by its path *then* — or None if it did not exist then.
    One statement, whatever the depth."""
    if "\x00" in organization_id:
        return None  # no id PostgreSQL can take is an id of ours (as :func:`distinct_keys` drops)
    target = (
        select(History.after)
        .where(
            History.entity_kind == "organization",
            History.entity_id == organization_id,
            History.changed_at <= as_of,
        )
        .order_by(History.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    # The organization and the ids of its path then, as one set: an index-friendly IN.
    wanted = select(literal(organization_id, String)).union_all(
        select(func.jsonb_array_elements_text(target["path"]))
    )
    query = _latest("organization", as_of, History.entity_id.in_(wanted))
    by_id = {
        entity: from_image(models.Organization, after)
        for entity, _, after in await session.execute(query)
        if after is not None
    }
    row = by_id.get(organization_id)
    if row is None:
        return None
    return [row, *(by_id[a] for a in reversed(row.path) if a in by_id)]


async def organizations_as_of(
    session: AsyncSession, ids: Iterable[str], as_of: datetime
) -> dict[str, models.Organization]:
    return await _by_id_as_of(session, "organization", models.Organization, ids, as_of)


async def addresses_as_of(
    session: AsyncSession, ids: Iterable[str], as_of: datetime
) -> dict[str, models.Address]:
    return await _by_id_as_of(session, "address", models.Address, ids, as_of)


async def _by_id_as_of(
    session: AsyncSession, kind: str, model: type[M], ids: Iterable[str], as_of: datetime
) -> dict[str, M]:
    """The entities of ``kind`` with these ids as they were at ``as_of`` (absent: they did
    not exist then)."""
    keys = distinct_keys(ids)
    if not keys:
        return {}
    rows = await session.execute(_latest(kind, as_of, History.entity_id.in_(keys)))
    return {e: from_image(model, a) for e, _, a in rows if a is not None}


async def _owned_as_of(
    session: AsyncSession,
    kind: str,
    model: type[M],
    organization_ids: Iterable[str],
    as_of: datetime,
) -> dict[str, list[M]]:
    """The entities of ``kind`` that each organization owned at ``as_of``, by entity id."""
    keys = distinct_keys(organization_ids)
    result: dict[str, list[M]] = defaultdict(list)
    if keys:
        rows = await session.execute(_latest(kind, as_of, History.organization_id.in_(keys)))
        for _, organization_id, after in rows:
            if after is not None and organization_id is not None:
                result[organization_id].append(from_image(model, after))
    return result


async def addresses_by_organization_as_of(
    session: AsyncSession, organization_ids: Iterable[str], as_of: datetime
) -> dict[str, list[models.Address]]:
    return await _owned_as_of(session, "address", models.Address, organization_ids, as_of)


async def site_properties_as_of(
    session: AsyncSession, keys: Iterable[tuple[str, str]], as_of: datetime
) -> dict[tuple[str, str], models.SiteOrganizationProperties]:
    """Own per-site values for (organization id, site id) pairs at ``as_of``."""
    entity_ids = distinct_keys(f"{org}:{site}" for org, site in keys)
    if not entity_ids:
        return {}
    rows = await session.execute(
        _latest("site_properties", as_of, History.entity_id.in_(entity_ids))
    )
    found = (from_image(models.SiteOrganizationProperties, a) for _, _, a in rows if a is not None)
    return {(row.organization_id, row.site_id): row for row in found}


async def site_properties_by_organization_as_of(
    session: AsyncSession, organization_ids: Iterable[str], as_of: datetime
) -> dict[str, list[models.SiteOrganizationProperties]]:
    found = await _owned_as_of(
        session, "site_properties", models.SiteOrganizationProperties, organization_ids, as_of
    )
    return {org: sorted(rows, key=lambda r: r.site_id) for org, rows in found.items()}


async def members_by_organization_as_of(
    session: AsyncSession, organization_ids: Iterable[str], as_of: datetime
) -> dict[str, list[models.Profile]]:
    """Who was a member at ``as_of``; the profiles themselves as they are now (their history,
    recorded since migration 0016, is not read back)."""
    keys = distinct_keys(organization_ids)
    result: dict[str, list[models.Profile]] = defaultdict(list)
    if not keys:
        return result
    latest = _latest("member", as_of, History.organization_id.in_(keys)).subquery()
    rows = await session.execute(
        select(latest.c.organization_id, models.Profile)
        .join(models.Profile, models.Profile.id == latest.c.after["profile_id"].astext)
        .where(latest.c.after.is_not(None))
        .order_by(latest.c.organization_id, models.Profile.id)
    )
    for organization_id, profile in rows:
        result[organization_id].append(profile)
    return result
