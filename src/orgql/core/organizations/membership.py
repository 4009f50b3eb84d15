"""Who is a member of an organization: one SQL rule, used by every read and by the roles.

DOMAIN.md, "The people of an account": a contact is a member of its parent and secondary
organizations; an inactive contact counts for nothing. Whether an admin of a parent acts in
its divisions is a setting per account (``organizations.roles_apply_to_divisions``, off by
default): a member of an organization that has it set is a member of every organization
below it too, holding its roles there (core.access.permissions).

So a profile's *sources* are the organizations it is itself a member of (:func:`sources`),
and a source *reaches* an organization when it is that organization, or lends its members
to its divisions and is on the organization's stored path (:func:`reaches`).
:func:`member_of` is the same rule as a condition on an organization row, written so that
PostgreSQL answers it from indexes (the primary key and the GIN index on ``path``) without
reading any subtree: an account may have 100,000 divisions; :func:`member_of_one` is it for
one row read by id.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import ColumnElement, Select, and_, any_, func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from orgql.db import models


def sources(profile_id: str | ColumnElement[str]) -> Select[str, bool]:
    """The organizations ``profile_id`` is itself a member of, if that profile is active,
    each with whether it lends its members to its divisions. A bound parameter as
    ``profile_id``: the GraphQL page plans write this into their statements."""
    member = models.OrganizationMember
    org = aliased(models.Organization, name="source")  # never correlated with a row outside
    return (
        select(member.organization_id, org.roles_apply_to_divisions)
        .join(models.Profile, models.Profile.id == member.profile_id)
        .join(org, org.id == member.organization_id)
        .where(member.profile_id == profile_id, models.Profile.active.is_(True))
    )


def reaches(
    source_id: ColumnElement[str],
    lends: ColumnElement[bool],
    target: Any,
) -> ColumnElement[bool]:
    """Whether membership of the source organization (``source_id``, ``lends``: its
    ``roles_apply_to_divisions``) makes one a member of ``target`` (an Organization
    entity or alias: ``models.Organization`` or an ``aliased`` one)."""
    return or_(source_id == target.id, and_(lends, source_id == any_(target.path)))


def member_of(org: Any, profile_id: str | ColumnElement[str]) -> ColumnElement[bool]:
    """Whether ``profile_id`` is a member of the organization row ``org`` (:func:`reaches`
    of any of its :func:`sources`, as a set).

    The set is one array computed once per statement (an init plan): the sources, and the
    organizations whose path holds a lending source (the GIN index on ``path``); the row is
    tested with ``id = ANY(array)``, which the primary key answers in id order, so a page
    reads only its own rows. (An ``OR`` of two conditions, or an ``IN`` of their union, let
    PostgreSQL's generic plan walk the whole primary key: 100 ms on 200,000 organizations
    for a page a shopper of 100 scattered accounts reads in 0.3 ms this way.) The sources
    are a CTE of the array's own subquery, read once for both of their uses (as a
    subquery, twice: two primary-key lookups per membership, 0.14 ms of a shopper's page
    of 100, issue 16)."""
    mine = sources(profile_id).cte("mine", nesting=True)
    below = aliased(models.Organization, name="below")
    lending = select(mine.c.organization_id).where(mine.c.roles_apply_to_divisions.is_(True))
    members = union_all(
        select(mine.c.organization_id),
        select(below.id).where(below.path.overlap(func.array(lending.scalar_subquery()))),
    )
    return cast(ColumnElement[bool], org.id == any_(func.array(members.scalar_subquery())))


def member_of_one(org: Any, profile_id: str | ColumnElement[str]) -> ColumnElement[bool]:
    """Whether ``profile_id`` is a member of the organization row ``org``, as an EXISTS over
    its :func:`sources` (:func:`reaches` of any of them): for one row read by id, where
    :func:`member_of` would build the array of every member organization (all the divisions
    below a lending source) to test one id against it."""
    mine = sources(profile_id).subquery("mine")
    return (
        select(mine.c.organization_id)
        .where(reaches(mine.c.organization_id, mine.c.roles_apply_to_divisions, org))
        .exists()
    )


async def member_sources(
    session: AsyncSession, profile_id: str
) -> dict[str, tuple[list[str], bool]]:
    """The organizations an active profile is itself a member of, each with its path (its
    ancestors' ids, root first) and whether it lends its members to its divisions: one
    statement (what core.access.checks and core.events.audience keep per caller)."""
    if "\x00" in profile_id:  # cannot be stored, so is no profile
        return {}
    org = models.Organization
    mine = sources(profile_id).subquery()
    rows = await session.execute(
        select(org.id, org.path, org.roles_apply_to_divisions).where(
            org.id.in_(select(mine.c.organization_id))
        )
    )
    return {organization_id: (list(path), lends) for organization_id, path, lends in rows}
