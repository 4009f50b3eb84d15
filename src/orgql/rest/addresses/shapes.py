"""AddressLines shapes: one item of createOrganization's ``secondaryAddresses``
(``spec/createOrganization.txt``) with the address's types, as the address operations take
and answer it."""

from typing import Annotated, NotRequired, TypedDict

from orgql.rest.json_schema import Schema
from orgql.rest.shapes import AddressFields, Link


class AddressTypeView(TypedDict):
    id: str
    repositoryId: str
    displayName: str | None


class AddressTypeId(TypedDict):
    id: Annotated[str, Schema(description="An address type id (reference data)")]


class AddressLinesInput(TypedDict):
    companyName: NotRequired[str | None]
    firstName: NotRequired[str | None]
    lastName: NotRequired[str | None]
    address1: NotRequired[str | None]
    address2: NotRequired[str | None]
    address3: NotRequired[str | None]
    city: NotRequired[str | None]
    state: NotRequired[str | None]
    postalCode: NotRequired[str | None]
    country: NotRequired[str | None]
    county: NotRequired[str | None]
    phoneNumber: NotRequired[str | None]
    isDefaultBillingAddress: NotRequired[
        Annotated[
            bool,
            Schema(
                description="true: the organization's default billing address; false on"
                " the current default: cleared (inherited again)"
            ),
        ]
    ]
    isDefaultShippingAddress: NotRequired[bool]
    types: NotRequired[list[AddressTypeId]]


class AddressInputDocument(TypedDict):
    """addOrganizationAddress: addressType and address with companyName, address1, city,
    state, postalCode, country and phoneNumber are required. updateOrganizationAddress: every
    key is optional (left out: unchanged; null: an optional field cleared)."""

    addressType: NotRequired[Annotated[str, Schema(description="The address's nickname")]]
    address: NotRequired[AddressLinesInput]


class AddressLines(AddressFields):
    repositoryId: str
    isDefaultBillingAddress: bool
    isDefaultShippingAddress: bool
    types: list[AddressTypeView]


class OrganizationAddress(TypedDict):
    addressType: str | None
    address: AddressLines
    repositoryId: str
    links: list[Link]
