"""Contacts and roles: the queries (admin only; mutations: :mod:`.mutations`)."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.errors import OrgqlError
from orgql.core.common.paging import MAX_PAGE_SIZE
from orgql.core.people import contacts, grants, repository
from orgql.core.people.views import load_view, load_views
from orgql.graphql.context import Info
from orgql.graphql.errors import public_error
from orgql.graphql.people.types import Contact, OrganizationalRole
from orgql.graphql.permissions import ADMIN

UNSET: Any = strawberry.UNSET


@strawberry.type
class PeopleQueries:
    @strawberry.field(
        description="A contact by id; null when none has it.", permission_classes=ADMIN
    )
    async def contact(self, info: Info, id: strawberry.ID) -> Contact | None:
        async def read(session: AsyncSession) -> Contact | None:
            row = await repository.profile(session, str(id))
            return Contact.of(await load_view(session, row)) if row else None

        return await info.context.run(read)

    @strawberry.field(
        description="The contact with this email (compared case-insensitively); null when none.",
        permission_classes=ADMIN,
    )
    async def contact_by_email(self, info: Info, email: str) -> Contact | None:
        found = await _lookup(info, email=email, limit=1)
        return found[0] if found else None

    @strawberry.field(
        description=f"The contacts with this external contact id (at most {MAX_PAGE_SIZE}).",
        permission_classes=ADMIN,
    )
    async def contacts_by_customer_contact_id(
        self, info: Info, customer_contact_id: str
    ) -> list[Contact]:
        return await _lookup(info, customer_contact_id=customer_contact_id, limit=MAX_PAGE_SIZE)

    @strawberry.field(
        description="An organization's five roles with the contacts holding them"
        " (listOrganizationRoles).",
        permission_classes=ADMIN,
    )
    async def organizational_roles(
        self, info: Info, organization_id: strawberry.ID
    ) -> list[OrganizationalRole]:
        async def read(session: AsyncSession) -> list[OrganizationalRole]:
            roles = await grants.organization_roles(session, str(organization_id))
            return [OrganizationalRole.of(role, holders) for role, holders in roles]

        try:
            return await info.context.run(read)
        except OrgqlError as error:
            raise public_error(error) from None


async def _lookup(info: Info, **where: Any) -> list[Contact]:
    async def read(session: AsyncSession) -> list[Contact]:
        rows, _ = await contacts.list_page(session, **where)
        return [Contact.of(view) for view in await load_views(session, rows)]

    try:
        return await info.context.run(read)
    except OrgqlError as error:
        raise public_error(error) from None
