"""The Organization type. Own columns are sync resolvers reading the row
(graphql.organizations.columns), its links (hierarchy, addresses, roles, members) are in
graphql.organizations.links; hierarchy, derived and site-specific fields resolve lazily
through the request's loaders, or those of the instant of a point-in-time read
(graphql.organizations.reads)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, cast

import strawberry

from orgql.core.access import checks as access
from orgql.core.inheritance.fields import ORGANIZATION_FIELDS, SITE_COLUMNS
from orgql.core.inheritance.rules import Inherited, derive, derive_site_values
from orgql.db import models
from orgql.graphql.context import Context, Info
from orgql.graphql.organizations.breadcrumbs import refuse_breadcrumb
from orgql.graphql.organizations.links import OrganizationLinks, _shipping_refs
from orgql.graphql.organizations.reads import (
    address,
    address_type,
    derived,
    derived_async,
    effective_site_value,
    loaders_of,
    own_site_value,
    site_id_of,
    site_rows,
    with_chain,
)
from orgql.graphql.permissions import ADMIN
from orgql.graphql.types import (
    Address,
    Contract,
    DerivedValueSources,
    ShippingMethodRef,
    sources,
)

if TYPE_CHECKING:
    from orgql.graphql.history.types import OrganizationChangeConnection
    from orgql.graphql.sites.operations import SiteOrganizationProperties


SiteArgument = Annotated[
    strawberry.ID | None,
    strawberry.argument(
        description="Site of site-specific values; default: the x-ccsite header, then the"
        " default site."
    ),
]


_UNSET: Inherited[object] = Inherited(None, None)


def _as_float(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


@strawberry.type(description="A B2B account. Field names follow Oracle Commerce Cloud's.")
class Organization(OrganizationLinks):
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

    @strawberry.field(
        graphql_type=DerivedValueSources,
        description="Which organization (this one or an ancestor) set each derived value;"
        " the per-site values' are in effectiveSiteProperties.inheritedFrom.",
    )
    def inherited_from(self) -> Any:
        withheld = self.withheld

        def compute(chain: list[models.Organization]) -> DerivedValueSources:
            values = {
                f.column: _UNSET if f.column in withheld else derive(chain, f.column)
                for f in ORGANIZATION_FIELDS
            }
            return DerivedValueSources(**sources(ORGANIZATION_FIELDS, values))

        return with_chain(self, compute)

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
        description="Changes filed under the organization (docs/history.md): its own, its site"
        " properties, addresses and their types, memberships, the contacts whose parent it is,"
        " the roles held in it and those contacts' own addresses; newest first (in a"
        " point-in-time read: those up to asOf).",
        permission_classes=ADMIN,
    )
    async def history(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Annotated[OrganizationChangeConnection, strawberry.lazy("orgql.graphql.history.types")]:
        from orgql.graphql.history.types import history_connection

        return await history_connection(info, self.row.id, first, after, self.as_of)
