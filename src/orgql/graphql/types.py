"""GraphQL object types besides Organization: addresses, contracts, roles, sites, errors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import strawberry

from orgql.core.common import addresses as address_fields
from orgql.core.common.errors import ErrorDetail
from orgql.core.common.names import snake
from orgql.core.inheritance.fields import InheritedField
from orgql.core.inheritance.rules import Inherited
from orgql.core.sites.repository import ContractView
from orgql.db import models
from orgql.graphql.global_ids import Node


@strawberry.type(
    description="A postal address of an organization; node(id) refetches it for whoever may"
    " read the organization."
)
class Address(Node):
    repository_id: strawberry.ID = strawberry.field(name="repositoryId")
    company_name: str | None
    first_name: str | None
    last_name: str | None
    address1: str | None
    address2: str | None
    address3: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: str | None
    county: str | None
    phone_number: str | None
    external_address_id: str | None = strawberry.field(
        description="The address's id in the financial system (synced addresses only)."
    )

    @classmethod
    def from_row(cls, row: models.Address | None) -> Address | None:
        if row is None:
            return None
        return cls(
            repository_id=strawberry.ID(row.id),
            **{column: getattr(row, column) for column in address_fields.ADDRESS_COLUMNS},
            external_address_id=row.external_address_id,
        )


@strawberry.type(description="An address of an organization with its nickname (addressType).")
class SecondaryAddress:
    address_type: str | None
    address: Address


@strawberry.type(description="A catalog (reference data) a contract sells from.")
class Catalog(Node):
    repository_id: strawberry.ID = strawberry.field(name="repositoryId")
    display_name: str


@strawberry.type(description="A price list group (reference data) a contract prices with.")
class PriceListGroup(Node):
    repository_id: strawberry.ID = strawberry.field(name="repositoryId")
    display_name: str


@strawberry.type
class ContractTerms:
    repository_id: strawberry.ID | None = strawberry.field(name="repositoryId")
    terms: str | None


@strawberry.type(description="A contract: the catalog and prices an account buys with.")
class Contract(Node):
    repository_id: strawberry.ID = strawberry.field(name="repositoryId")
    display_name: str
    description: str | None
    catalog: Catalog
    price_list_group: PriceListGroup
    start_date: datetime | None
    end_date: datetime | None
    external_contract_reference: str | None
    terms: ContractTerms | None
    creation_date: datetime

    @classmethod
    def from_view(cls, view: ContractView | None) -> Contract | None:
        if view is None:
            return None
        return cls(
            repository_id=strawberry.ID(view.id),
            display_name=view.display_name,
            description=view.description,
            catalog=Catalog(
                repository_id=strawberry.ID(view.catalog_id), display_name=view.catalog_name
            ),
            price_list_group=PriceListGroup(
                repository_id=strawberry.ID(view.price_list_group_id),
                display_name=view.price_list_group_name,
            ),
            start_date=view.start_date,
            end_date=view.end_date,
            external_contract_reference=view.external_contract_reference,
            terms=(
                ContractTerms(repository_id=strawberry.ID(view.terms_id), terms=view.terms)
                if view.terms_id
                else None
            ),
            creation_date=view.creation_date,
        )


@strawberry.type(description="One of the five roles every organization owns.")
class RelativeRole(Node):
    repository_id: strawberry.ID = strawberry.field(name="repositoryId")
    function: str


@strawberry.type(description="A contact (profile) that is a member of an organization.")
class Profile(Node):
    repository_id: strawberry.ID = strawberry.field(name="repositoryId")
    first_name: str | None
    last_name: str | None
    email: str

    @classmethod
    def from_row(cls, row: models.Profile) -> Profile:
        return cls(
            repository_id=strawberry.ID(row.id),
            first_name=row.first_name,
            last_name=row.last_name,
            email=row.email,
        )


@strawberry.type(description="A shipping method reference.")
class ShippingMethodRef:
    id: strawberry.ID


@strawberry.type(description="A storefront site.")
class Site(Node):
    repository_id: strawberry.ID = strawberry.field(name="repositoryId")
    name: str
    production_url: str | None = strawberry.field(name="productionURL")
    enabled: bool
    b2b: bool
    is_default: bool

    @classmethod
    def from_row(cls, row: models.Site) -> Site:
        return cls(
            repository_id=strawberry.ID(row.id),
            name=row.name,
            production_url=row.production_url,
            enabled=row.enabled,
            b2b=row.b2b,
            is_default=row.is_default,
        )


@strawberry.type(description="A problem with the caller's input; `code` is the OCC error code.")
class UserError:
    code: str
    message: str
    field: str | None

    @classmethod
    def from_detail(cls, detail: ErrorDetail) -> UserError:
        return cls(code=detail.code, message=detail.message, field=detail.field)


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


# ---------------------------------------------------------------- inheritedFrom
# One field per inherited field (core/inheritance/fields.py), named as the field whose value
# it explains: tests/inheritance/test_fields.py holds them to the declaration.


@strawberry.type(
    description="The id of the organization that set each derived value of an organization"
    " (itself or an ancestor); null when nothing on its path sets it."
)
class DerivedValueSources:
    derived_description: strawberry.ID | None
    derived_type: strawberry.ID | None
    derived_customer_type: strawberry.ID | None
    derived_duns_number: strawberry.ID | None
    derived_tax_reference_number: strawberry.ID | None
    derived_vat_reference_number: strawberry.ID | None
    derived_tax_exemption_code: strawberry.ID | None
    derived_unique_id: strawberry.ID | None
    derived_organization_logo: strawberry.ID | None
    derived_payment_methods: strawberry.ID | None
    derived_shipping_methods: strawberry.ID | None
    derived_use_all_payment_methods_from_site: strawberry.ID | None
    derived_use_all_shipping_methods_from_site: strawberry.ID | None
    derived_billing_address: strawberry.ID | None = strawberry.field(
        description="Also the source of derivedBillingAddressType."
    )
    derived_shipping_address: strawberry.ID | None = strawberry.field(
        description="Also the source of derivedShippingAddressType."
    )


def sources(
    declared: Iterable[InheritedField], values: Mapping[str, Inherited[Any]]
) -> dict[str, strawberry.ID | None]:
    """The arguments of an ``inheritedFrom`` object: by attribute (its field's name in
    snake_case), the id of the organization that set each value of ``declared`` (by column
    in ``values``), None when none does."""
    found: dict[str, strawberry.ID | None] = {}
    for inherited in declared:
        owner = values[inherited.column].source_id
        found[snake(inherited.source)] = None if owner is None else strawberry.ID(owner)
    return found
