"""The SQL of the people domain: contacts, their memberships and the roles they hold."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.emails import same_email
from orgql.core.common.sorting import SortKey, order_by
from orgql.core.common.validation import is_storable_text
from orgql.core.people.roles import RoleFunction
from orgql.db import models

_PROFILE, _MEMBER = models.Profile, models.OrganizationMember
_ROLE, _HELD = models.RelativeRole, models.ProfileRole


async def profile(
    session: AsyncSession, profile_id: str, *, lock: bool = False
) -> models.Profile | None:
    """The contact, or None; ``lock``: its row locked until the transaction ends (writes of one
    contact serialize)."""
    if not is_storable_text(profile_id):
        return None
    query = select(_PROFILE).where(_PROFILE.id == profile_id)
    if lock:  # the row as locked, over what the session read of it before
        query = query.with_for_update().execution_options(populate_existing=True)
    found: models.Profile | None = await session.scalar(query)
    return found


async def profiles_by_id(session: AsyncSession, ids: Sequence[str]) -> dict[str, models.Profile]:
    wanted = [i for i in ids if is_storable_text(i)]
    rows = await session.scalars(select(_PROFILE).where(_PROFILE.id.in_(wanted)))
    return {row.id: row for row in rows}


async def profiles(
    session: AsyncSession,
    *,
    email: str | None,
    customer_contact_id: str | None,
    limit: int,
    offset: int,
    sort: Sequence[SortKey] = (),
) -> tuple[list[models.Profile], int]:
    """A page of contacts ordered by ``sort`` then id, filtered by email (any case of the same
    letters: core.common.emails) and by external contact id; and how many match."""
    conditions = []
    if email is not None:
        conditions.append(same_email(_PROFILE.email, _PROFILE.email_key, email))
    if customer_contact_id is not None:
        conditions.append(_PROFILE.customer_contact_id == customer_contact_id)
    rows = list(
        await session.scalars(
            select(_PROFILE)
            .where(*conditions)
            .order_by(*order_by(_PROFILE, sort))
            .limit(limit)
            .offset(offset)
        )
    )
    total = await session.scalar(select(func.count()).select_from(_PROFILE).where(*conditions))
    return rows, int(total or 0)


async def memberships(session: AsyncSession, profile_ids: Sequence[str]) -> dict[str, list[str]]:
    """The organizations each contact is a member of, by id."""
    found: dict[str, list[str]] = defaultdict(list)
    rows = await session.execute(
        select(_MEMBER.profile_id, _MEMBER.organization_id)
        .where(_MEMBER.profile_id.in_(profile_ids))
        .order_by(_MEMBER.profile_id, _MEMBER.organization_id)
    )
    for profile_id, organization_id in rows:
        found[profile_id].append(organization_id)
    return found


@dataclass(frozen=True)
class HeldRole:
    """A role a contact holds: the organization's relative role of that function."""

    profile_id: str
    role_id: str
    organization_id: str
    function: str


async def held_roles(session: AsyncSession, profile_ids: Sequence[str]) -> list[HeldRole]:
    rows = await session.execute(
        select(_HELD.profile_id, _ROLE.id, _ROLE.organization_id, _ROLE.function)
        .join(_ROLE, _ROLE.id == _HELD.role_id)
        .where(_HELD.profile_id.in_(profile_ids))
        .order_by(_HELD.profile_id, _ROLE.organization_id, _ROLE.id)
    )
    return [HeldRole(*row) for row in rows]


async def organization_names(session: AsyncSession, ids: Sequence[str]) -> dict[str, str]:
    """Names of the organizations that exist among ``ids``."""
    wanted = [i for i in ids if is_storable_text(i)]
    if not wanted:
        return {}
    org = models.Organization
    rows = await session.execute(select(org.id, org.name).where(org.id.in_(wanted)))
    return {row[0]: row[1] for row in rows}


async def roles_of(
    session: AsyncSession, organization_ids: Sequence[str]
) -> dict[tuple[str, str], str]:
    """(organization id, function) -> role id, of the given organizations."""
    rows = await session.execute(
        select(_ROLE.organization_id, _ROLE.function, _ROLE.id).where(
            _ROLE.organization_id.in_(organization_ids)
        )
    )
    return {(org, function): role_id for org, function, role_id in rows}


async def role_holders(
    session: AsyncSession, organization_id: str
) -> list[tuple[models.RelativeRole, list[models.Profile]]]:
    """The organization's roles, each with the contacts holding it (by id)."""
    roles = list(
        await session.scalars(select(_ROLE).where(_ROLE.organization_id == organization_id))
    )
    holders = await holders_by_role(session, [role.id for role in roles])
    order = list(RoleFunction)
    roles.sort(key=lambda role: order.index(RoleFunction(role.function)))
    return [(role, holders[role.id]) for role in roles]


async def roles_by_id(session: AsyncSession, role_ids: Sequence[str]) -> list[models.RelativeRole]:
    """The roles with these ids, in id order."""
    wanted = [i for i in dict.fromkeys(role_ids) if "\x00" not in i]
    if not wanted:
        return []
    return list(await session.scalars(select(_ROLE).where(_ROLE.id.in_(wanted)).order_by(_ROLE.id)))


async def holders_by_role(
    session: AsyncSession, role_ids: Sequence[str]
) -> dict[str, list[models.Profile]]:
    """The contacts holding each of these roles (by id)."""
    holders: dict[str, list[models.Profile]] = defaultdict(list)
    if not role_ids:
        return holders
    rows = await session.execute(
        select(_HELD.role_id, _PROFILE)
        .join(_PROFILE, _PROFILE.id == _HELD.profile_id)
        .where(_HELD.role_id.in_(role_ids))
        .order_by(_PROFILE.id)
    )
    for role_id, holder in rows:
        holders[role_id].append(holder)
    return holders


async def lock_organizations(session: AsyncSession, organization_ids: Sequence[str]) -> None:
    """Lock the organizations' rows, in id order, until the transaction ends: the same lock
    updateSiteOrganizationProperties takes before it counts approvers, so a revocation and
    an enabling of approvalRequired (or two revocations) of one organization serialize."""
    if organization_ids:
        org = models.Organization
        await session.execute(
            select(org.id).where(org.id.in_(organization_ids)).order_by(org.id).with_for_update()
        )


async def requiring_approval(session: AsyncSession, organization_ids: Sequence[str]) -> set[str]:
    """Those of the organizations that require approval (their own approvalRequired) on a site."""
    own = models.SiteOrganizationProperties
    rows = await session.scalars(
        select(own.organization_id)
        .where(own.organization_id.in_(organization_ids), own.approval_required.is_(True))
        .distinct()
    )
    return set(rows)


async def active_approvers(
    session: AsyncSession, organization_ids: Sequence[str]
) -> dict[str, set[str]]:
    """The active contacts holding the approver role of each organization."""
    rows = await session.execute(
        select(_ROLE.organization_id, _HELD.profile_id)
        .join(_HELD, _HELD.role_id == _ROLE.id)
        .join(_PROFILE, _PROFILE.id == _HELD.profile_id)
        .where(
            _ROLE.organization_id.in_(organization_ids),
            _ROLE.function == RoleFunction.APPROVER,
            _PROFILE.active.is_(True),
        )
    )
    found: dict[str, set[str]] = defaultdict(set)
    for organization_id, profile_id in rows:
        found[organization_id].add(profile_id)
    return found
