"""The Organization type. Plain fields are copied from the row (sync, no resolver cost);
hierarchy, derived and site-specific fields resolve lazily through the request's loaders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Optional, TypeVar, cast

import strawberry

from orgql.core.errors import Codes, OrgqlError
from orgql.core.inheritance import Inherited, derive, derive_site_value, derive_site_values
from orgql.core.organization_views import SITE_COLUMNS
from orgql.db import models
from orgql.graphql.context import Context, Info
from orgql.graphql.errors import public_error
from orgql.graphql.organization_columns import OrganizationColumns
from orgql.graphql.permissions import ADMIN
from orgql.graphql.types import (
    Address,
    Contract,
    Profile,
    RelativeRole,
    SecondaryAddress,
    ShippingMethodRef,
)

if TYPE_CHECKING:
    from orgql.graphql.connections import OrganizationConnection
    from orgql.graphql.financial import CustomerAccount
    from orgql.graphql.site_properties import SiteOrganizationProperties

T = TypeVar("T")

SiteArgument = Annotated[
    strawberry.ID | None,
    strawberry.argument(
        description="Site of site-specific values; default: the x-ccsite header, then the"
        " default site."
    ),
]


async def _chain(info: Info, row: models.Organization) -> list[models.Organization]:
    """``row`` and its ancestors, nearest first: one batched load for a whole page."""
    chain = await info.context.loaders.chain_by_id.load(row.id)
    # The row itself is always loaded (primed by pages, or read by id) before its fields.
    return chain if chain is not None else [row]


def _with_chain(
    organization: Organization, compute: Callable[[list[models.Organization]], T]
) -> T | Awaitable[T]:
    """``compute`` over the organization's chain: at once when the chain came with the row
    (pages and ancestors: a sync resolver, no task, no loader round), else after the batched
    load. graphql-core awaits a resolver's result only when it is awaitable."""
    if organization.chain is not None:
        return compute(organization.chain)

    async def later() -> T:
        chain = await organization.context.loaders.chain_by_id.load(organization.row.id)
        return compute(chain if chain is not None else [organization.row])

    return later()


async def _derived_async(info: Info, row: models.Organization, column: str) -> Any:
    return derive(await _chain(info, row), column).value


def _derived(organization: Organization, column: str) -> Any:
    return _with_chain(organization, lambda chain: derive(chain, column).value)


async def _site_id(info: Info, site: strawberry.ID | None) -> str | None:
    """The site of site-specific values: the argument, else the x-ccsite header, else the
    default site. A site that does not exist is the caller's error, not a silent null."""
    if site is None and info.context.site_header is None:
        default = await info.context.default_site()
        return default.id if default else None
    site_id, where = (
        (str(site), "site") if site is not None else (info.context.site_header, "x-ccsite")
    )
    assert site_id is not None
    if await info.context.loaders.site_by_id.load(site_id) is None:
        raise public_error(
            OrgqlError(Codes.INVALID_INPUT, f"Site {site_id!r} does not exist", where)
        )
    return site_id


async def _own_site_value(
    info: Info, row: models.Organization, site: strawberry.ID | None, column: str
) -> Any:
    site_id = await _site_id(info, site)
    if site_id is None:
        return None
    # Read along the chain like the inherited value (the extra keys cost nothing: one batch),
    # so that own and inherited values of a page share one batch of site properties and
    # one of contracts instead of taking a batch each.
    effective = await effective_site_value(info, row, site_id, column)
    return effective.value if effective.source_id == row.id else None


async def effective_site_value(
    info: Info, row: models.Organization, site_id: str, column: str
) -> Inherited[Any]:
    """The per-site value inherited along the chain within ``site_id``."""
    chain = [org.id for org in await _chain(info, row)]
    rows = await info.context.loaders.site_properties_of_chain.load((tuple(chain), site_id))
    own = {org_id: getattr(r, column) for org_id, r in zip(chain, rows, strict=True) if r}
    return derive_site_value(chain, own)


async def _address(info: Info, address_id: object) -> Address | None:
    if not isinstance(address_id, str):
        return None
    return Address.from_row(await info.context.loaders.address_by_id.load(address_id))


def _from_chain(context: Context, chain: list[models.Organization], index: int) -> Organization:
    """The organization ``chain[index]`` with its own chain (the tail): built once per
    request, since the organizations of a page share most of their ancestors."""
    built = context.organizations
    row = chain[index]
    organization = built.get(row.id)
    if organization is None:
        organization = built[row.id] = Organization.from_row(row, chain[index:], context=context)
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
    ) -> Organization:
        return cls(row=row, chain=chain, context=context)

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

    # Hierarchy navigation is for admins: a shopper sees ancestors' values only through the
    # derived fields of their own organization (README "Authentication").
    @strawberry.field(graphql_type=Optional["Organization"], permission_classes=ADMIN)
    def parent_organization(self) -> Any:
        def parent(chain: list[models.Organization]) -> Organization | None:
            # Through the chain, so that the parent costs no batch of its own; an ancestor's
            # chain is the tail of this one.
            if len(chain) < 2 or chain[1].id != self.row.parent_id:
                return None
            return _from_chain(self.context, chain, 1)

        return None if self.row.parent_id is None else _with_chain(self, parent)

    @strawberry.field(
        description="The ancestors, from the root down to the direct parent.",
        graphql_type=list["Organization"],
        permission_classes=ADMIN,
    )
    def ancestor_organizations(self) -> Any:
        def ancestors(chain: list[models.Organization]) -> list[Organization]:
            return [_from_chain(self.context, chain, i) for i in range(len(chain) - 1, 0, -1)]

        return _with_chain(self, ancestors)

    @strawberry.field(description="The direct children, as a connection.", permission_classes=ADMIN)
    async def child_organizations(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Annotated[OrganizationConnection, strawberry.lazy("orgql.graphql.connections")]:
        from orgql.graphql.connections import child_connection

        return await child_connection(info, self.row.id, first, after)

    # ------------------------------------------------------------ addresses, roles, members

    @strawberry.field
    async def secondary_addresses(self, info: Info) -> list[SecondaryAddress]:
        rows = await info.context.loaders.addresses_by_organization.load(self.row.id) or []
        return [
            SecondaryAddress(address_type=row.address_type, address=address)
            for row in rows
            if (address := Address.from_row(row)) is not None
        ]

    @strawberry.field(description="The organization's own default billing address.")
    async def billing_address(self, info: Info) -> Address | None:
        await _chain(info, self.row)  # so own and derived addresses share one batch
        return await _address(info, self.row.billing_address_id)

    @strawberry.field(description="The organization's own default shipping address.")
    async def shipping_address(self, info: Info) -> Address | None:
        await _chain(info, self.row)  # so own and derived addresses share one batch
        return await _address(info, self.row.shipping_address_id)

    @strawberry.field(
        description="Billing accounts synced from the financial system of record"
        " (syncFinancialData)."
    )
    async def customer_accounts(
        self, info: Info
    ) -> list[Annotated[CustomerAccount, strawberry.lazy("orgql.graphql.financial")]]:
        from orgql.graphql.financial import customer_accounts

        return await customer_accounts(info, self.row.id)

    @strawberry.field(description="The synced addresses that a customer account bills to.")
    async def billing_addresses(self, info: Info) -> list[Address]:
        from orgql.graphql.financial import billing_addresses

        return await billing_addresses(info, self.row.id)

    @strawberry.field
    async def relative_roles(self, info: Info) -> list[RelativeRole]:
        rows = await info.context.loaders.roles_by_organization.load(self.row.id) or []
        return [RelativeRole(repository_id=strawberry.ID(r.id), function=r.function) for r in rows]

    @strawberry.field
    async def members(self, info: Info) -> list[Profile]:
        rows = await info.context.loaders.members_by_organization.load(self.row.id) or []
        return [Profile.from_row(row) for row in rows]

    # ------------------------------------------------------------ derived values

    @strawberry.field(graphql_type=str | None)
    def derived_description(self) -> Any:
        return _derived(self, "description")

    @strawberry.field(graphql_type=str | None)
    def derived_type(self) -> Any:
        return _derived(self, "type")

    @strawberry.field(graphql_type=str | None)
    def derived_customer_type(self) -> Any:
        return _derived(self, "customer_type")

    @strawberry.field(graphql_type=str | None)
    def derived_duns_number(self) -> Any:
        return _derived(self, "duns_number")

    @strawberry.field(graphql_type=str | None)
    def derived_tax_reference_number(self) -> Any:
        return _derived(self, "tax_reference_number")

    @strawberry.field(graphql_type=str | None)
    def derived_vat_reference_number(self) -> Any:
        return _derived(self, "vat_reference_number")

    @strawberry.field(graphql_type=str | None)
    def derived_tax_exemption_code(self) -> Any:
        return _derived(self, "tax_exemption_code")

    @strawberry.field(graphql_type=str | None)
    def derived_unique_id(self) -> Any:
        return _derived(self, "unique_id")

    @strawberry.field(graphql_type=str | None)
    def derived_organization_logo(self) -> Any:
        return _derived(self, "organization_logo")

    @strawberry.field(graphql_type=list[str] | None)
    def derived_payment_methods(self) -> Any:
        return _derived(self, "payment_methods")

    @strawberry.field(graphql_type=list[ShippingMethodRef] | None)
    def derived_shipping_methods(self) -> Any:
        return _with_chain(
            self,
            lambda chain: _shipping_refs(
                cast(list[str] | None, derive(chain, "shipping_methods").value)
            ),
        )

    @strawberry.field(graphql_type=bool | None)
    def derived_use_all_payment_methods_from_site(self) -> Any:
        return _derived(self, "use_all_payment_methods_from_site")

    @strawberry.field(graphql_type=bool | None)
    def derived_use_all_shipping_methods_from_site(self) -> Any:
        return _derived(self, "use_all_shipping_methods_from_site")

    @strawberry.field
    async def derived_billing_address(self, info: Info) -> Address | None:
        return await _address(info, await _derived_async(info, self.row, "billing_address_id"))

    @strawberry.field(description="addressType of the derived billing address.")
    async def derived_billing_address_type(self, info: Info) -> str | None:
        address_id = await _derived_async(info, self.row, "billing_address_id")
        row = await info.context.loaders.address_by_id.load(address_id) if address_id else None
        return row.address_type if row else None

    @strawberry.field
    async def derived_shipping_address(self, info: Info) -> Address | None:
        return await _address(info, await _derived_async(info, self.row, "shipping_address_id"))

    @strawberry.field(description="addressType of the derived shipping address.")
    async def derived_shipping_address_type(self, info: Info) -> str | None:
        address_id = await _derived_async(info, self.row, "shipping_address_id")
        row = await info.context.loaders.address_by_id.load(address_id) if address_id else None
        return row.address_type if row else None

    # ------------------------------------------------------------ site-specific values

    @strawberry.field(description="The organization's own contract on the site.")
    async def contract(self, info: Info, site: SiteArgument = None) -> Contract | None:
        contract_id = await _own_site_value(info, self.row, site, "contract_id")
        if contract_id is None:
            return None
        return Contract.from_view(await info.context.loaders.contract_by_id.load(contract_id))

    @strawberry.field(description="The contract in effect on the site, inherited if not own.")
    async def derived_contract(self, info: Info, site: SiteArgument = None) -> Contract | None:
        site_id = await _site_id(info, site)
        if site_id is None:
            return None
        contract_id = (await effective_site_value(info, self.row, site_id, "contract_id")).value
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
        Annotated[SiteOrganizationProperties, strawberry.lazy("orgql.graphql.site_properties")]
    ]:
        from orgql.graphql.site_properties import SiteOrganizationProperties

        rows = await info.context.loaders.site_properties_by_organization.load(self.row.id) or []
        return [
            SiteOrganizationProperties.own(row)
            for row in rows
            if site is None or row.site_id == str(site)
        ]

    @strawberry.field(
        description="The values in effect on the site: own, else inherited within the site."
    )
    async def effective_site_properties(
        self, info: Info, site: SiteArgument = None
    ) -> (
        Annotated[SiteOrganizationProperties, strawberry.lazy("orgql.graphql.site_properties")]
        | None
    ):
        from orgql.graphql.site_properties import SiteOrganizationProperties

        site_id = await _site_id(info, site)
        if site_id is None:
            return None
        chain = [org.id for org in self.chain or await _chain(info, self.row)]
        rows = await info.context.loaders.site_properties_of_chain.load((tuple(chain), site_id))
        values = derive_site_values(chain, rows, SITE_COLUMNS)
        return SiteOrganizationProperties.effective(site_id, values)

    @strawberry.field
    async def approval_required(self, info: Info, site: SiteArgument = None) -> bool | None:
        return await _own_site_value(info, self.row, site, "approval_required")  # type: ignore[no-any-return]

    @strawberry.field
    async def order_price_limit(self, info: Info, site: SiteArgument = None) -> float | None:
        return _as_float(await _own_site_value(info, self.row, site, "order_price_limit"))

    @strawberry.field
    async def delegate_approval_management(
        self, info: Info, site: SiteArgument = None
    ) -> bool | None:
        return await _own_site_value(info, self.row, site, "delegate_approval_management")  # type: ignore[no-any-return]

    @strawberry.field
    async def use_external_approval_webhook(
        self, info: Info, site: SiteArgument = None
    ) -> bool | None:
        return await _own_site_value(info, self.row, site, "use_external_approval_webhook")  # type: ignore[no-any-return]
