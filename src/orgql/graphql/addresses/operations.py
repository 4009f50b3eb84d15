"""addOrganizationAddress, updateOrganizationAddress, deleteOrganizationAddress.

The input carries the REST document's names (``addressType``, ``address.city``, the default
flags); ``typeIds`` stands for the document's ``types: [{id}]``. A field left out is unchanged
by an update; ``null`` clears an optional field. The rules are the core's
(:mod:`orgql.core.addresses.service`); a refusal is a userError and changes nothing.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import strawberry

from orgql.core.addresses import limits
from orgql.core.addresses import service as addresses
from orgql.core.common.errors import ErrorDetail, OrgqlError
from orgql.graphql.addresses.lines import AddressLinesFields, address_document, lines_document
from orgql.graphql.context import Info
from orgql.graphql.errors import argument_paths, user_errors_of
from orgql.graphql.permissions import SIGNED_IN
from orgql.graphql.requests.types import AddressType
from orgql.graphql.types import Address, UserError

UNSET: Any = strawberry.UNSET
_TYPES_FIELD = re.compile(r"^address\.types\[(\d+)\](?:\.id)?$")


@strawberry.input(description="The lines of an address and its default flags.")
class AddressLinesInput(AddressLinesFields):
    is_default_billing_address: bool | None = strawberry.field(
        default=UNSET,
        description="true: the organization's default billing address; false on the current"
        " default: cleared, so it is inherited again.",
    )
    is_default_shipping_address: bool | None = UNSET
    type_ids: list[strawberry.ID] | None = strawberry.field(
        default=UNSET, description="Address types (reference data); replaces the list."
    )


@strawberry.input(
    description="An organization's address. Adding needs addressType and the address's"
    " companyName, address1, city, state, postalCode, country and phoneNumber; an update"
    " changes only the fields given."
)
class OrganizationAddressInput:
    address_type: str | None = strawberry.field(
        default=UNSET, description="The address's nickname, unique in its organization."
    )
    address: AddressLinesInput | None = UNSET


@strawberry.type(description="An organization's address, its types and whether it is a default.")
class OrganizationAddress:
    address_type: str | None
    address: Address
    is_default_billing_address: bool
    is_default_shipping_address: bool
    types: list[AddressType]

    @classmethod
    def from_view(cls, view: addresses.AddressView) -> OrganizationAddress:
        address = Address.from_row(view.address)
        assert address is not None
        return cls(
            address_type=view.address.address_type,
            address=address,
            is_default_billing_address=view.default_billing,
            is_default_shipping_address=view.default_shipping,
            types=[
                AddressType(
                    repository_id=strawberry.ID(row.id),
                    display_name=row.display_name,
                )
                for row in view.types
            ],
        )


@strawberry.type
class OrganizationAddressPayload:
    address: OrganizationAddress | None = strawberry.field(description="Null on userErrors.")
    user_errors: list[UserError]


@strawberry.type
class DeleteOrganizationAddressPayload:
    deleted_address_id: strawberry.ID | None = strawberry.field(description="Null on userErrors.")
    user_errors: list[UserError]


def _document(input: OrganizationAddressInput) -> dict[str, object]:
    """The input as the REST document the core parses (fields left out stay out)."""
    return address_document(input.address_type, input.address, _address)


def _address(lines: AddressLinesInput) -> dict[str, object]:
    """The lines, the default flags and ``typeIds`` as the document's ``types: [{id}]``."""
    address = lines_document(lines)
    for flag in ("is_default_billing_address", "is_default_shipping_address"):
        if getattr(lines, flag) is not UNSET:
            name = "isDefaultBillingAddress" if "billing" in flag else "isDefaultShippingAddress"
            address[name] = getattr(lines, flag)
    if lines.type_ids is not UNSET:
        type_ids = lines.type_ids
        address["types"] = None if type_ids is None else [{"id": str(i)} for i in type_ids]
    return address


#: The core's paths that name no part of the input: ``id``, the organization (the REST
#: path's), is ``organizationId``; ``secondaryAddresses``, the full list a refused add
#: (190102) points at on REST, is no argument: what is stored refuses, not the input, so the
#: field is null (as a profile's bound, addProfileAddress).
_ARGUMENTS = argument_paths({"id": "organizationId", limits.FIELD: None})


def _named(detail: ErrorDetail) -> ErrorDetail:
    """``address.types[i].id`` named as the input does (typeIds), the organization as
    ``organizationId`` (:data:`_ARGUMENTS`)."""
    detail = _ARGUMENTS(detail)
    field = detail.field
    if field is not None and (match := _TYPES_FIELD.match(field)):
        field = f"address.typeIds[{match.group(1)}]"
    elif field == "address.types":
        field = "address.typeIds"
    return ErrorDetail(detail.code, detail.message, field)


@strawberry.type
class AddressMutations:
    @strawberry.mutation(
        description="Add an address to the organization (100001: no such organization;"
        f" 190102: it holds {limits.MAX_ORGANIZATION_ADDRESSES} addresses entered by hand"
        " already, synced ones aside).",
        permission_classes=SIGNED_IN,
    )
    async def add_organization_address(
        self, info: Info, organization_id: strawberry.ID, input: OrganizationAddressInput
    ) -> OrganizationAddressPayload | None:
        try:
            async with info.context.unit_of_work() as session:
                view = await addresses.add(
                    session,
                    str(organization_id),
                    _document(input),
                    principal=info.context.principal,
                )
        except OrgqlError as error:
            return OrganizationAddressPayload(
                address=None, user_errors=user_errors_of(error, _named)
            )
        return OrganizationAddressPayload(
            address=OrganizationAddress.from_view(view), user_errors=[]
        )

    @strawberry.mutation(
        description="Change the fields given of the organization's address (190101: not an"
        " address of this organization).",
        permission_classes=SIGNED_IN,
    )
    async def update_organization_address(
        self,
        info: Info,
        organization_id: strawberry.ID,
        address_id: strawberry.ID,
        input: OrganizationAddressInput,
    ) -> OrganizationAddressPayload | None:
        try:
            async with info.context.unit_of_work() as session:
                view = await addresses.update(
                    session,
                    str(organization_id),
                    str(address_id),
                    _document(input),
                    principal=info.context.principal,
                )
        except OrgqlError as error:
            return OrganizationAddressPayload(
                address=None, user_errors=user_errors_of(error, _named)
            )
        return OrganizationAddressPayload(
            address=OrganizationAddress.from_view(view), user_errors=[]
        )

    @strawberry.mutation(
        description="Delete the organization's address; where it was a default (here or"
        " below) the default is cleared and inherited again.",
        permission_classes=SIGNED_IN,
    )
    async def delete_organization_address(
        self,
        info: Info,
        organization_id: strawberry.ID,
        address_id: Annotated[strawberry.ID, strawberry.argument(description="The address.")],
    ) -> DeleteOrganizationAddressPayload | None:
        try:
            async with info.context.unit_of_work() as session:
                await addresses.remove(
                    session,
                    str(organization_id),
                    str(address_id),
                    principal=info.context.principal,
                )
        except OrgqlError as error:
            return DeleteOrganizationAddressPayload(
                deleted_address_id=None, user_errors=user_errors_of(error, _named)
            )
        return DeleteOrganizationAddressPayload(deleted_address_id=address_id, user_errors=[])
