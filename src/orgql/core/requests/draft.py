"""The draft organization of a request: validated by the organization parser itself
(:func:`parse_new_organization`), so an organization's rules live in one place. Its codes are
translated into the request API's and its fields reported under ``organization.``.

A draft is stored in canonical form: a createOrganization document with only the keys set,
trimmed values, and each address's ``externalAddressId`` and ``types`` (which createOrganization
does not carry) beside the address fields.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from orgql.core.addresses.limits import TOO_MANY_ADDRESSES
from orgql.core.common import validation
from orgql.core.common.errors import Codes, ErrorDetail, OrgqlError
from orgql.core.common.validation import (
    Problems,
    column_length,
    is_storable_text,
    join,
    read_str,
    too_many,
)
from orgql.core.organizations.address_input import ADDRESS_FIELDS
from orgql.core.organizations.input import (
    ORGANIZATION_STRINGS,
    NewOrganization,
    parse_new_organization,
)
from orgql.core.requests.codes import RequestCodes
from orgql.db import models, request_models

#: The draft organization's keys: those of the vendor's request schema. Parent, members,
#: contracts, payment methods and the like are the merchant's to set after approval.
DRAFT_KEYS = frozenset(
    [
        "name",
        "description",
        "type",
        "customerType",
        "dunsNumber",
        "taxReferenceNumber",
        "vatReferenceNumber",
        "uniqueId",
        "externalOrganizationId",
        "partyId",
        "partyNumber",
        "secondaryAddresses",
    ]
)
_ADDRESS_EXTRAS = ("types", "externalAddressId")
_ADDRESS_TYPE_ID_LENGTH = column_length(request_models.AddressType.__table__, "id")


@dataclass(frozen=True)
class DraftAddress:
    """What the organization parser does not carry: an address's external id and types."""

    address_type: str
    external_address_id: str | None
    type_ids: list[str]


def new_organization(
    draft: Mapping[str, object], party_number: str | None = None
) -> tuple[NewOrganization, list[DraftAddress]]:
    """The organization a draft becomes (createOrganization's rules, once more: reference
    data may have changed since the draft was stored)."""
    document, extras = _split_addresses(draft)
    if party_number is not None:
        document["partyNumber"] = party_number
    try:
        return parse_new_organization(document), extras
    except OrgqlError as error:
        details = [request_detail(detail) for detail in error.details]
        raise OrgqlError.from_details(details, error.kind) from None


def draft_type_ids(draft: Mapping[str, object]) -> list[tuple[str, str]]:
    """(address type id, error path) of every type the draft's addresses name."""
    _, extras = _split_addresses(draft)
    return [
        (type_id, f"organization.secondaryAddresses[{index}].address.types[{position}].id")
        for index, extra in enumerate(extras)
        for position, type_id in enumerate(extra.type_ids)
    ]


def request_detail(detail: ErrorDetail) -> ErrorDetail:
    """An organization parser's problem in the request API's words (codes and field path)."""
    where = join("organization", detail.field) if detail.field else "organization"
    if detail.code == Codes.VALUE_TOO_LONG:
        code = RequestCodes.VALUE_TOO_LONG
    elif detail.code == TOO_MANY_ADDRESSES:  # the organization's own bound, the same code
        code = detail.code
    elif detail.code == Codes.NAME_EMPTY:
        code = RequestCodes.ORGANIZATION_NAME_EMPTY
    elif detail.field == "dunsNumber":
        code = RequestCodes.DUNS_INVALID
    else:
        code = RequestCodes.INVALID_INPUT
    return dataclasses.replace(detail, code=code, field=where)  # a count of the rest stays one


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def unknown_keys(
    doc: Mapping[str, object], allowed: frozenset[str], path: str | None, p: Problems
) -> None:
    validation.unknown_keys(doc, allowed, path, p, code=RequestCodes.INVALID_INPUT)


def parse_draft(
    organization: Mapping[str, object],
    problems: Problems,
    *,
    stored: Mapping[str, object] | None = None,
) -> dict[str, object] | None:
    """Validate a draft organization; returns it in canonical form (trimmed values, only the
    keys set, addresses with their external ids and types). Its name and nicknames are judged
    as an organization's, unless one is the ``stored`` draft's as it is."""
    before = len(problems.details)
    unknown_keys(organization, DRAFT_KEYS, "organization", problems)
    document = dict(organization)
    party_id = document.get("partyId")
    if isinstance(party_id, int) and not isinstance(party_id, bool):
        document["partyId"] = str(party_id)  # a number in the vendor's schema
    addresses = document.get("secondaryAddresses")
    extras: list[tuple[str | None, list[str]]] = []
    where = "organization.secondaryAddresses"
    if isinstance(addresses, list) and too_many(addresses, "secondaryAddresses", where, problems):
        return None
    if isinstance(addresses, list):
        stripped: list[object] = []
        for index, item in enumerate(addresses):
            address = item.get("address") if isinstance(item, Mapping) else None
            if not isinstance(item, Mapping) or not isinstance(address, Mapping):
                stripped.append(item)
                extras.append((None, []))
                continue
            path = f"organization.secondaryAddresses[{index}].address"
            if "repositoryId" in address:
                problems.add(
                    RequestCodes.INVALID_INPUT,
                    "unknown address property 'repositoryId'",
                    join(path, "repositoryId"),
                )
            external_id = read_str(
                address,
                "externalAddressId",
                path,
                problems,
                max_length=column_length(models.Address.__table__, "external_address_id"),
                code=RequestCodes.INVALID_INPUT,
            )
            extras.append((external_id, parse_type_ids(address.get("types"), path, problems)))
            plain = {k: v for k, v in address.items() if k not in _ADDRESS_EXTRAS}
            stripped.append({**item, "address": plain})
        document["secondaryAddresses"] = stripped
    try:
        new = parse_new_organization(
            {k: v for k, v in document.items() if k in DRAFT_KEYS}, stored=stored
        )
    except OrgqlError as error:
        problems.details.extend(request_detail(detail) for detail in error.details)
        return None
    if len(problems.details) > before:
        return None
    return _canonical(new, extras)


def parse_type_ids(value: object, path: str, problems: Problems) -> list[str]:
    """``types``: a list of ``{"id": ...}`` (180120 for a malformed value, 100204 for an item
    without an id)."""
    where = join(path, "types")
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(
            RequestCodes.ADDRESS_TYPE_INVALID, "types must be a list of {id} objects", where
        )
        return []
    if too_many(value, "types", where, problems, code=RequestCodes.ADDRESS_TYPE_INVALID):
        return []
    ids: list[str] = []
    for index, item in enumerate(value):
        item_path = join(where, index)
        if not isinstance(item, Mapping):
            problems.add(
                RequestCodes.ADDRESS_TYPE_INVALID, "each address type must be an object", item_path
            )
            continue
        type_id = item.get("id", item.get("repositoryId"))
        if is_blank(type_id):
            problems.add(
                RequestCodes.ADDRESS_TYPE_ID_REQUIRED,
                "Id is required for types",
                join(item_path, "id"),
            )
        elif (
            not isinstance(type_id, str)
            or not is_storable_text(type_id)
            or len(type_id.strip()) > (_ADDRESS_TYPE_ID_LENGTH or 254)
        ):
            problems.add(
                RequestCodes.ADDRESS_TYPE_INVALID,
                f"Invalid address type value: {str(type_id)[:60]!r}",
                join(item_path, "id"),
            )
        else:
            ids.append(type_id.strip())
    return list(dict.fromkeys(ids))


def _canonical(
    new: NewOrganization, extras: list[tuple[str | None, list[str]]]
) -> dict[str, object]:
    draft: dict[str, object] = {"name": new.name}
    for key, column in (
        *ORGANIZATION_STRINGS.items(),
        ("type", "type"),
        ("customerType", "customer_type"),
        ("dunsNumber", "duns_number"),
    ):
        if new.columns.get(column) is not None:
            draft[key] = new.columns[column]
    addresses: list[dict[str, object]] = []
    for address, (external_id, type_ids) in zip(new.addresses, extras, strict=True):
        fields: dict[str, object] = {
            key: address.fields[column]
            for key, column in ADDRESS_FIELDS.items()
            if address.fields.get(column) is not None
        }
        if address.default_billing:
            fields["isDefaultBillingAddress"] = True
        if address.default_shipping:
            fields["isDefaultShippingAddress"] = True
        if external_id is not None:
            fields["externalAddressId"] = external_id
        fields["types"] = [{"id": type_id} for type_id in type_ids]
        addresses.append({"addressType": address.address_type, "address": fields})
    if addresses:
        draft["secondaryAddresses"] = addresses
    return draft


def _split_addresses(draft: Mapping[str, object]) -> tuple[dict[str, object], list[DraftAddress]]:
    """A stored (canonical) draft as a createOrganization document, and what it leaves out."""
    document = dict(draft)
    extras: list[DraftAddress] = []
    items = draft.get("secondaryAddresses")
    if isinstance(items, list):
        plain_items: list[dict[str, object]] = []
        for item in items:
            address = dict(item["address"])
            types = address.pop("types", None) or []
            external_id = address.pop("externalAddressId", None)
            extras.append(
                DraftAddress(
                    address_type=item["addressType"],
                    external_address_id=external_id if isinstance(external_id, str) else None,
                    type_ids=[t["id"] for t in types if isinstance(t, Mapping)],
                )
            )
            plain_items.append({"addressType": item["addressType"], "address": address})
        document["secondaryAddresses"] = plain_items
    return document, extras
