"""An organization's update with its members: ``PUT /ccadmin/v1/organizations/{id}`` with
``members`` (the vendor's updateOrganization takes both in one body)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.access.principals import Principal
from orgql.core.organizations import updates
from orgql.core.organizations.changes import OrganizationChanges
from orgql.core.organizations.updates import UpdateResult
from orgql.core.people import memberships


async def update_with_members(
    session: AsyncSession,
    organization_id: str,
    changes: OrganizationChanges,
    members: list[str],
    *,
    principal: Principal,
    expected_version: int | frozenset[int] | None = None,
    site_id: str | None = None,
) -> UpdateResult:
    """:func:`updates.update`, then ``members`` (profile ids) made the organization's members
    (:func:`memberships.replace_members`: its rules, codes and events), in the caller's
    transaction: the organization's version after both.

    The rows of the contacts who leave are locked before the organization's: every write of
    one contact locks its row before any organization's, so a concurrent revocation of a
    leaving contact's role waits instead of deadlocking with this update."""
    await memberships.lock_leaving(session, organization_id, members)
    result = await updates.update(
        session, organization_id, changes, expected_version=expected_version, site_id=site_id
    )
    await memberships.replace_members(session, result.organization.id, members, principal=principal)
    await session.refresh(result.organization, ["version"])
    return result
