"""The upstream financial service's JSON contract (documented in docs/financial-sync.md),
read into the core's source types. Anything outside the contract is a :class:`FinancialSourceError`.

One page of ``GET {base}/parties/{partyId}/customerAccounts?offset=&limit=[&businessUnitId=]``::

    {"items": [{"accountId": "300100010002", "accountNumber": "10002",
                "accountName": "Sample East", "businessUnitId": 300000001,
                "sites": [{"siteId": "300100020101",
                           "uses": [{"purpose": "BILL_TO", "primary": true},
                                    {"purpose": "SHIP_TO", "primary": false}],
                           "address": {"externalId": "300100628304101",
                                       "address1": "1 Main Street", "address2": null,
                                       "address3": null, "city": "Boston", "state": "MA",
                                       "postalCode": "02110", "country": "US",
                                       "county": null}}]}],
     "hasMore": false}

Ids may be strings or integers; unknown keys are ignored; a use whose purpose is neither
``BILL_TO`` nor ``SHIP_TO`` is ignored. Address values are not validated here: the sync
reports the addresses it cannot store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from orgql.core.common import addresses as address_fields
from orgql.core.common.json_text import loads
from orgql.core.financial.source import (
    FinancialSourceError,
    SourceAccount,
    SourceAddress,
    SourceSite,
)

ADDRESS_KEYS = tuple(address_fields.POSTAL_KEYS.values())
BILL_TO = "BILL_TO"
SHIP_TO = "SHIP_TO"


@dataclass(frozen=True)
class Page:
    accounts: list[SourceAccount]
    has_more: bool


class ContractError(FinancialSourceError):
    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"the financial service's answer is malformed at {where}: {problem}")


def parse_page(body: bytes) -> Page:
    try:
        doc = loads(body)  # orjson where it can: the decoder holds the GIL (http.py)
    except (ValueError, RecursionError):  # JSONDecodeError and bad UTF-8 are ValueErrors
        raise FinancialSourceError("the financial service answered malformed JSON") from None
    if not isinstance(doc, Mapping):
        raise ContractError("$", "not a JSON object")
    items = doc.get("items")
    if not isinstance(items, list):
        raise ContractError("items", "not a list")
    has_more = doc.get("hasMore", False)
    if not isinstance(has_more, bool):
        raise ContractError("hasMore", "not true or false")
    return Page([_account(item, f"items[{i}]") for i, item in enumerate(items)], has_more)


def _object(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise ContractError(where, "not an object")
    return value


def _id(doc: Mapping[str, object], key: str, where: str, *, required: bool) -> str | None:
    value = doc.get(key)
    if value is None and not required:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value.strip():
        raise ContractError(f"{where}.{key}", "not a non-empty string")
    return value.strip()


def _text(doc: Mapping[str, object], key: str, where: str) -> str | None:
    value = doc.get(key)
    if value is not None and not isinstance(value, str):
        raise ContractError(f"{where}.{key}", "not a string")
    return value


def _account(item: object, where: str) -> SourceAccount:
    doc = _object(item, where)
    unit = doc.get("businessUnitId")
    if unit is not None and (not isinstance(unit, int) or isinstance(unit, bool)):
        raise ContractError(f"{where}.businessUnitId", "not an integer")
    sites = doc.get("sites", [])
    if not isinstance(sites, list):
        raise ContractError(f"{where}.sites", "not a list")
    account_id = _id(doc, "accountId", where, required=True)
    assert account_id is not None
    return SourceAccount(
        account_id=account_id,
        account_number=_id(doc, "accountNumber", where, required=False),
        account_name=_text(doc, "accountName", where),
        business_unit_id=unit,
        sites=tuple(_site(site, f"{where}.sites[{i}]") for i, site in enumerate(sites)),
    )


def _site(item: object, where: str) -> SourceSite:
    doc = _object(item, where)
    address_doc = _object(doc.get("address"), f"{where}.address")
    external_id = _id(address_doc, "externalId", f"{where}.address", required=True)
    assert external_id is not None
    values = {key: _text(address_doc, key, f"{where}.address") for key in ADDRESS_KEYS}
    address = SourceAddress(
        external_id,
        **{column: values[key] for column, key in address_fields.POSTAL_KEYS.items()},
    )
    uses = doc.get("uses", [])
    if not isinstance(uses, list):
        raise ContractError(f"{where}.uses", "not a list")
    flags = {"bill_to": False, "ship_to": False, "primary_bill_to": False, "primary_ship_to": False}
    for index, use in enumerate(uses):
        use_doc = _object(use, f"{where}.uses[{index}]")
        purpose, primary = use_doc.get("purpose"), use_doc.get("primary", False)
        if not isinstance(purpose, str):
            raise ContractError(f"{where}.uses[{index}].purpose", "not a string")
        if not isinstance(primary, bool):
            raise ContractError(f"{where}.uses[{index}].primary", "not true or false")
        kind = {BILL_TO: "bill_to", SHIP_TO: "ship_to"}.get(purpose.strip().upper())
        if kind is not None:
            flags[kind] = True
            flags[f"primary_{kind}"] |= primary
    return SourceSite(
        address=address,
        site_id=_id(doc, "siteId", where, required=False),
        bill_to=flags["bill_to"],
        ship_to=flags["ship_to"],
        primary_bill_to=flags["primary_bill_to"],
        primary_ship_to=flags["primary_ship_to"],
    )
