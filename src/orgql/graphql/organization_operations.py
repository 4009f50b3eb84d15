"""Organization queries and mutations."""

from __future__ import annotations

import strawberry

from orgql.core import access, organizations, repository
from orgql.core.errors import ErrorKind, OrgqlError
from orgql.core.organization_input import parse_new_organization
from orgql.graphql.connections import (
    OrganizationConnection,
    OrganizationFilter,
    organization_connection,
)
from orgql.graphql.context import Info
from orgql.graphql.inputs import (
    CreateOrganizationInput,
    create_organization_document,
    input_field,
)
from orgql.graphql.organization import Organization
from orgql.graphql.permissions import ADMIN, SIGNED_IN
from orgql.graphql.types import Site, UserError


@strawberry.type
class OrganizationQueries:
    @strawberry.field(
        description="One organization by id; null if there is none (for a shopper: also"
        " when they are not a member of it).",
        permission_classes=SIGNED_IN,
    )
    async def organization(self, info: Info, id: strawberry.ID) -> Organization | None:
        principal = info.context.principal
        readable = await info.context.run(
            lambda session: access.readable_ids(session, principal, [str(id)])
        )
        if not readable:
            return None
        row = await info.context.loaders.organization_by_id.load(str(id))
        return Organization.from_row(row, context=info.context) if row else None

    @strawberry.field(
        description="Organizations ordered by id, filtered, a page at a time (for a shopper:"
        " those they are a member of).",
        permission_classes=SIGNED_IN,
    )
    async def organizations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: OrganizationFilter | None = None,
    ) -> OrganizationConnection:
        return await organization_connection(info, first, after, filter)

    @strawberry.field(description="The storefront sites.")
    async def sites(self, info: Info) -> list[Site]:
        return [Site.from_row(row) for row in await info.context.run(repository.all_sites)]


@strawberry.type
class CreateOrganizationPayload:
    organization: Organization | None
    user_errors: list[UserError]


@strawberry.type
class OrganizationMutations:
    @strawberry.mutation(
        description="Create an organization. Site-specific values (contract, approval"
        " settings) go to `site`, else the x-ccsite header's site, else the default site.",
        permission_classes=ADMIN,
    )
    async def create_organization(
        self, info: Info, input: CreateOrganizationInput, site: strawberry.ID | None = None
    ) -> CreateOrganizationPayload:
        document, dynamic = create_organization_document(input)
        site_id = str(site) if site is not None else info.context.site_header
        try:
            async with info.context.unit_of_work() as session:
                new = parse_new_organization(document, dynamic)
                row = await organizations.create(session, new, site_id=site_id)
        except OrgqlError as error:
            if error.kind is ErrorKind.INTERNAL:
                raise
            return CreateOrganizationPayload(
                organization=None,
                user_errors=[UserError.from_detail(input_field(d)) for d in error.details],
            )
        return CreateOrganizationPayload(
            organization=Organization.from_row(row, context=info.context), user_errors=[]
        )
