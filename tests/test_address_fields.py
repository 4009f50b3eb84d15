"""Every list of address fields agrees with the one declaration (core/common/addresses.py):
the lists that must stay typed classes, or keep their published order, are held to it here."""

from __future__ import annotations

import dataclasses
import typing

from orgql.core.common import addresses
from orgql.core.common.names import camel
from orgql.core.financial.source import SourceAddress
from orgql.core.organizations.snapshot_sql import AddressRow
from orgql.db import financial_models, models
from orgql.graphql.addresses.profile_operations import ProfileAddressLinesInput
from orgql.graphql.organizations.inputs import AddressInput
from orgql.graphql.requests.types import DraftAddress, DraftAddressInput
from orgql.graphql.types import Address
from orgql.rest import render
from orgql.rest.organizations import shapes as organization_shapes
from orgql.rest.requests import shapes as request_shapes

OCC_KEYS = list(addresses.ADDRESS_KEYS.values())
#: What an address carries besides its fields: its ids (global and vendor), its id in the
#: financial system, default flags, address types and the draft it is read from (drafts).
EXTRAS = {
    "id",
    "raw",
    "repository_id",
    "external_address_id",
    "is_default_billing_address",
    "is_default_shipping_address",
    "types",
}


def _strawberry_fields(cls: type) -> list[str]:
    definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    return [field.python_name for field in definition.fields if field.python_name not in EXTRAS]


def _typed_dict_keys(cls: type) -> list[str]:
    extras = {"repositoryId", "externalAddressId", "isDefaultBillingAddress"}
    extras |= {"isDefaultShippingAddress", "types"}
    return [key for key in typing.get_type_hints(cls) if key not in extras]


def test_the_occ_keys_are_the_columns_in_camel_case() -> None:
    assert OCC_KEYS[:3] == ["companyName", "firstName", "lastName"]
    assert addresses.POSTAL_KEYS["postal_code"] == "postalCode"
    assert OCC_KEYS[-1] == "phoneNumber"


def test_the_address_tables_hold_the_declared_columns() -> None:
    address_columns = set(models.Address.__table__.columns.keys())
    source_columns = set(financial_models.FinancialSourceSite.__table__.columns.keys())

    assert set(addresses.ADDRESS_COLUMNS) <= address_columns
    assert set(addresses.POSTAL_COLUMNS) <= source_columns


def test_a_financial_source_address_holds_the_postal_lines() -> None:
    fields = [field.name for field in dataclasses.fields(SourceAddress)]

    assert fields == ["external_id", *addresses.POSTAL_COLUMNS]


def test_graphql_address_types_and_inputs_hold_the_declared_fields() -> None:
    for cls in (Address, AddressInput, DraftAddress, DraftAddressInput, ProfileAddressLinesInput):
        assert _strawberry_fields(cls) == list(addresses.ADDRESS_COLUMNS), cls.__name__


def test_rest_address_shapes_hold_the_declared_keys() -> None:
    for cls in (
        organization_shapes.AddressInput,
        request_shapes.RequestAddress,
        request_shapes.DraftAddressFields,
    ):
        assert _typed_dict_keys(cls) == OCC_KEYS, cls.__name__
    # The organization's address as answered: the vendor's sample, a subset in its order.
    assert set(_typed_dict_keys(organization_shapes.Address)) <= set(OCC_KEYS)


def test_the_rest_address_input_requires_the_required_fields() -> None:
    shape = organization_shapes.AddressInput
    required = {key for key in shape.__required_keys__ if key in OCC_KEYS}

    assert required == addresses.REQUIRED_KEYS


def test_the_snapshot_address_row_holds_the_answered_fields() -> None:
    """The REST snapshot reads what rest.render.address writes: the vendor's organization
    address (a subset of the OCC keys), besides the row's id, owner and type."""
    answered = typing.get_type_hints(organization_shapes.Address)
    row = AddressRow(*(f"{name} value" for name in AddressRow._fields))
    fields = [
        name for name in AddressRow._fields if name not in {"organization_id", "address_type"}
    ]

    assert {("repositoryId" if name == "id" else camel(name)) for name in fields} == set(answered)
    assert list(render.address(row)) == list(answered)  # every key, in the shape's order
    assert render.address(row)["repositoryId"] == "id value"
