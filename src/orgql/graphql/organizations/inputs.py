"""GraphQL input types, translated into the OCC documents the core validates.

The core owns every rule: these types only rename fields into OCC's words, so GraphQL and
REST inputs meet the same validation and the same error codes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from orgql.core.common.errors import Codes, OrgqlError
from orgql.core.common.names import camel
from orgql.graphql.errors import argument_paths


@strawberry.input
class AddressInput:
    company_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    address1: str | None = None
    address2: str | None = None
    address3: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    county: str | None = None
    phone_number: str | None = None
    is_default_billing_address: bool | None = None
    is_default_shipping_address: bool | None = None


@strawberry.input(description="An address with its nickname (addressType).")
class SecondaryAddressInput:
    address_type: str
    address: AddressInput


@strawberry.input
class ContractInput:
    display_name: str | None = None
    catalog_id: str | None = None
    price_list_group_id: str | None = None
    description: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    external_contract_reference: str | None = None
    terms: str | None = None


@strawberry.input(description="createOrganization's fields, named as in OCC's REST API.")
class CreateOrganizationInput:
    name: str
    description: str | None = None
    type: str | None = None
    customer_type: str | None = None
    active: bool | None = None
    duns_number: str | None = None
    tax_reference_number: str | None = None
    vat_reference_number: str | None = None
    tax_exemption_code: str | None = None
    unique_id: str | None = None
    external_organization_id: str | None = None
    party_id: str | None = None
    party_number: str | None = None
    organization_logo: str | None = None
    parent_organization_id: strawberry.ID | None = None
    members: list[strawberry.ID] | None = None
    payment_methods: list[str] | None = None
    shipping_methods: list[strawberry.ID] | None = None
    use_all_payment_methods_from_site: bool | None = None
    use_all_shipping_methods_from_site: bool | None = None
    roles_apply_to_divisions: bool | None = strawberry.field(
        default=None,
        description="The roles held here apply in every organization below (default false).",
    )
    secondary_addresses: list[SecondaryAddressInput] | None = None
    billing_address_id: strawberry.ID | None = None
    shipping_address_id: strawberry.ID | None = None
    contract: ContractInput | None = None
    approval_required: bool | None = None
    order_price_limit: float | None = None
    delegate_approval_management: bool | None = None
    use_external_approval_webhook: bool | None = None
    dynamic_properties: JSON | None = strawberry.field(
        default=None, description="Values of dynamic properties, by property id."
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if hasattr(value, "__strawberry_definition__"):
        return {camel(key): _plain(item) for key, item in vars(value).items() if item is not None}
    return value


def create_organization_document(
    data: CreateOrganizationInput,
) -> tuple[dict[str, object], dict[str, object]]:
    """The OCC document and the dynamic properties for ``organizations`` parsing."""
    document: dict[str, object] = _plain(data)
    dynamic = document.pop("dynamicProperties", None)
    for theirs, ours in REFERENCE_NAMES.items():
        if ours in document:
            document[theirs] = {"id": document.pop(ours)}
    if data.contract is not None:
        document["contract"] = contract_document(data.contract)
    return document, dynamic_properties(dynamic)


def dynamic_properties(value: object) -> dict[str, object]:
    """The ``dynamicProperties`` argument: a JSON object of names and values, or null."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise OrgqlError(
            Codes.INVALID_INPUT,
            "dynamicProperties must be an object of property names and values",
            "dynamicProperties",
        )
    return dict(value)


def contract_document(contract: ContractInput) -> dict[str, object]:
    document: dict[str, object] = _plain(contract)
    if "terms" in document:
        document["contract_terms"] = {"terms": document.pop("terms")}
    return document


#: What the organization inputs call the REST body's references (its ids bare): the core's
#: parsers say these names in their messages (core.common.validation.InputNames).
REFERENCE_NAMES = {
    "parentOrganization": "parentOrganizationId",
    "billingAddress": "billingAddressId",
    "shippingAddress": "shippingAddressId",
}
#: The core's (REST) error paths named as the GraphQL input does.
input_field = argument_paths(
    {
        "parentOrganization.id": "parentOrganizationId",
        "billingAddress.repositoryId": "billingAddressId",
        "shippingAddress.repositoryId": "shippingAddressId",
        "contract.contract_terms.terms": "contract.terms",
    }
)
