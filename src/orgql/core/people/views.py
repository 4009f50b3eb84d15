"""A contact as both transports show it: its values, its parent and secondary organizations
and the roles it holds, read for a page of contacts in a constant number of statements."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.access import permissions
from orgql.core.access.principals import Principal
from orgql.core.people import repository
from orgql.core.people.repository import HeldRole
from orgql.core.people.roles import RoleFunction
from orgql.db import models


@dataclass(frozen=True)
class OrganizationRef:
    id: str
    name: str


@dataclass(frozen=True)
class ContactView:
    profile: models.Profile
    parent: OrganizationRef | None
    secondary: list[OrganizationRef]
    #: By organization id, then in the order of :class:`RoleFunction`.
    roles: list[HeldRole]


def _role_order(role: HeldRole) -> tuple[str, int]:
    order = list(RoleFunction)
    function = RoleFunction(role.function) if role.function in set(RoleFunction) else None
    return role.organization_id, order.index(function) if function else len(order)


async def load_views(
    session: AsyncSession, profiles: Sequence[models.Profile]
) -> list[ContactView]:
    """Views of ``profiles``, in their order (three statements, whatever their number)."""
    ids = [p.id for p in profiles]
    if not ids:
        return []
    members = await repository.memberships(session, ids)
    held = await repository.held_roles(session, ids)
    wanted = {org for orgs in members.values() for org in orgs}
    wanted |= {p.parent_organization_id for p in profiles if p.parent_organization_id}
    names = await repository.organization_names(session, sorted(wanted))
    views = []
    for profile in profiles:
        parent_id = profile.parent_organization_id
        parent = OrganizationRef(parent_id, names[parent_id]) if parent_id in names else None
        secondary = [
            OrganizationRef(org, names[org])
            for org in members.get(profile.id, [])
            if org != parent_id and org in names
        ]
        roles = sorted((r for r in held if r.profile_id == profile.id), key=_role_order)
        views.append(ContactView(profile, parent, secondary, roles))
    return views


async def load_view(session: AsyncSession, profile: models.Profile) -> ContactView:
    (view,) = await load_views(session, [profile])
    return view


async def shown_to(session: AsyncSession, principal: Principal, view: ContactView) -> ContactView:
    """``view`` as ``principal`` may see it: a shopper (who sees nothing of an account they
    are not a member of, DOMAIN.md) sees the contact's parent, secondary organizations and
    roles in their accounts only; the others are left out (a parent of another account
    reads as none). One statement for a shopper; the merchant admin sees it whole."""
    if principal.is_admin:
        return view
    subject = principal.subject if principal.is_shopper else None
    wanted = {*(ref.id for ref in view.secondary), *(role.organization_id for role in view.roles)}
    if view.parent is not None:
        wanted.add(view.parent.id)
    mine = await permissions.standings(session, subject, sorted(wanted)) if subject else {}
    return dataclasses.replace(
        view,
        parent=view.parent if view.parent is not None and view.parent.id in mine else None,
        secondary=[ref for ref in view.secondary if ref.id in mine],
        roles=[role for role in view.roles if role.organization_id in mine],
    )
