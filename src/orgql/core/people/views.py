"""A contact as both transports show it: its values, its parent and secondary organizations
and the roles it holds, read for a page of contacts in a constant number of statements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

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
