"""GraphQL types of the signed-in shopper's own view (core.viewer.service translates here)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import strawberry

from orgql.core.access.permissions import Permission, Standing
from orgql.core.people.roles import ROLE_FUNCTIONS, RoleFunction
from orgql.core.viewer import service
from orgql.db import request_models
from orgql.graphql import global_ids
from orgql.graphql.context import Context, Info
from orgql.graphql.organizations.types import Organization
from orgql.graphql.requests.types import OrganizationRequestFields
from orgql.graphql.types import Profile

strawberry.enum(
    Permission,
    name="Permission",
    description="What a shopper may do in an account, by their roles there.",
)

#: The storefront's header naming the account the shopper buys for (the vendor's
#: storefront sends it): a vendor id or an Organization's global id.
CURRENT_ORGANIZATION_HEADER = "x-ccorganization"


class ViewerReads:
    """The request's reads of the shopper's own view, each once, shared by every field that
    asks (sibling resolvers run concurrently): the profile and accounts (one statement), the
    roles in them (one more, when asked), the roles in an account past them (one more)."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self._viewer: asyncio.Future[service.Viewer] | None = None
        self._standings: asyncio.Future[dict[str, Standing]] | None = None
        #: The standings in accounts past the listed ones, each read once.
        self._standing_alone: dict[str, asyncio.Future[Standing | None]] = {}

    async def viewer(self) -> service.Viewer:
        if self._viewer is None:
            principal = self.context.principal
            self._viewer = asyncio.ensure_future(
                self.context.run(lambda session: service.load(session, principal))
            )
        return await asyncio.shield(self._viewer)

    async def current(self, chosen: str | None) -> service.Account | None:
        """The account the shopper buys for (core.viewer.service.current: no statement
        unless it is past their listed accounts)."""
        viewer = await self.viewer()
        principal = self.context.principal
        return await self.context.run(
            lambda session: service.current(session, principal, viewer, chosen)
        )

    async def standing(self, organization_id: str) -> Standing | None:
        """The shopper's roles in one of their accounts and what they allow: those of the
        listed accounts read together (one statement), an account past them alone."""
        viewer = await self.viewer()
        if viewer.account(organization_id) is None:  # past the listed (currentAccount)
            alone = self._standing_alone.get(organization_id)
            if alone is None:
                alone = self._standing_alone[organization_id] = asyncio.ensure_future(
                    self.context.run(
                        lambda session: service.standing(session, viewer, organization_id)
                    )
                )
            return await asyncio.shield(alone)
        if self._standings is None:
            self._standings = asyncio.ensure_future(
                self.context.run(lambda session: service.standings(session, viewer))
            )
        return (await asyncio.shield(self._standings)).get(organization_id)

    def organization(self, account: service.Account) -> Organization:
        """The account as the shopper sees it (core.access.checks)."""
        row = account.organization
        self.context.loaders.organization_by_id.prime(row.id, row)
        return Organization.from_row(row, context=self.context, view=account.view)


@strawberry.type(description="One of the signed-in shopper's accounts and their roles in it.")
class ViewerOrganization:
    reads: strawberry.Private[ViewerReads]
    account: strawberry.Private[service.Account]

    @strawberry.field(
        description="The account as its shopper sees it: a deactivated one with `active:"
        " false` and no contract or payment values."
    )
    def organization(self) -> Organization:
        return self.reads.organization(self.account)

    @strawberry.field(
        description="The roles the shopper holds in the account: their own, and those held"
        " in an ancestor whose roles apply to divisions."
    )
    async def roles(self) -> list[RoleFunction]:
        standing = await self.reads.standing(self.account.organization.id)
        held = standing.roles if standing is not None else frozenset()
        return [function for function in ROLE_FUNCTIONS if function.value in held]

    @strawberry.field(
        description="What those roles allow the shopper in the account (a deactivated account"
        " is only read). MANAGE_APPROVALS: on the sites where the account delegates approval"
        " management."
    )
    async def permissions(self) -> list[Permission]:
        standing = await self.reads.standing(self.account.organization.id)
        allowed = standing.permissions if standing is not None else frozenset()
        return [permission for permission in Permission if permission in allowed]


@strawberry.type(
    description="A registration request as its requester follows it: where it stands and"
    " what the approver said (the whole request is the merchant's: organizationRequest)."
)
class ShopperOrganizationRequest(OrganizationRequestFields):
    organization_id: strawberry.ID | None = strawberry.field(
        description="The account its approval created (a vendor id); null before."
    )

    @strawberry.field(description="The request's global id (the OrganizationRequest's).")
    def id(self) -> strawberry.ID:
        return global_ids.encode("OrganizationRequest", str(self.repository_id))

    @classmethod
    def from_row(cls, row: request_models.OrganizationRequest) -> ShopperOrganizationRequest:
        return cls(
            **OrganizationRequestFields.values(row),
            organization_id=strawberry.ID(row.organization_id) if row.organization_id else None,
        )


@strawberry.type(
    description="The signed-in storefront shopper: their profile, the accounts they belong"
    " to with their roles, the account they buy for, and their registration requests."
)
class Viewer:
    reads: strawberry.Private[ViewerReads]

    @strawberry.field(
        description="Their profile; null when their token names no active profile (a"
        " shopper who has not registered yet)."
    )
    async def profile(self) -> Profile | None:
        viewer = await self.reads.viewer()
        return Profile.from_row(viewer.profile) if viewer.profile is not None else None

    @strawberry.field(
        description="The accounts they are a member of, by name: the first"
        f" {service.MAX_ACCOUNTS} only (an account switcher's list). Those past them are"
        " theirs all the same: `currentOrganization`, `currentAccount` (with their roles) and"
        " `organization(id:)` answer them, and the root `organizations` connection (a"
        " shopper's accounts only) pages through all."
    )
    async def organizations(self) -> list[ViewerOrganization]:
        viewer = await self.reads.viewer()
        return [ViewerOrganization(reads=self.reads, account=a) for a in viewer.accounts]

    @strawberry.field(
        description="The account they buy for: `id`, else the X-CCOrganization header (a"
        " vendor id or a global id), else their profile's parent organization. Any of"
        " their accounts, listed in `organizations` or not; null when that is not one of"
        " their accounts (as for an id that does not exist)."
    )
    async def current_organization(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID | None, strawberry.argument(description="One of their accounts.")
        ] = None,
    ) -> Organization | None:
        chosen = str(id) if id is not None else _header_choice(info)
        account = await self.reads.current(chosen)
        return self.reads.organization(account) if account is not None else None

    @strawberry.field(
        description="The account they buy for, chosen as `currentOrganization` chooses it,"
        " with their roles in it and what those allow: any of their accounts, listed in"
        " `organizations` or not; null when that is not one of their accounts (as for an id"
        " that does not exist)."
    )
    async def current_account(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID | None, strawberry.argument(description="One of their accounts.")
        ] = None,
    ) -> ViewerOrganization | None:
        chosen = str(id) if id is not None else _header_choice(info)
        account = await self.reads.current(chosen)
        return ViewerOrganization(reads=self.reads, account=account) if account else None

    @strawberry.field(
        description="Their registration requests, newest first (at most"
        f" {service.MAX_OWN_REQUESTS}): submitted with their profile's email or the email"
        " their identity provider verified, or linked to their profile."
    )
    async def organization_requests(self, info: Info) -> list[ShopperOrganizationRequest]:
        principal = info.context.principal
        rows = await info.context.run(
            lambda session: service.organization_requests(session, principal)
        )
        return [ShopperOrganizationRequest.from_row(row) for row in rows]


#: A header naming no organization (another type's global id): matches none.
_NO_ORGANIZATION = ""


def _header_choice(info: Info) -> str | None:
    """The account the X-CCOrganization header names (None: no header)."""
    value = info.context.request.headers.get(CURRENT_ORGANIZATION_HEADER, "").strip()
    if not value:
        return None
    ref = global_ids.decode(value)
    if ref is None:
        return value
    return ref.vendor_id if ref.type_name == "Organization" else _NO_ORGANIZATION
