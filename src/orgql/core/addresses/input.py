"""Parse an untrusted secondary-address document (addOrganizationAddress,
updateOrganizationAddress) into a typed input.

The document is one item of createOrganization's ``secondaryAddresses``
(``spec/createOrganization.txt``): ``{"addressType": nickname, "address": {...}}``, the
address holding the fields of :mod:`orgql.core.common.addresses`, the default flags
``isDefaultBillingAddress`` / ``isDefaultShippingAddress``, and ``types`` (a list of
``{"id": address type}``, as an organization request's addresses carry them). REST passes the
body; GraphQL translates its input into the same names.

Adding needs what createOrganization needs of an address (addressType and the required
fields). Updating is partial: a key left out is unchanged, ``null`` (or blank) clears an
optional field; a required field cannot be cleared; ``types`` replaces the list; a default
flag ``false`` on the current default clears that default, so it is inherited again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from orgql.core.common.errors import Codes
from orgql.core.common.validation import (
    Problems,
    column_length,
    read_bool,
    read_object,
    read_str,
    unknown_keys,
)
from orgql.core.organizations.address_input import ADDRESS_FIELDS, REQUIRED_ADDRESS_FIELDS
from orgql.core.requests.draft import parse_type_ids
from orgql.db import models

_ADDRESS = models.Address.__table__

#: The keys of the document and of its ``address``.
DOCUMENT_KEYS = frozenset({"addressType", "address"})
ADDRESS_KEYS = frozenset(
    [
        *ADDRESS_FIELDS,
        "isDefaultBillingAddress",
        "isDefaultShippingAddress",
        "types",
        "repositoryId",
    ]
)


@dataclass(frozen=True)
class AddressInput:
    """What an add sets or an update changes; anything not named is left as it is.

    ``fields``: column -> value (None clears it). ``default_billing`` / ``default_shipping``:
    None leaves the default as it is. ``type_ids``: None leaves the types as they are."""

    address_type: str | None = None
    fields: dict[str, str | None] = field(default_factory=dict)
    default_billing: bool | None = None
    default_shipping: bool | None = None
    type_ids: list[str] | None = None

    def changed_keys(self) -> list[str]:
        """The OCC keys this input sets (an add's event's ``changed``), sorted."""
        keys = [key for key, column in ADDRESS_FIELDS.items() if column in self.fields]
        if self.address_type is not None:
            keys.append("addressType")
        if self.type_ids is not None:
            keys.append("types")
        return sorted(keys)


def parse_address(doc: Mapping[str, object], *, partial: bool) -> AddressInput:
    """Validate the shape of an address document (module rules); raises
    :class:`OrgqlError` listing every problem found. ``partial``: an update."""
    problems = Problems()
    unknown_keys(doc, DOCUMENT_KEYS, None, problems)
    address_type = read_str(
        doc,
        "addressType",
        None,
        problems,
        max_length=column_length(_ADDRESS, "address_type"),
        required=None if partial else Codes.INVALID_INPUT,
    )
    given = doc.get("addressType")
    if partial and "addressType" in doc and (given is None or str(given).strip() == ""):
        problems.add(Codes.INVALID_INPUT, "addressType cannot be cleared", "addressType")
    address = read_object(doc, "address", None, problems)
    if address is None and doc.get("address") is None and (not partial or "address" in doc):
        problems.add(
            Codes.INVALID_INPUT,
            "address cannot be cleared" if partial else "address is required",
            "address",
        )
    fields: dict[str, str | None] = {}
    billing = shipping = None
    type_ids = None
    if address is not None:
        unknown_keys(address, ADDRESS_KEYS, "address", problems, what="address property")
        for key, column in ADDRESS_FIELDS.items():
            if partial and key not in address:
                continue
            required = key in REQUIRED_ADDRESS_FIELDS
            value = read_str(
                address,
                key,
                "address",
                problems,
                max_length=column_length(_ADDRESS, column),
                required=Codes.INVALID_INPUT if required else None,
            )
            if value is not None or (partial and not required):
                fields[column] = value
        billing = read_bool(address, "isDefaultBillingAddress", "address", problems)
        shipping = read_bool(address, "isDefaultShippingAddress", "address", problems)
        if "types" in address:
            type_ids = parse_type_ids(address.get("types"), "address", problems)
    problems.raise_if_any()
    return AddressInput(
        address_type=address_type,
        fields=fields,
        default_billing=billing,
        default_shipping=shipping,
        type_ids=type_ids,
    )
