"""The Organization type. Own columns are sync resolvers reading the row
(graphql.organizations.columns); hierarchy, derived and site-specific fields resolve lazily
through the request's loaders, or those of the instant of a point-in-time read
(graphql.organizations.reads)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Optional, TypeVar, cast

import strawberry

from orgql.core.access import checks as access
from orgql.core.inheritance.rules import derive, derive_site_values
from orgql.core.organizations.views import SITE_COLUMNS
from orgql.db import models
from orgql.graphql.context import Context, Info
from orgql.graphql.organizations.breadcrumbs import BreadcrumbRow, refuse_breadcrumb
from orgql.graphql.organizations.columns import OrganizationColumns
from orgql.graphql.organizations.reads import (
    address,
    address_type,
    derived,
    derived_async,
    effective_site_value,
    loaders_of,
    not_historical,
    own_site_value,
    site_id_of,
    site_rows,
    with_chain,
)
from orgql.graphql.organizations.reads import chain as load_chain
from orgql.graphql.permissions import ADMIN, SIGNED_IN
from orgql.graphql.types import (
    Address,
    Contract,
    Profile,
    RelativeRole,
    SecondaryAddress,
    ShippingMethodRef,
)

if TYPE_CHECKING:
    from orgql.graphql.financial.operations import CustomerAccount
    from orgql.graphql.history.types import OrganizationChangeConnection
    from orgql.graphql.organizations.connections import OrganizationConnection
    from orgql.graphql.organizations.filters import DescendantsFilter
    from orgql.graphql.sites.operations import SiteOrganizationProperties

T = TypeVar("T")

SiteArgument = Annotated[
    strawberry.ID | None,
    strawberry.argument(
        description="Site of site-specific values; default: the x-ccsite header, then the"
        " default site."
    ),
]


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


def _as_float(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


@strawberry.type(description="A B2B account. Field names follow Oracle Commerce Cloud's.")
class Organization(OrganizationColumns):
    @classmethod
    def from_row(
        cls,
        row: models.Organization,
        chain: list[models.Organization] | None = None,
        *,
        context: Context,
        as_of: datetime | None = None,
        view: access.View = access.View.FULL,
    ) -> Organization:
        """The organization as a caller with ``view`` of it sees it (core.access.checks; a
        breadcrumb's row is a graphql.organizations.breadcrumbs.BreadcrumbRow)."""
        withheld = access.withheld(view)
        return cls(row=row, chain=chain, context=context, as_of=as_of, withheld=withheld)

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
    @strawberry.field(graphql_type=Optional["Organization"], permission_classes=SIGNED_IN)
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
        graphql_type=list["Organization"],
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

    # ------------------------------------------------------------ derived values

    @strawberry.field(graphql_type=str | None)
    def derived_description(self) -> Any:
        return derived(self, "description")

    @strawberry.field(graphql_type=str | None)
    def derived_type(self) -> Any:
        return derived(self, "type")

    @strawberry.field(graphql_type=str | None)
    def derived_customer_type(self) -> Any:
        return derived(self, "customer_type")

    @strawberry.field(graphql_type=str | None)
    def derived_duns_number(self) -> Any:
        return derived(self, "duns_number")

    @strawberry.field(graphql_type=str | None)
    def derived_tax_reference_number(self) -> Any:
        return derived(self, "tax_reference_number")

    @strawberry.field(graphql_type=str | None)
    def derived_vat_reference_number(self) -> Any:
        return derived(self, "vat_reference_number")

    @strawberry.field(graphql_type=str | None)
    def derived_tax_exemption_code(self) -> Any:
        return derived(self, "tax_exemption_code")

    @strawberry.field(graphql_type=str | None)
    def derived_unique_id(self) -> Any:
        return derived(self, "unique_id")

    @strawberry.field(graphql_type=str | None)
    def derived_organization_logo(self) -> Any:
        return derived(self, "organization_logo")

    @strawberry.field(graphql_type=list[str] | None)
    def derived_payment_methods(self) -> Any:
        return derived(self, "payment_methods")

    @strawberry.field(graphql_type=list[ShippingMethodRef] | None)
    def derived_shipping_methods(self) -> Any:
        return with_chain(
            self,
            lambda chain: _shipping_refs(
                cast(list[str] | None, derive(chain, "shipping_methods").value)
            ),
        )

    @strawberry.field(graphql_type=bool | None)
    def derived_use_all_payment_methods_from_site(self) -> Any:
        return derived(self, "use_all_payment_methods_from_site")

    @strawberry.field(graphql_type=bool | None)
    def derived_use_all_shipping_methods_from_site(self) -> Any:
        return derived(self, "use_all_shipping_methods_from_site")

    @strawberry.field
    async def derived_billing_address(self, info: Info) -> Address | None:
        return await address(self, await derived_async(self, "billing_address_id"))

    @strawberry.field(description="addressType of the derived billing address.")
    async def derived_billing_address_type(self, info: Info) -> str | None:
        return await address_type(self, await derived_async(self, "billing_address_id"))

    @strawberry.field
    async def derived_shipping_address(self, info: Info) -> Address | None:
        return await address(self, await derived_async(self, "shipping_address_id"))

    @strawberry.field(description="addressType of the derived shipping address.")
    async def derived_shipping_address_type(self, info: Info) -> str | None:
        return await address_type(self, await derived_async(self, "shipping_address_id"))

    # ------------------------------------------------------------ site-specific values

    @strawberry.field(description="The organization's own contract on the site.")
    async def contract(self, info: Info, site: SiteArgument = None) -> Contract | None:
        contract_id = await own_site_value(info, self, site, "contract_id")
        if contract_id is None:
            return None
        return Contract.from_view(await info.context.loaders.contract_by_id.load(contract_id))

    @strawberry.field(description="The contract in effect on the site, inherited if not own.")
    async def derived_contract(self, info: Info, site: SiteArgument = None) -> Contract | None:
        refuse_breadcrumb(self.row)
        site_id = await site_id_of(info, site)
        if site_id is None or "contract_id" in self.withheld:
            return None
        contract_id = (await effective_site_value(self, site_id, "contract_id")).value
        if contract_id is None:
            return None
        return Contract.from_view(await info.context.loaders.contract_by_id.load(contract_id))

    @strawberry.field(
        description="The organization's own values, one entry per site that has any (or just"
        " the named site)."
    )
    async def site_organization_properties(
        self, info: Info, site: strawberry.ID | None = None
    ) -> list[
        Annotated[SiteOrganizationProperties, strawberry.lazy("orgql.graphql.sites.operations")]
    ]:
        from orgql.graphql.sites.operations import SiteOrganizationProperties

        rows = await loaders_of(self).site_properties_by_organization.load(self.row.id) or []
        return [
            SiteOrganizationProperties.own(row, self.withheld)
            for row in rows
            if site is None or row.site_id == str(site)
        ]

    @strawberry.field(
        description="The values in effect on the site: own, else inherited within the site."
    )
    async def effective_site_properties(
        self, info: Info, site: SiteArgument = None
    ) -> (
        Annotated[SiteOrganizationProperties, strawberry.lazy("orgql.graphql.sites.operations")]
        | None
    ):
        from orgql.graphql.sites.operations import SiteOrganizationProperties

        refuse_breadcrumb(self.row)
        site_id = await site_id_of(info, site)
        if site_id is None:
            return None
        ids, rows = await site_rows(self, site_id)
        values = derive_site_values(ids, rows, SITE_COLUMNS)
        return SiteOrganizationProperties.effective(site_id, values, self.withheld)

    @strawberry.field
    async def approval_required(self, info: Info, site: SiteArgument = None) -> bool | None:
        return await own_site_value(info, self, site, "approval_required")  # type: ignore[no-any-return]

    @strawberry.field
    async def order_price_limit(self, info: Info, site: SiteArgument = None) -> float | None:
        return _as_float(await own_site_value(info, self, site, "order_price_limit"))

    @strawberry.field
    async def delegate_approval_management(
        self, info: Info, site: SiteArgument = None
    ) -> bool | None:
        return await own_site_value(info, self, site, "delegate_approval_management")  # type: ignore[no-any-return]

    @strawberry.field
    async def use_external_approval_webhook(
        self, info: Info, site: SiteArgument = None
    ) -> bool | None:
        return await own_site_value(info, self, site, "use_external_approval_webhook")  # type: ignore[no-any-return]

    # ------------------------------------------------------------ history

    @strawberry.field(
        description="Changes to the organization, its site properties, addresses and"
        " memberships, newest first (in a point-in-time read: those up to asOf).",
        permission_classes=ADMIN,
    )
    async def history(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Annotated[OrganizationChangeConnection, strawberry.lazy("orgql.graphql.history.types")]:
        from orgql.graphql.history.types import history_connection

        return await history_connection(info, self.row.id, first, after, self.as_of)
