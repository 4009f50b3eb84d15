"""The Organization type's links: its shipping-method references and logo URL, the
hierarchy (parent, ancestors, children, descendants), addresses, roles and members.
:class:`orgql.graphql.organizations.types.Organization` adds the derived, per-site and
history fields; the GraphQL type lists these first (a base class's fields come first)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import strawberry

from orgql.core.access import checks as access
from orgql.db import models
from orgql.graphql.context import Context, Info
from orgql.graphql.organizations.breadcrumbs import BreadcrumbRow, refuse_breadcrumb
from orgql.graphql.organizations.columns import OrganizationColumns
from orgql.graphql.organizations.reads import (
    address,
    loaders_of,
    not_historical,
    with_chain,
)
from orgql.graphql.organizations.reads import chain as load_chain
from orgql.graphql.permissions import ADMIN, SIGNED_IN
from orgql.graphql.types import (
    Address,
    Profile,
    RelativeRole,
    SecondaryAddress,
    ShippingMethodRef,
)

if TYPE_CHECKING:
    from orgql.graphql.financial.operations import CustomerAccount
    from orgql.graphql.organizations.connections import OrganizationConnection
    from orgql.graphql.organizations.filters import DescendantsFilter
    from orgql.graphql.organizations.types import Organization

#: The Organization type, for the fields of its links that answer organizations (it is
#: defined on top of this module).
LazyOrganization = Annotated["Organization", strawberry.lazy("orgql.graphql.organizations.types")]


T = TypeVar("T")


def _from_chain(
    context: Context,
    chain: list[models.Organization],
    index: int,
    as_of: datetime | None,
    seen: access.Access = access.EVERYTHING,
) -> Organization | None:
    """The organization ``chain[index]`` with its own chain (the tail), as the caller sees
    it (``seen``: core.access.checks; None where they see nothing of it): built once per request
    and instant, since the organizations of a page share most of their ancestors (and an
    ancestor read at an instant is not the live one)."""
    from orgql.graphql.organizations.types import Organization  # built on top of this module

    built = context.organizations
    row = chain[index]
    organization = built.get((as_of, row.id))
    if organization is None:
        view = seen.view(row)
        if view is access.View.NONE:  # only if moved since the caller's access was read
            return None
        organization = built[as_of, row.id] = (
            Organization.from_row(
                cast(models.Organization, BreadcrumbRow(row)), context=context, as_of=as_of
            )
            if view is access.View.BREADCRUMB
            else Organization.from_row(row, chain[index:], context=context, as_of=as_of, view=view)
        )
    return cast(Organization, organization)


def _shipping_refs(ids: Sequence[str] | None) -> list[ShippingMethodRef] | None:
    return [ShippingMethodRef(id=strawberry.ID(i)) for i in ids] if ids is not None else None


@strawberry.type
class OrganizationLinks(OrganizationColumns):
    @strawberry.field
    def shipping_methods(self) -> list[ShippingMethodRef] | None:
        return _shipping_refs(self.row.shipping_methods)

    @strawberry.field(name="organizationLogoURL", description="Full URL of the organization logo.")
    def organization_logo_url(self, info: Info) -> str | None:
        logo = self.row.organization_logo
        if logo is None:
            return None
        settings = info.context.settings
        base = settings.public_base_url or str(info.context.request.base_url)
        return f"{base.rstrip('/')}{settings.media_path}{logo}"

    # ------------------------------------------------------------ hierarchy

    # A shopper navigates up from their accounts to breadcrumbs: the ancestors' id and name
    # (core.access.checks, graphql.organizations.breadcrumbs); down (children, descendants) is for
    # admins.
    @strawberry.field(graphql_type=LazyOrganization | None, permission_classes=SIGNED_IN)
    def parent_organization(self) -> Any:
        def parent(chain: list[models.Organization], seen: access.Access) -> Organization | None:
            # Through the chain, so that the parent costs no batch of its own; an ancestor's
            # chain is the tail of this one.
            if len(chain) < 2 or chain[1].id != self.row.parent_id:
                return None
            return _from_chain(self.context, chain, 1, self.as_of, seen)

        return None if self.row.parent_id is None else self._up(parent)

    @strawberry.field(
        description="The ancestors, from the root down to the direct parent (for a shopper:"
        " their id and name only, other fields answer FORBIDDEN).",
        graphql_type=list[LazyOrganization],
        permission_classes=SIGNED_IN,
    )
    def ancestor_organizations(self) -> Any:
        def ancestors(chain: list[models.Organization], seen: access.Access) -> list[Organization]:
            built = (
                _from_chain(self.context, chain, i, self.as_of, seen)
                for i in range(len(chain) - 1, 0, -1)
            )
            return [organization for organization in built if organization is not None]

        return self._up(ancestors)

    def _up(self, compute: Callable[[list[models.Organization], access.Access], T]) -> Any:
        """``compute`` over the chain and what the caller sees: at once for an admin (a sync
        resolver where the chain came with the row), after the caller's access (read once
        per request) for a shopper."""
        if self.context.principal.is_admin:
            return with_chain(self, lambda chain: compute(chain, access.EVERYTHING))
        refuse_breadcrumb(self.row)

        async def for_shopper() -> T:
            seen = await self.context.access()
            return compute(self.chain or await load_chain(self), seen)

        return for_shopper()

    @strawberry.field(description="The direct children, as a connection.", permission_classes=ADMIN)
    async def child_organizations(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Annotated[
        OrganizationConnection, strawberry.lazy("orgql.graphql.organizations.connections")
    ]:
        from orgql.graphql.organizations.connections import child_connection

        not_historical(self, "childOrganizations")
        return await child_connection(info, self.row.id, first, after)

    @strawberry.field(
        description="The descendants at any depth, ordered by id, as a connection.",
        permission_classes=ADMIN,
    )
    async def descendants(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: Annotated[DescendantsFilter, strawberry.lazy("orgql.graphql.organizations.filters")]
        | None = None,
    ) -> Annotated[
        OrganizationConnection, strawberry.lazy("orgql.graphql.organizations.connections")
    ]:
        from orgql.graphql.organizations.connections import descendant_connection

        not_historical(self, "descendants")
        return await descendant_connection(info, self.row.id, first, after, filter)

    # ------------------------------------------------------------ addresses, roles, members

    @strawberry.field
    async def secondary_addresses(self, info: Info) -> list[SecondaryAddress]:
        rows = await loaders_of(self).addresses_by_organization.load(self.row.id) or []
        return [
            SecondaryAddress(address_type=row.address_type, address=found)
            for row in rows
            if (found := Address.from_row(row)) is not None
        ]

    @strawberry.field(description="The organization's own default billing address.")
    async def billing_address(self, info: Info) -> Address | None:
        await load_chain(self)  # so own and derived addresses share one batch
        return await address(self, self.row.billing_address_id)

    @strawberry.field(description="The organization's own default shipping address.")
    async def shipping_address(self, info: Info) -> Address | None:
        await load_chain(self)  # so own and derived addresses share one batch
        return await address(self, self.row.shipping_address_id)

    @strawberry.field(
        description="Billing accounts synced from the financial system of record"
        " (syncFinancialData)."
    )
    async def customer_accounts(
        self, info: Info
    ) -> list[Annotated[CustomerAccount, strawberry.lazy("orgql.graphql.financial.operations")]]:
        from orgql.graphql.financial.operations import customer_accounts

        refuse_breadcrumb(self.row)
        not_historical(self, "customerAccounts")
        return await customer_accounts(info, self.row.id)

    @strawberry.field(description="The synced addresses that a customer account bills to.")
    async def billing_addresses(self, info: Info) -> list[Address]:
        from orgql.graphql.financial.operations import billing_addresses

        refuse_breadcrumb(self.row)
        not_historical(self, "billingAddresses")
        return await billing_addresses(info, self.row.id)

    @strawberry.field
    async def relative_roles(self, info: Info) -> list[RelativeRole]:
        rows = await loaders_of(self).roles_by_organization.load(self.row.id) or []
        return [RelativeRole(repository_id=strawberry.ID(r.id), function=r.function) for r in rows]

    @strawberry.field
    async def members(self, info: Info) -> list[Profile]:
        rows = await loaders_of(self).members_by_organization.load(self.row.id) or []
        return [Profile.from_row(row) for row in rows]
