"""A profile's own addresses: the merchant admin's addProfileAddress, updateProfileAddress,
deleteProfileAddress, and the signed-in shopper's addMyAddress, updateMyAddress,
deleteMyAddress (their own profile's).

The input carries the REST document's names (``addressType``, ``address.city``); a field left
out is unchanged by an update, ``null`` clears an optional one. The rules are the core's
(:mod:`orgql.core.addresses.profile_addresses`): a refusal of the input is a userError and
changes nothing; a shopper without the profileAddressManager role in an active account is
refused with a top-level error (``extensions.code`` FORBIDDEN) and the field null, as every
authorisation error is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.access.principals import Principal
from orgql.core.addresses import profile_addresses
from orgql.core.common.errors import ErrorKind, OrgqlError
from orgql.db import models
from orgql.graphql.addresses.lines import AddressLinesFields, address_document
from orgql.graphql.context import Info
from orgql.graphql.errors import public_error, user_errors_of
from orgql.graphql.permissions import ADMIN, SIGNED_IN
from orgql.graphql.types import ProfileAddress, UserError

UNSET: Any = strawberry.UNSET


@strawberry.input(description="The lines of a profile's address.")
class ProfileAddressLinesInput(AddressLinesFields):
    pass


@strawberry.input(
    description="A profile's address. Adding needs addressType and the address's companyName,"
    " address1, city, state, postalCode, country and phoneNumber (as an organization's); an"
    " update changes only the fields given."
)
class ProfileAddressInput:
    address_type: str | None = strawberry.field(
        default=UNSET, description="The address's nickname, unique in its profile."
    )
    address: ProfileAddressLinesInput | None = UNSET


@strawberry.type
class ProfileAddressPayload:
    address: ProfileAddress | None = strawberry.field(description="Null on userErrors.")
    user_errors: list[UserError]


@strawberry.type
class DeleteProfileAddressPayload:
    deleted_address_id: strawberry.ID | None = strawberry.field(
        description="The vendor id of the address deleted; null on userErrors."
    )
    user_errors: list[UserError]


def _document(input: ProfileAddressInput) -> dict[str, object]:
    """The input as the REST document the core parses (fields left out stay out)."""
    return address_document(input.address_type, input.address)


def _subject(info: Info) -> str:
    """The signed-in shopper's profile (an admin token names none: FORBIDDEN)."""
    principal = info.context.principal
    if principal.is_shopper and principal.subject is not None:
        return principal.subject
    raise public_error(
        OrgqlError(
            "FORBIDDEN",
            "this operation manages the signed-in shopper's own addresses: a shopper token"
            " is required (an admin uses addProfileAddress)",
            None,
            ErrorKind.FORBIDDEN,
        )
    )


#: The core's add (to a profile) or update (of an address): the same shape.
Save = Callable[[AsyncSession, Principal, str, Mapping[str, object]], Awaitable[models.Address]]


async def _saved(
    info: Info, save: Save, target: str, input: ProfileAddressInput
) -> ProfileAddressPayload:
    """The input saved by ``save`` on ``target`` (a profile added to, an address updated):
    the address, or the refusal's userErrors (nothing changed)."""
    document = _document(input)
    principal = info.context.principal
    try:
        async with info.context.unit_of_work() as session:
            row = await save(session, principal, target, document)
    except OrgqlError as error:
        return ProfileAddressPayload(address=None, user_errors=user_errors_of(error))
    return ProfileAddressPayload(address=ProfileAddress.from_row(row), user_errors=[])


async def _deleted(info: Info, address_id: str) -> DeleteProfileAddressPayload:
    principal = info.context.principal
    try:
        async with info.context.unit_of_work() as session:
            await profile_addresses.remove(session, principal, address_id)
    except OrgqlError as error:
        return DeleteProfileAddressPayload(
            deleted_address_id=None, user_errors=user_errors_of(error)
        )
    return DeleteProfileAddressPayload(deleted_address_id=strawberry.ID(address_id), user_errors=[])


@strawberry.type
class ProfileAddressMutations:
    @strawberry.mutation(
        description="Add an address to the profile (22002: no such profile; 190102: it holds"
        f" {profile_addresses.MAX_PROFILE_ADDRESSES} already).",
        permission_classes=ADMIN,
    )
    async def add_profile_address(
        self, info: Info, profile_id: strawberry.ID, input: ProfileAddressInput
    ) -> ProfileAddressPayload | None:
        return await _saved(info, profile_addresses.add, str(profile_id), input)

    @strawberry.mutation(
        description="Change the fields given of a profile's address (190101: no such"
        " profile address).",
        permission_classes=ADMIN,
    )
    async def update_profile_address(
        self, info: Info, id: strawberry.ID, input: ProfileAddressInput
    ) -> ProfileAddressPayload | None:
        return await _saved(info, profile_addresses.update, str(id), input)

    @strawberry.mutation(
        description="Delete a profile's address (190101: no such profile address).",
        permission_classes=ADMIN,
    )
    async def delete_profile_address(
        self, info: Info, id: strawberry.ID
    ) -> DeleteProfileAddressPayload | None:
        return await _deleted(info, str(id))

    @strawberry.mutation(
        description="Add an address to the signed-in shopper's own profile; FORBIDDEN without"
        " the profileAddressManager role in an active account they are a member of.",
        permission_classes=SIGNED_IN,
    )
    async def add_my_address(
        self, info: Info, input: ProfileAddressInput
    ) -> ProfileAddressPayload | None:
        return await _saved(info, profile_addresses.add, _subject(info), input)

    @strawberry.mutation(
        description="Change the fields given of one of the signed-in shopper's addresses"
        " (190101: not one of theirs); FORBIDDEN as addMyAddress.",
        permission_classes=SIGNED_IN,
    )
    async def update_my_address(
        self, info: Info, id: strawberry.ID, input: ProfileAddressInput
    ) -> ProfileAddressPayload | None:
        _subject(info)
        return await _saved(info, profile_addresses.update, str(id), input)

    @strawberry.mutation(
        description="Delete one of the signed-in shopper's addresses (190101: not one of"
        " theirs); FORBIDDEN as addMyAddress.",
        permission_classes=SIGNED_IN,
    )
    async def delete_my_address(
        self, info: Info, id: strawberry.ID
    ) -> DeleteProfileAddressPayload | None:
        _subject(info)
        return await _deleted(info, str(id))
