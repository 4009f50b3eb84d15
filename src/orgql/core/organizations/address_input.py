"""The secondary addresses of a createOrganization document (createOrganization.txt's
``secondaryAddresses``; core.organizations.input parses the rest): their shape, at most
core.addresses.limits' bound of them, one nickname each, unique within the document, seen
whole (core.common.characters), and at most one default billing and one default shipping."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from orgql.core.addresses import limits as address_limits
from orgql.core.common import addresses as address_fields
from orgql.core.common.characters import check_seen
from orgql.core.common.errors import Codes
from orgql.core.common.validation import (
    Problems,
    column_length,
    join,
    read_bool,
    read_list,
    read_object,
    read_str,
    unknown_keys,
)
from orgql.db import models

_ADDRESS = models.Address.__table__

#: OCC address key -> column (core/common/addresses.py).
ADDRESS_FIELDS = {key: column for column, key in address_fields.ADDRESS_KEYS.items()}
#: The keys an address object may hold.
ADDRESS_KEYS = frozenset(
    [*ADDRESS_FIELDS, "isDefaultBillingAddress", "isDefaultShippingAddress", "repositoryId"]
)
REQUIRED_ADDRESS_FIELDS = address_fields.REQUIRED_KEYS


@dataclass(frozen=True)
class NewAddress:
    address_type: str
    fields: dict[str, str | None]
    default_billing: bool = False
    default_shipping: bool = False


def stored_nicknames(stored: Mapping[str, object]) -> frozenset[str]:
    """The ``addressType`` of every secondary address of a ``stored`` document."""
    items = stored.get("secondaryAddresses")
    return frozenset(
        item["addressType"]
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, Mapping) and isinstance(item.get("addressType"), str)
    )


def parse_addresses(
    doc: Mapping[str, object], problems: Problems, kept: frozenset[str]
) -> list[NewAddress]:
    """The secondary addresses; a nickname is seen whole (core.common.characters) unless it
    is one of the ``kept`` ones as it is (a stored draft's)."""
    items = read_list(doc, "secondaryAddresses", None, problems)
    if items is None or address_limits.check_new_organization(len(items), problems):
        return []
    addresses: list[NewAddress] = []
    seen_types: dict[str, int] = {}
    billing_defaults: list[int] = []
    shipping_defaults: list[int] = []
    for index, item in enumerate(items):
        path = join("secondaryAddresses", index)
        if not isinstance(item, Mapping):
            problems.add(Codes.INVALID_INPUT, "each secondary address must be an object", path)
            continue
        address_type = read_str(
            item,
            "addressType",
            path,
            problems,
            max_length=column_length(_ADDRESS, "address_type"),
            required=Codes.INVALID_INPUT,
        )
        kept_type = address_type if address_type in kept else None
        check_seen("addressType", address_type, kept_type, problems, path=join(path, "addressType"))
        address = read_object(item, "address", path, problems)
        if address is None:
            if item.get("address") is None:
                problems.add(Codes.INVALID_INPUT, "address is required", join(path, "address"))
            continue
        address_path = join(path, "address")
        values: dict[str, str | None] = {}
        for key, column in ADDRESS_FIELDS.items():
            values[column] = read_str(
                address,
                key,
                address_path,
                problems,
                max_length=column_length(_ADDRESS, column),
                required=Codes.INVALID_INPUT if key in REQUIRED_ADDRESS_FIELDS else None,
            )
        unknown_keys(address, ADDRESS_KEYS, address_path, problems, what="address property")
        billing = read_bool(address, "isDefaultBillingAddress", address_path, problems)
        shipping = read_bool(address, "isDefaultShippingAddress", address_path, problems)
        if billing:
            billing_defaults.append(index)
        if shipping:
            shipping_defaults.append(index)
        if address_type is not None:
            key = address_type.lower()
            if key in seen_types:
                problems.add(
                    Codes.INVALID_INPUT,
                    f"addressType {address_type!r} is used by secondaryAddresses"
                    f"[{seen_types[key]}] already",
                    join(path, "addressType"),
                )
            seen_types[key] = index
            addresses.append(NewAddress(address_type, values, bool(billing), bool(shipping)))
    if len(billing_defaults) > 1:
        problems.add(
            Codes.INVALID_BILLING_ADDRESS,
            "only one address can be the default billing address",
            "secondaryAddresses",
        )
    if len(shipping_defaults) > 1:
        problems.add(
            Codes.INVALID_SHIPPING_ADDRESS,
            "only one address can be the default shipping address",
            "secondaryAddresses",
        )
    return addresses
