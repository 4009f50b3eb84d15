"""Batch reads: every function takes many keys and costs one SQL statement.

DataLoaders (GraphQL) and the REST renderer both read through these, so a page of N
organizations costs a constant number of statements whatever N and the tree depth.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVarTuple

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    Select,
    String,
    and_,
    any_,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from orgql.core.common.ids import distinct_keys
from orgql.core.common.names import text_key
from orgql.core.inheritance.effective_filter import EffectiveSiteFilter, effective_condition
from orgql.core.organizations import membership, query_sql
from orgql.core.organizations.query_filter import Expression
from orgql.core.organizations.sorting import SortKey
from orgql.db import models

Ts = TypeVarTuple("Ts")


@dataclass(frozen=True)
class OrganizationFilter:
    name_contains: str | None = None
    name_equals: str | None = None
    name_starts_with: str | None = None
    parent_id: str | None = None
    roots_only: bool = False
    active: bool | None = None
    customer_type: str | None = None
    type: str | None = None
    #: Only descendants (at any depth) of this organization.
    ancestor_id: str | None = None
    #: With ``ancestor_id``: only descendants at most this many levels below it (1: children).
    max_depth: int | None = None
    #: Only organizations whose per-site values in effect match (core.inheritance.effective_filter).
    effective: EffectiveSiteFilter | None = None
    #: Only organizations this profile is a member of (a shopper's reads; see core.access.checks).
    member_profile_id: str | None = None
    #: Values an inactive organization is filtered as not having (a shopper's reads: a
    #: deactivated account shows them none, so no filter may reveal them; core.access.checks).
    withheld_when_inactive: frozenset[str] = frozenset()
    #: Exact look-ups by the account's keys in other systems (GraphQL filters, REST ``q``).
    external_organization_id: str | None = None
    unique_id: str | None = None
    duns_number: str | None = None
    party_number: str | None = None
    #: The REST list's ``q`` (core.organizations.query_filter), as parsed.
    expression: Expression | None = None


@dataclass(frozen=True)
class OrganizationPage:
    items: list[models.Organization]
    has_next: bool
    #: With ``with_ancestors``: the ancestors of the page's organizations (any order).
    ancestors: list[models.Organization] = field(default_factory=list)


async def organizations_by_id(
    session: AsyncSession, ids: Iterable[str]
) -> dict[str, models.Organization]:
    keys = distinct_keys(ids)
    if not keys:
        return {}
    rows = await session.scalars(
        select(models.Organization).where(models.Organization.id.in_(keys))
    )
    return {row.id: row for row in rows}


async def addresses_by_id(session: AsyncSession, ids: Iterable[str]) -> dict[str, models.Address]:
    keys = distinct_keys(ids)
    if not keys:
        return {}
    rows = await session.scalars(select(models.Address).where(models.Address.id.in_(keys)))
    return {row.id: row for row in rows}


async def addresses_by_organization(
    session: AsyncSession, organization_ids: Iterable[str]
) -> dict[str, list[models.Address]]:
    keys = distinct_keys(organization_ids)
    result: dict[str, list[models.Address]] = defaultdict(list)
    if keys:
        rows = await session.scalars(
            select(models.Address)
            .where(models.Address.organization_id.in_(keys))
            .order_by(models.Address.organization_id, models.Address.id)
        )
        for row in rows:
            assert row.organization_id is not None
            result[row.organization_id].append(row)
    return result


async def roles_by_organization(
    session: AsyncSession, organization_ids: Iterable[str]
) -> dict[str, list[models.RelativeRole]]:
    keys = distinct_keys(organization_ids)
    result: dict[str, list[models.RelativeRole]] = defaultdict(list)
    if keys:
        rows = await session.scalars(
            select(models.RelativeRole)
            .where(models.RelativeRole.organization_id.in_(keys))
            .order_by(models.RelativeRole.organization_id, models.RelativeRole.id)
        )
        for row in rows:
            result[row.organization_id].append(row)
    return result


async def members_by_organization(
    session: AsyncSession, organization_ids: Iterable[str]
) -> dict[str, list[models.Profile]]:
    keys = distinct_keys(organization_ids)
    result: dict[str, list[models.Profile]] = defaultdict(list)
    if keys:
        member = models.OrganizationMember
        rows = await session.execute(
            select(member.organization_id, models.Profile)
            .join(models.Profile, models.Profile.id == member.profile_id)
            .where(member.organization_id.in_(keys))
            .order_by(member.organization_id, models.Profile.id)
        )
        for organization_id, profile in rows:
            result[organization_id].append(profile)
    return result


async def existing_ids(
    session: AsyncSession, column: InstrumentedAttribute[str], ids: Sequence[str]
) -> set[str]:
    """Which of ``ids`` exist in the primary-key ``column`` (one statement). ``= ANY`` of one
    bound array: any number of ids, where ``IN`` binds one parameter each (asyncpg takes at
    most 32,767)."""
    if not ids:
        return set()
    wanted = literal(list(ids), ARRAY(String))
    return set(await session.scalars(select(column).where(column == any_(wanted))))


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filtered(statement: Select[*Ts], where: OrganizationFilter) -> Select[*Ts]:
    """``statement`` (over ``organizations``) narrowed to the rows ``where`` admits."""
    org = models.Organization
    conditions = descendant_conditions(where.ancestor_id, where.max_depth)
    if where.name_contains:
        conditions.append(org.name.ilike(f"%{_escape_like(where.name_contains)}%", escape="\\"))
    if where.name_starts_with:
        conditions.append(org.name.ilike(f"{_escape_like(where.name_starts_with)}%", escape="\\"))
    if where.name_equals is not None:
        conditions.append(org.name_key == text_key(where.name_equals))
    if where.parent_id is not None:
        conditions.append(org.parent_id == where.parent_id)
    if where.roots_only:
        conditions.append(org.parent_id.is_(None))
    if where.active is not None:
        conditions.append(org.active.is_(where.active))
    if where.customer_type is not None:
        conditions.append(org.customer_type == where.customer_type)
    if where.type is not None:
        conditions.append(org.type == where.type)
    if where.effective is not None:
        conditions.append(_effective(where.effective, where.withheld_when_inactive))
    if where.member_profile_id is not None:
        conditions.append(membership.member_of(org, where.member_profile_id))
    for column in ("external_organization_id", "unique_id", "duns_number", "party_number"):
        if (value := getattr(where, column)) is not None:
            conditions.append(getattr(org, column) == value)
    if where.expression is not None:
        conditions.append(query_sql.condition(where.expression))
    return statement.where(and_(*conditions)) if conditions else statement


def _effective(where: EffectiveSiteFilter, withheld: frozenset[str]) -> ColumnElement[bool]:
    """``where``'s condition on effective values; an inactive organization is tested as
    having no contract when the contract is ``withheld`` from the caller."""
    org = models.Organization
    if "contract_id" not in withheld or (where.contract_id is None and where.has_contract is None):
        return effective_condition(org, where)
    active = and_(org.active.is_(True), effective_condition(org, where))
    if where.contract_id is not None or where.has_contract:
        return active  # "no contract" matches neither a given contract nor "some contract"
    others = replace(where, has_contract=None)
    return or_(active, and_(org.active.is_(False), effective_condition(org, others)))


def descendant_conditions(
    ancestor: ColumnElement[str] | str | None, max_depth: int | None
) -> list[ColumnElement[bool]]:
    """Organizations below ``ancestor`` (an id or a column), at most ``max_depth`` levels.

    ``path @> ARRAY[ancestor]`` is what the GIN index on ``path`` answers."""
    if ancestor is None:
        return []
    org = models.Organization
    wanted = postgresql.array([ancestor], type_=org.path.type.item_type)
    conditions: list[ColumnElement[bool]] = [org.path.contains(wanted)]
    if max_depth is not None:
        # path is root first: the ancestor at position p has its children at cardinality p.
        depth = func.cardinality(org.path) - func.array_position(org.path, ancestor) + 1
        conditions.append(depth <= max_depth)
    return conditions


async def organization_page(
    session: AsyncSession,
    where: OrganizationFilter,
    *,
    limit: int,
    after_id: str | None = None,
    offset: int = 0,
    with_ancestors: bool = False,
    sort: Sequence[SortKey] = (),
) -> OrganizationPage:
    """Organizations ordered by id: keyset after ``after_id`` (GraphQL) or ``offset`` (REST).

    ``with_ancestors``: their ancestors too, in the same statement (by the stored paths), so
    that a page's hierarchy and derived values cost no statement of their own. ``sort``
    (REST, with ``offset``): ordered by those keys, then by id."""
    org = models.Organization
    if with_ancestors:
        return await _page_with_ancestors(session, where, limit, after_id, offset)
    order = query_sql.order_by(list(sort)) if sort else [org.id]
    statement = filtered(select(org), where).order_by(*order).limit(limit + 1)
    if after_id is not None:
        statement = statement.where(org.id > after_id)
    if offset:
        statement = statement.offset(offset)
    rows: list[models.Organization] = list(await session.scalars(statement))
    return OrganizationPage(items=rows[:limit], has_next=len(rows) > limit)


async def _page_with_ancestors(
    session: AsyncSession, where: OrganizationFilter, limit: int, after_id: str | None, offset: int
) -> OrganizationPage:
    org = models.Organization
    position = func.row_number().over(order_by=org.id).label("position")
    page_query = filtered(select(org.id, org.path, position), where)
    page_query = page_query.order_by(org.id).limit(limit + 1)
    if after_id is not None:
        page_query = page_query.where(org.id > after_id)
    if offset:
        page_query = page_query.offset(offset)
    page = page_query.cte("page")
    on_page = select(org, page.c.position).join(page, page.c.id == org.id)
    ancestors = select(org, null().cast(BigInteger).label("position")).where(
        org.id.in_(select(func.unnest(page.c.path)))
    )
    statement = select(org, literal_column("position")).from_statement(
        union_all(on_page, ancestors)
    )
    found = (await session.execute(statement)).all()
    rows = [row for row, _ in sorted((r for r in found if r[1] is not None), key=lambda r: r[1])]
    return OrganizationPage(
        items=rows[:limit],
        has_next=len(rows) > limit,
        ancestors=[row for row, place in found if place is None],
    )


async def count_organizations(session: AsyncSession, where: OrganizationFilter) -> int:
    org = models.Organization
    statement = filtered(select(func.count()).select_from(org), where)
    return int(await session.scalar(statement) or 0)


async def children_pages(
    session: AsyncSession, parent_ids: Iterable[str], *, limit: int, after_id: str | None
) -> dict[str, OrganizationPage]:
    """A page of children (ordered by id, after ``after_id``) for each parent, one statement:
    row_number() per parent keeps at most ``limit + 1`` rows of each."""
    keys = distinct_keys(parent_ids)
    if not keys:
        return {}
    org = models.Organization
    position = func.row_number().over(partition_by=org.parent_id, order_by=org.id)
    ranked = select(org.id.label("child_id"), position.label("position")).where(
        org.parent_id.in_(keys)
    )
    if after_id is not None:
        ranked = ranked.where(org.id > after_id)
    wanted = ranked.subquery()
    rows = await session.scalars(
        select(org)
        .join(wanted, wanted.c.child_id == org.id)
        .where(wanted.c.position <= limit + 1)
        .order_by(org.parent_id, org.id)
    )
    grouped: dict[str, list[models.Organization]] = defaultdict(list)
    for row in rows:
        assert row.parent_id is not None
        grouped[row.parent_id].append(row)
    return {
        parent: OrganizationPage(
            items=grouped[parent][:limit], has_next=len(grouped[parent]) > limit
        )
        for parent in keys
    }


async def children_counts(session: AsyncSession, parent_ids: Iterable[str]) -> dict[str, int]:
    keys = distinct_keys(parent_ids)
    if not keys:
        return {}
    org = models.Organization
    rows = await session.execute(
        select(org.parent_id, func.count()).where(org.parent_id.in_(keys)).group_by(org.parent_id)
    )
    counts = dict.fromkeys(keys, 0)
    counts.update({parent: int(count) for parent, count in rows if parent is not None})
    return counts
