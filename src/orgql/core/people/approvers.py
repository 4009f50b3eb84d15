"""The last approver rule (DOMAIN.md, "The people of an account"): an organization that
requires approval on a site (its own approvalRequired) keeps at least one active approver
(100083). A revocation, a removed membership and a deactivation are all checked here, under
the organizations' row locks, which updateSiteOrganizationProperties takes too before it
counts approvers: two concurrent revocations of the last two approvers, or a revocation and
an enabling of approvalRequired, serialize, and the second sees what the first committed.
"""

from __future__ import annotations

from collections.abc import Mapping, Set

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.errors import ErrorDetail, ErrorKind, OrgqlError
from orgql.core.people import repository
from orgql.core.people.codes import PeopleCodes
from orgql.core.people.roles import RoleFunction
from orgql.db import models


async def keep_an_approver(
    session: AsyncSession, leaving: Mapping[str, Set[str]], field: str | None = None
) -> None:
    """Lock the organizations of ``leaving`` (organization id -> contacts about to stop
    counting as its approvers) and refuse (100083, conflict) when one that requires approval
    would be left with no active approver by them. Call before writing."""
    organization_ids = sorted(org for org, profiles in leaving.items() if profiles)
    if not organization_ids:
        return
    await repository.lock_organizations(session, organization_ids)
    requiring = await repository.requiring_approval(session, organization_ids)
    approvers = await repository.active_approvers(session, sorted(requiring))
    details = [
        ErrorDetail(
            PeopleCodes.LAST_APPROVER,
            f"Organization {org!r} requires approval: its last active approver cannot be"
            " removed; make another contact an approver first, or turn approvalRequired off",
            field,
        )
        for org in sorted(requiring)
        if approvers[org] & leaving[org] and not approvers[org] - leaving[org]
    ]
    if details:
        raise OrgqlError.from_details(details, ErrorKind.CONFLICT)


async def active_approver_count(session: AsyncSession, organization_id: str) -> int:
    """How many active contacts hold the organization's approver role."""
    return int(await session.scalar(active_approvers(organization_id)) or 0)


def active_approvers(organization_id: str) -> Select[int]:
    """:func:`active_approver_count`'s query, for a statement that reads it on its way."""
    role, holder, profile = models.RelativeRole, models.ProfileRole, models.Profile
    return (
        select(func.count())
        .select_from(holder)
        .join(role, role.id == holder.role_id)
        .join(profile, profile.id == holder.profile_id)
        .where(
            role.organization_id == organization_id,
            role.function == RoleFunction.APPROVER,
            profile.active.is_(True),
        )
    )
