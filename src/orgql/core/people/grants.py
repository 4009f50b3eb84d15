"""Roles: grant and revoke a contact's roles in an organization, and an organization's
roles with their holders (listOrganizationRoles).

A role is one of the organization's five relative roles (:mod:`roles`); a contact holds
roles only where it is a member (100002 otherwise). Revoking the approver role of the last
active approver of an organization that requires approval is refused (100083,
:mod:`approvers`), two concurrent revocations included.
"""

from __future__ import annotations

from sqlalchemy import delete, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.access.principals import Principal
from orgql.core.common.errors import quoted
from orgql.core.common.validation import Problems
from orgql.core.events import outbox as events
from orgql.core.people import approvers, authority, contacts, repository
from orgql.core.people.codes import PeopleCodes
from orgql.core.people.events import role
from orgql.core.people.input import RoleRef
from orgql.core.people.roles import RoleFunction
from orgql.db import models

_HELD = models.ProfileRole


async def _role_ids(
    session: AsyncSession, principal: Principal, profile: models.Profile, refs: list[RoleRef]
) -> dict[RoleRef, str]:
    """The roles' ids; a shopper: with MANAGE_CONTACTS in each organization they are
    relative to, of a contact they may see."""
    await authority.require_contact(session, principal, profile, manage=False)
    organizations = sorted({ref.organization_id for ref in refs})
    fields = [
        f"roles[{refs.index(next(r for r in refs if r.organization_id == org))}].relativeTo.id"
        for org in organizations
    ]
    await authority.check_organizations(session, principal, organizations, fields)
    await authority.require_in(session, principal, organizations, fields)
    roles = await repository.roles_of(session, organizations)
    return {ref: roles[(ref.organization_id, ref.function)] for ref in refs}


async def grant(
    session: AsyncSession, profile_id: str, refs: list[RoleRef], *, principal: Principal
) -> None:
    """Give the contact these roles (one it holds already stays; none is no change)."""
    profile = await authority.locked_contact(session, principal, profile_id)
    role_ids = await _role_ids(session, principal, profile, refs)
    members = set((await repository.memberships(session, [profile.id])).get(profile.id, []))
    problems = Problems()
    for index, ref in enumerate(refs):
        if ref.organization_id not in members:
            message = (
                f"Profile {profile.id!r} is not a member of organization"
                f" {quoted(ref.organization_id)}: add the organization to the profile first"
            )
            problems.add(PeopleCodes.INVALID_INPUT, message, f"roles[{index}].relativeTo.id")
    problems.raise_if_any()
    if not refs:  # INSERT ... VALUES of no rows is one row of NULLs in SQLAlchemy
        return
    rows = [{"profile_id": profile.id, "role_id": role_ids[ref]} for ref in refs]
    added = set(
        await session.scalars(
            insert(_HELD).values(rows).on_conflict_do_nothing().returning(_HELD.role_id)
        )
    )
    await events.emit_many(
        session,
        [
            role(True, ref.organization_id, profile.id, ref.function, role_ids[ref])
            for ref in refs
            if role_ids[ref] in added
        ],
    )


async def revoke(
    session: AsyncSession, profile_id: str, refs: list[RoleRef], *, principal: Principal
) -> None:
    """Take these roles from the contact (one it does not hold is no change); refused
    (100083) for the last active approver of an organization that requires approval."""
    profile = await authority.locked_contact(session, principal, profile_id)
    role_ids = await _role_ids(session, principal, profile, refs)
    leaving = {
        ref.organization_id: {profile.id} for ref in refs if ref.function == RoleFunction.APPROVER
    }
    await approvers.keep_an_approver(session, leaving, "roles")
    removed = set(
        await session.scalars(
            delete(_HELD)
            .where(
                tuple_(_HELD.profile_id, _HELD.role_id).in_(
                    [(profile.id, role_ids[ref]) for ref in refs]
                )
            )
            .returning(_HELD.role_id)
        )
    )
    await events.emit_many(
        session,
        [
            role(False, ref.organization_id, profile.id, ref.function, role_ids[ref])
            for ref in refs
            if role_ids[ref] in removed
        ],
    )


async def organization_roles(
    session: AsyncSession, organization_id: str
) -> list[tuple[models.RelativeRole, list[models.Profile]]]:
    """The organization's five roles with their holders (100001 when it does not exist)."""
    await contacts.require_organization(session, organization_id)
    return await repository.role_holders(session, organization_id)
