"""Financial data: customer accounts, their addresses, and the syncFinancialData mutation."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from orgql.core.common.errors import OrgqlError
from orgql.core.financial import sync as financial_sync
from orgql.core.financial.repository import AccountAddress
from orgql.core.financial.source import FinancialSource
from orgql.db import financial_models, models
from orgql.graphql.context import Info
from orgql.graphql.errors import user_errors_of
from orgql.graphql.global_ids import Node
from orgql.graphql.permissions import ADMIN
from orgql.graphql.types import Address, UserError

if TYPE_CHECKING:
    from orgql.graphql.organizations.types import Organization


@strawberry.type(description="An address of a customer account and what the account uses it for.")
class CustomerAccountAddress:
    external_site_id: str | None = strawberry.field(
        description="The account site's id in the financial system."
    )
    bill_to: bool
    ship_to: bool
    primary_bill_to: bool
    primary_ship_to: bool
    address: Address

    @classmethod
    def from_view(cls, view: AccountAddress) -> CustomerAccountAddress:
        address = Address.from_row(view.address)
        assert address is not None
        return cls(
            external_site_id=view.link.external_site_id,
            bill_to=view.link.bill_to,
            ship_to=view.link.ship_to,
            primary_bill_to=view.link.primary_bill_to,
            primary_ship_to=view.link.primary_ship_to,
            address=address,
        )


@strawberry.type(
    description="A billing account of an organization, as last synced from the financial"
    " system of record (syncFinancialData)."
)
class CustomerAccount(Node):
    repository_id: strawberry.ID = strawberry.field(name="repositoryId")
    external_account_id: str = strawberry.field(
        description="The account's id in the financial system."
    )
    account_number: str | None
    account_name: str | None
    business_unit_id: strawberry.ID | None = strawberry.field(
        description="As an ID (a string): business unit ids outgrow GraphQL's 32-bit Int."
    )
    synced_at: datetime

    @strawberry.field(description="The account's addresses, with their bill-to / ship-to uses.")
    async def addresses(self, info: Info) -> list[CustomerAccountAddress]:
        views = await info.context.loaders.addresses_by_customer_account.load(
            str(self.repository_id)
        )
        return [CustomerAccountAddress.from_view(view) for view in views or []]

    @classmethod
    def from_row(cls, row: financial_models.CustomerAccount) -> CustomerAccount:
        unit = row.business_unit_id
        return cls(
            repository_id=strawberry.ID(row.id),
            external_account_id=row.external_account_id,
            account_number=row.account_number,
            account_name=row.account_name,
            business_unit_id=strawberry.ID(str(unit)) if unit is not None else None,
            synced_at=row.synced_at,
        )


async def customer_accounts(info: Info, organization_id: str) -> list[CustomerAccount]:
    rows = await info.context.loaders.customer_accounts_by_organization.load(organization_id)
    return [CustomerAccount.from_row(row) for row in rows or []]


async def billing_addresses(info: Info, organization_id: str) -> list[Address]:
    rows = await info.context.loaders.billing_addresses_by_organization.load(organization_id)
    return [address for row in rows or [] if (address := Address.from_row(row)) is not None]


@strawberry.type(description="A synced address that could not be stored, and why.")
class FailedAddressItem:
    external_id: str
    error_message: str


@strawberry.type
class SyncFinancialDataPayload:
    customer_account_ids: list[strawberry.ID]
    failed_address_items: list[FailedAddressItem]
    organization: (
        Annotated[Organization, strawberry.lazy("orgql.graphql.organizations.types")] | None
    ) = strawberry.field(description="The organization after the sync; null on userErrors.")
    user_errors: list[UserError]


def _business_unit(value: strawberry.ID | None) -> int | None:
    """The argument as the core's number; what is not digits goes to the core as it is, so
    that its check refuses it (100002, businessUnitId)."""
    if value is None:
        return None
    text = str(value).strip()
    if text.isascii() and text.isdigit() and len(text) <= 19:
        return int(text)
    return financial_sync.check_business_unit_id(text)


def _source(info: Info) -> FinancialSource:
    source: FinancialSource = info.context.request.state.financial_source
    return source


@strawberry.type
class FinancialMutations:
    @strawberry.mutation(
        description="Replace the organization's billing accounts and addresses with those the"
        " financial system of record holds for its party (of businessUnitId; default: the"
        " organization's configured business unit, else all). Addresses that cannot be"
        " stored are listed in failedAddressItems, the rest are. A failure of the financial"
        " system is a top-level error with code 100193, and changes nothing.",
        permission_classes=ADMIN,
    )
    async def sync_financial_data(
        self,
        info: Info,
        id: strawberry.ID,
        business_unit_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="The business unit: a whole number from 0 to 2^63 - 1, written as"
                " a number or a string (the vendor's ids have 15 digits, past GraphQL's Int)."
            ),
        ] = None,
    ) -> SyncFinancialDataPayload | None:
        from orgql.graphql.organizations.types import Organization

        try:
            result = await financial_sync.sync(
                info.context.read_apart,
                info.context.unit_of_work,
                _source(info),
                str(id),
                _business_unit(business_unit_id),
            )
            # The row the sync locked and changed, from the session's identity map.
            organization = await info.context.run(
                lambda session: session.get(models.Organization, str(id))
            )
        except OrgqlError as error:
            return SyncFinancialDataPayload(
                customer_account_ids=[],
                failed_address_items=[],
                organization=None,
                user_errors=user_errors_of(error),
            )
        return SyncFinancialDataPayload(
            customer_account_ids=[strawberry.ID(i) for i in result.customer_account_ids],
            failed_address_items=[
                FailedAddressItem(external_id=item.external_id, error_message=item.error_message)
                for item in result.failed_address_items
            ],
            organization=(
                Organization.from_row(organization, context=info.context) if organization else None
            ),
            user_errors=[],
        )
