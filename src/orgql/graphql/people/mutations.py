"""Contacts, their organizations and roles: the mutations (the merchant admin, and a
shopper where their roles allow it: core.people.authority decides).

Each builds the vendor's document from its input and calls the core
(:mod:`orgql.core.people`) with the caller, so both transports validate alike; problems
come back as ``userErrors`` (codes as in REST) and change nothing. A refusal for want of a
role is no input problem: a top-level error with ``extensions.code`` FORBIDDEN, the field
null, nothing changed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.errors import OrgqlError
from orgql.core.people import contacts, grants, memberships, repository
from orgql.core.people import input as people_input
from orgql.core.people.input import RoleRef
from orgql.core.people.roles import RoleFunction
from orgql.core.people.views import load_view, shown_to
from orgql.graphql.context import Info
from orgql.graphql.errors import Named, argument_paths, user_errors_of
from orgql.graphql.people.types import Contact
from orgql.graphql.permissions import SIGNED_IN
from orgql.graphql.types import Profile, UserError

UNSET: Any = strawberry.UNSET


@strawberry.input(description="A new contact; email is required and unique (any case).")
class CreateContactInput:
    email: str
    first_name: str | None = None
    last_name: str | None = None
    customer_contact_id: str | None = None
    party_id: str | None = None
    party_number: str | None = None
    receive_email: bool | None = None
    parent_organization_id: strawberry.ID | None = None
    secondary_organization_ids: list[strawberry.ID] | None = None


@strawberry.input(description="The values to change: a field left out is unchanged.")
class UpdateContactInput:
    email: str | None = UNSET
    first_name: str | None = UNSET
    last_name: str | None = UNSET
    customer_contact_id: str | None = UNSET
    party_id: str | None = UNSET
    party_number: str | None = UNSET
    receive_email: bool | None = UNSET


@strawberry.input(description="A role of an organization the contact is a member of.")
class RoleInput:
    function: RoleFunction
    organization_id: strawberry.ID


_KEYS = {
    "first_name": "firstName",
    "last_name": "lastName",
    "customer_contact_id": "customerContactId",
    "party_id": "partyId",
    "party_number": "partyNumber",
    "receive_email": "receiveEmail",
    "email": "email",
}
#: What the mutations' arguments call the organizations the core reads (its messages say
#: these names), and the core's (REST) error paths named as each mutation's arguments do.
_CREATE_NAMES = {
    "parentOrganization": "parentOrganizationId",
    "secondaryOrganizations": "secondaryOrganizationIds",
}
_CREATE = argument_paths(
    {
        "parentOrganization.id": "parentOrganizationId",
        "secondaryOrganizations[].id": "secondaryOrganizationIds[]",
    }
)
#: ``id``: the contact the core changes (the REST path's), these mutations' ``contactId``.
_SECONDARY = argument_paths(
    {
        "id": "contactId",
        "secondaryOrganizations[].id": "organizationIds[]",
        "secondaryOrganizations": "organizationIds",
    }
)
_PARENT = argument_paths({"id": "contactId", "parentOrganization.id": "organizationId"})
_ROLE_NAMES = {"relativeTo": "organizationId"}
_ROLES = argument_paths({"id": "contactId", "roles[].relativeTo.id": "roles[].organizationId"})
#: updateOrganizationMembers' list is its ``profileIds`` argument, which the core names as the
#: REST body does (an organization's ``members``).
_MEMBERS = argument_paths({"members[]": "profileIds[]"})
#: The mutations whose arguments have the core's names (updateContact's input keys).
_named = argument_paths({})


def _document(data: object) -> dict[str, object]:
    doc: dict[str, object] = {}
    for name, value in vars(data).items():
        if value is UNSET or name not in _KEYS:
            continue
        doc[_KEYS[name]] = value
    return doc


@strawberry.type
class ContactPayload:
    contact: Contact | None
    user_errors: list[UserError]


@strawberry.type
class UpdateOrganizationMembersPayload:
    members: list[Profile] | None
    user_errors: list[UserError]


async def _contact(
    info: Info, work: Callable[[AsyncSession], Awaitable[str]], named: Named = _named
) -> ContactPayload:
    """Run ``work`` (answering the contact's id) in the request's transaction; its errors'
    fields ``named`` as the mutation's arguments."""
    try:
        async with info.context.unit_of_work() as session:
            profile_id = await work(session)
            view = await load_view(session, await contacts.get(session, profile_id))
            view = await shown_to(session, info.context.principal, view)
    except OrgqlError as error:
        return ContactPayload(contact=None, user_errors=user_errors_of(error, named))
    return ContactPayload(contact=Contact.of(view), user_errors=[])


def _refs(roles: list[RoleInput]) -> list[RoleRef]:
    document = {
        "roles": [
            {"function": r.function.value, "relativeTo": {"id": str(r.organization_id)}}
            for r in roles
        ]
    }
    return people_input.parse_roles(document, _ROLE_NAMES)


async def _secondary_change(
    info: Info,
    change: Callable[..., Awaitable[object]],
    contact_id: strawberry.ID,
    organization_ids: list[strawberry.ID],
) -> ContactPayload:
    """A change of the contact's secondary organizations (core.people.memberships)."""

    async def work(session: AsyncSession) -> str:
        await change(
            session,
            str(contact_id),
            _secondary(organization_ids),
            principal=info.context.principal,
        )
        return str(contact_id)

    return await _contact(info, work, _SECONDARY)


def _secondary(ids: list[strawberry.ID]) -> list[str]:
    return people_input.parse_organization_ids(
        {"secondaryOrganizations": [{"id": str(value)} for value in ids]},
        "secondaryOrganizations",
        {"secondaryOrganizations": "organizationIds"},
    )


def _active(info: Info, active: bool) -> Callable[[AsyncSession, str], Awaitable[str]]:
    async def work(session: AsyncSession, contact_id: str) -> str:
        principal = info.context.principal
        changes: dict[str, object] = {"active": active}
        return (await contacts.update_contact(session, contact_id, changes, principal=principal)).id

    return work


@strawberry.type
class PeopleMutations:
    @strawberry.mutation(
        description="Create a contact, a member of its parent and secondary organizations.",
        permission_classes=SIGNED_IN,
    )
    async def create_contact(self, info: Info, input: CreateContactInput) -> ContactPayload | None:
        async def work(session: AsyncSession) -> str:
            document: dict[str, object] = _document(input)
            if input.parent_organization_id is not None:
                document["parentOrganization"] = {"id": str(input.parent_organization_id)}
            if input.secondary_organization_ids is not None:
                document["secondaryOrganizations"] = [
                    {"id": str(org)} for org in input.secondary_organization_ids
                ]
            principal = info.context.principal
            created = await contacts.create(
                session, document, principal=principal, names=_CREATE_NAMES
            )
            return created.id

        return await _contact(info, work, _CREATE)

    @strawberry.mutation(description="Change a contact's values.", permission_classes=SIGNED_IN)
    async def update_contact(
        self, info: Info, id: strawberry.ID, input: UpdateContactInput
    ) -> ContactPayload | None:
        async def work(session: AsyncSession) -> str:
            return (
                await contacts.update_contact(
                    session, str(id), _document(input), principal=info.context.principal
                )
            ).id

        return await _contact(info, work)

    @strawberry.mutation(
        description="Deactivate a contact: it counts for nothing (no access, no role); refused"
        " (100083) for the last active approver of an organization that requires approval.",
        permission_classes=SIGNED_IN,
    )
    async def deactivate_contact(self, info: Info, id: strawberry.ID) -> ContactPayload | None:
        return await _contact(info, lambda session: _active(info, False)(session, str(id)))

    @strawberry.mutation(description="Reactivate a contact.", permission_classes=SIGNED_IN)
    async def reactivate_contact(self, info: Info, id: strawberry.ID) -> ContactPayload | None:
        return await _contact(info, lambda session: _active(info, True)(session, str(id)))

    @strawberry.mutation(
        description="Make the contact a member of these organizations.",
        permission_classes=SIGNED_IN,
    )
    async def append_secondary_organizations(
        self, info: Info, contact_id: strawberry.ID, organization_ids: list[strawberry.ID]
    ) -> ContactPayload | None:
        return await _secondary_change(
            info, memberships.append_secondary, contact_id, organization_ids
        )

    @strawberry.mutation(
        description="End the contact's membership of these secondary organizations, with the"
        " roles held in them (100083 for an organization's last active approver).",
        permission_classes=SIGNED_IN,
    )
    async def remove_secondary_organizations(
        self, info: Info, contact_id: strawberry.ID, organization_ids: list[strawberry.ID]
    ) -> ContactPayload | None:
        return await _secondary_change(
            info, memberships.remove_secondary, contact_id, organization_ids
        )

    @strawberry.mutation(
        description="Make these the contact's secondary organizations (the others'"
        " memberships end, with their roles).",
        permission_classes=SIGNED_IN,
    )
    async def replace_secondary_organizations(
        self, info: Info, contact_id: strawberry.ID, organization_ids: list[strawberry.ID]
    ) -> ContactPayload | None:
        return await _secondary_change(
            info, memberships.replace_secondary, contact_id, organization_ids
        )

    @strawberry.mutation(
        description="Change the contact's parent organization; the old parent stays a"
        " secondary organization with its roles.",
        permission_classes=SIGNED_IN,
    )
    async def update_parent_organization(
        self, info: Info, contact_id: strawberry.ID, organization_id: strawberry.ID
    ) -> ContactPayload | None:
        async def work(session: AsyncSession) -> str:
            parent = people_input.parse_parent(
                {"parentOrganization": {"id": str(organization_id)}},
                {"parentOrganization": "organizationId"},
            )
            await memberships.update_parent(
                session, str(contact_id), parent, principal=info.context.principal
            )
            return str(contact_id)

        return await _contact(info, work, _PARENT)

    @strawberry.mutation(
        description="Grant roles of organizations the contact is a member of.",
        permission_classes=SIGNED_IN,
    )
    async def grant_roles(
        self, info: Info, contact_id: strawberry.ID, roles: list[RoleInput]
    ) -> ContactPayload | None:
        async def work(session: AsyncSession) -> str:
            await grants.grant(
                session, str(contact_id), _refs(roles), principal=info.context.principal
            )
            return str(contact_id)

        return await _contact(info, work, _ROLES)

    @strawberry.mutation(
        description="Revoke roles (one not held is no change); 100083 for the last active"
        " approver of an organization that requires approval.",
        permission_classes=SIGNED_IN,
    )
    async def revoke_roles(
        self, info: Info, contact_id: strawberry.ID, roles: list[RoleInput]
    ) -> ContactPayload | None:
        async def work(session: AsyncSession) -> str:
            await grants.revoke(
                session, str(contact_id), _refs(roles), principal=info.context.principal
            )
            return str(contact_id)

        return await _contact(info, work, _ROLES)

    @strawberry.mutation(
        description="Make these contacts the organization's members: the others' memberships"
        " end, with their roles here (100083 for the last active approver).",
        permission_classes=SIGNED_IN,
    )
    async def update_organization_members(
        self, info: Info, id: strawberry.ID, profile_ids: list[strawberry.ID]
    ) -> UpdateOrganizationMembersPayload | None:
        try:
            async with info.context.unit_of_work() as session:
                ids = people_input.parse_organization_ids(
                    {"profileIds": [str(p) for p in profile_ids]}, "profileIds"
                )
                await memberships.replace_members(
                    session, str(id), ids, principal=info.context.principal
                )
                views = await load_views_of(session, ids)
        except OrgqlError as error:
            return UpdateOrganizationMembersPayload(
                members=None, user_errors=user_errors_of(error, _MEMBERS)
            )
        return UpdateOrganizationMembersPayload(members=views, user_errors=[])


async def load_views_of(session: AsyncSession, ids: list[str]) -> list[Profile]:
    rows = await repository.profiles_by_id(session, ids)
    return [Profile.from_row(rows[profile_id]) for profile_id in ids if profile_id in rows]
