"""What a subtree inherits, and what a change does to it.

A change to an organization (a value cleared or set, a move under another parent) changes
the derived values of its descendants that inherit from it, and their effective per-site
values. :func:`snapshot_subtree` reads those values for a whole subtree; :func:`diff` compares
two snapshots. A dry run takes one snapshot, applies the change inside a SAVEPOINT, takes
another and rolls the savepoint back; an "effective value changed" event is the same diff
with the change kept.

Rules are those of :mod:`inheritance` (DOMAIN.md, "Derived values"). A snapshot costs two
statements whatever the subtree's size and depth: the subtree comes from the GIN-indexed
``path`` (every organization whose path holds the root), the ancestors from the root's path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Row, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.inheritance import fields
from orgql.core.inheritance.fields import DERIVED_COLUMNS, SITE_COLUMNS
from orgql.core.inheritance.rules import derive_site_value, first_set
from orgql.db import models

#: Column -> OCC field name of the derived value (createOrganization's response).
DERIVED_FIELDS = {f.column: f.name for f in fields.ORGANIZATION_FIELDS}
#: Column -> OCC field name of the value in effect on a site (own, else inherited).
SITE_FIELDS = {f.column: f.name for f in fields.SITE_FIELDS}


@dataclass(frozen=True)
class EffectiveValues:
    """What one organization shows that it may inherit.

    ``derived``: OCC derived field -> value (addresses and contracts by id).
    ``sites``: site id -> OCC field -> value in effect on that site, for every site on which
    the organization or an ancestor sets a value.
    """

    derived: Mapping[str, object]
    sites: Mapping[str, Mapping[str, object]]


@dataclass(frozen=True)
class ValueChange:
    """One derived or effective value of one organization that differs between snapshots.
    ``site_id`` is None for the derived organization values, the site for per-site values."""

    organization_id: str
    field: str
    site_id: str | None
    before: object
    after: object


async def snapshot_subtree(session: AsyncSession, root_id: str) -> dict[str, EffectiveValues]:
    """The effective values of ``root_id`` and of every descendant, by organization id,
    root first then by depth and id. Two statements, whatever the subtree's size.

    Columns are read as plain rows, not ORM objects: inside a savepoint the session's
    identity map may hold paths that a move has just rewritten in the database."""
    org = models.Organization
    # Cast: ``= ANY((SELECT ...))`` alone would compare with each row of the subquery.
    root_path = cast(select(org.path).where(org.id == root_id).scalar_subquery(), org.path.type)
    in_scope = or_(
        org.id == root_id,
        org.path.contains([root_id]),
        org.id == func.any(root_path),
    )
    columns = [getattr(org, column) for column in DERIVED_COLUMNS]
    rows = (await session.execute(select(org.id, org.path, *columns).where(in_scope))).all()
    table = models.SiteOrganizationProperties
    site_rows = (
        await session.execute(
            select(table.organization_id, table.site_id, *(getattr(table, c) for c in SITE_COLUMNS))
            .where(table.organization_id.in_(select(org.id).where(in_scope)))
            .order_by(table.site_id)
        )
    ).all()

    by_id: dict[str, Row[tuple[object, ...]]] = {row.id: row for row in rows}
    own_by_site: dict[str, dict[str, Row[tuple[object, ...]]]] = {}
    for site_row in site_rows:
        own_by_site.setdefault(site_row.site_id, {})[site_row.organization_id] = site_row
    subtree = sorted(
        (row for row in rows if row.id == root_id or root_id in row.path),
        key=lambda row: (len(row.path), row.id),
    )
    return {row.id: _values(row, by_id, own_by_site) for row in subtree}


def _values(
    row: Row[tuple[object, ...]],
    by_id: Mapping[str, Row[tuple[object, ...]]],
    own_by_site: Mapping[str, Mapping[str, Row[tuple[object, ...]]]],
) -> EffectiveValues:
    chain = [row, *(by_id[a] for a in reversed(row.path) if a in by_id)]
    chain_ids = [member.id for member in chain]
    derived = {name: _first_set(chain, column) for column, name in DERIVED_FIELDS.items()}
    sites: dict[str, dict[str, object]] = {}
    for site_id, own in own_by_site.items():
        if not any(member in own for member in chain_ids):
            continue
        sites[site_id] = {
            name: derive_site_value(
                chain_ids,
                {member: getattr(own[member], column) for member in chain_ids if member in own},
            ).value
            for column, name in SITE_FIELDS.items()
        }
    return EffectiveValues(derived=derived, sites=sites)


def _first_set(chain: Sequence[Row[tuple[object, ...]]], column: str) -> object:
    def value_of(member: Row[tuple[object, ...]]) -> object:
        return getattr(member, column)

    def id_of(member: Row[tuple[object, ...]]) -> str:
        return str(member.id)

    return first_set(chain, value_of, id_of).value


def diff(
    before: Mapping[str, EffectiveValues], after: Mapping[str, EffectiveValues]
) -> list[ValueChange]:
    """Every value that differs, organization by organization in ``after``'s order, derived
    values first, then per site by site id. A value on a site that only one snapshot lists is
    None in the other (nothing in effect there). Only organizations in both snapshots are
    compared: one that entered or left the subtree meanwhile was moved by someone else (the
    move lock prevents it; this is the defence in depth), not changed by this change."""
    changes: list[ValueChange] = []
    for org_id, new in after.items():
        old = before.get(org_id)
        if old is None:
            continue
        for name in DERIVED_FIELDS.values():
            _compare(changes, org_id, name, None, old.derived.get(name), new.derived.get(name))
        for site_id in sorted(set(old.sites) | set(new.sites)):
            old_site, new_site = old.sites.get(site_id, {}), new.sites.get(site_id, {})
            for name in SITE_FIELDS.values():
                _compare(changes, org_id, name, site_id, old_site.get(name), new_site.get(name))
    return changes


def _compare(
    changes: list[ValueChange],
    org_id: str,
    name: str,
    site_id: str | None,
    old: object,
    new: object,
) -> None:
    if _normal(old) != _normal(new):
        changes.append(ValueChange(org_id, name, site_id, old, new))


def _normal(value: object) -> object:
    # ARRAY columns come back as lists; compare them as lists whatever the driver returns.
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else value
