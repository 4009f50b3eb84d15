"""Organization queries and mutations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import strawberry
from graphql import GraphQLError

from orgql.core.common.errors import Codes, OrgqlError
from orgql.core.history import point_in_time
from orgql.core.organizations import service as organizations
from orgql.core.organizations.input import parse_new_organization
from orgql.core.sites import repository as site_reads
from orgql.graphql.context import Info
from orgql.graphql.errors import public_error, site_argument, user_errors_of
from orgql.graphql.organizations.connections import (
    OrganizationConnection,
    OrganizationFilter,
    organization_connection,
)
from orgql.graphql.organizations.inputs import (
    REFERENCE_NAMES,
    CreateOrganizationInput,
    create_organization_document,
    input_field,
)
from orgql.graphql.organizations.types import Organization
from orgql.graphql.permissions import ADMIN, SIGNED_IN
from orgql.graphql.types import Site, UserError


async def _organization_as_of(
    info: Info, organization_id: str, as_of: datetime
) -> Organization | None:
    """The organization and its ancestors of the time in one statement; their fields then
    read through the loaders of that instant."""
    chain = await info.context.run(
        lambda session: point_in_time.chain_as_of(session, organization_id, as_of)
    )
    if chain is None:
        return None
    loaders = info.context.loaders_at(as_of)
    for row in chain:
        loaders.organization_by_id.prime(row.id, row)
    loaders.chain_by_id.prime(organization_id, chain)
    return Organization.from_row(chain[0], chain, context=info.context, as_of=as_of)


@strawberry.type
class OrganizationQueries:
    @strawberry.field(
        description="One organization by id; null if there is none (for a shopper: also"
        " when they are not a member of it, ancestors of their accounts included).",
        permission_classes=SIGNED_IN,
    )
    async def organization(
        self,
        info: Info,
        id: strawberry.ID,
        as_of: Annotated[
            datetime | None,
            strawberry.argument(
                description="Admins: the organization as it was at this instant (with a time"
                " zone offset): own, derived and site values, addresses, ancestors and members"
                " from its history; null before it existed. Absent or in the future: now."
            ),
        ] = None,
    ) -> Organization | None:
        principal = info.context.principal
        if as_of is not None and as_of.tzinfo is None:
            raise public_error(
                OrgqlError(Codes.INVALID_INPUT, "asOf needs a time zone offset", "asOf")
            )
        if as_of is not None:
            try:
                as_of = as_of.astimezone(UTC)  # 0001-01-01T00:00+14:00 is before year 1
            except OverflowError:
                raise public_error(
                    OrgqlError(
                        Codes.INVALID_INPUT,
                        "asOf is outside the years 1 to 9999 once in UTC",
                        "asOf",
                    )
                ) from None
        if as_of is not None and as_of < datetime.now(UTC):
            if not principal.is_admin:
                raise GraphQLError(
                    "a point-in-time read needs an admin access token",
                    extensions={"code": "FORBIDDEN"},
                )
            return await _organization_as_of(info, str(id), as_of)
        # An ancestor of the shopper's accounts is not read by id: its breadcrumb (id, name)
        # comes with the account below it (core.access.checks).
        seen = await info.context.access()
        if not (seen.may_read(str(id)) or seen.lenders):
            return None
        row = await info.context.loaders.organization_by_id.load(str(id))
        if row is None or not seen.may_read(row.id, row.path):
            return None
        return Organization.from_row(row, context=info.context, view=seen.view(row))

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
        return [Site.from_row(row) for row in await info.context.run(site_reads.all_sites)]


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
    ) -> CreateOrganizationPayload | None:
        site_id = str(site) if site is not None else info.context.site_header
        try:
            document, dynamic = create_organization_document(input)
            async with info.context.unit_of_work() as session:
                new = parse_new_organization(document, dynamic, names=REFERENCE_NAMES)
                created = await organizations.create_with_chain(session, new, site_id=site_id)
        except OrgqlError as error:
            return CreateOrganizationPayload(
                organization=None,
                user_errors=user_errors_of(error, site_argument(site, input_field)),
            )
        # The row as written (its path and version returned by the insert) and its chain
        # (the parent's, read by the create): the payload's fields need not read them again.
        row = created.organization
        info.context.loaders.organization_by_id.prime(row.id, row)
        info.context.loaders.chain_by_id.prime(row.id, created.chain)
        return CreateOrganizationPayload(
            organization=Organization.from_row(row, context=info.context), user_errors=[]
        )
