"""What a caller may read: object-level checks, in one place.

Admins read everything. A shopper reads the organizations their profile is a member of and
nothing else: any other id is answered exactly as an id that does not exist. Anonymous
callers read no organization.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core import organizations, repository
from orgql.core.principals import Principal
from orgql.db import models

#: Matches no organization id (ids are never empty): the filter of a caller who may read none.
_NOTHING = ""


def scoped_filter(
    principal: Principal, where: repository.OrganizationFilter
) -> repository.OrganizationFilter:
    """``where``, narrowed to what ``principal`` may read."""
    if principal.is_admin:
        return where
    member = principal.subject if principal.is_shopper and principal.subject else _NOTHING
    return dataclasses.replace(where, member_profile_id=member)


async def readable_ids(session: AsyncSession, principal: Principal, ids: Iterable[str]) -> set[str]:
    """Those of ``ids`` the caller may read (for an admin: all of them, without a query)."""
    wanted = set(ids)
    if principal.is_admin:
        return wanted
    if not principal.is_shopper or not principal.subject or not wanted:
        return set()
    member = models.OrganizationMember
    rows = await session.scalars(
        select(member.organization_id).where(
            member.profile_id == principal.subject, member.organization_id.in_(wanted)
        )
    )
    return set(rows)


async def get_organization(
    session: AsyncSession, principal: Principal, organization_id: str
) -> models.Organization:
    """The organization, if the caller may read it; else the 100001 of a missing id."""
    if organization_id not in await readable_ids(session, principal, [organization_id]):
        raise organizations.not_found(organization_id)  # the very answer of a missing id
    return await organizations.get(session, organization_id)
