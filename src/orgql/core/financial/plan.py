"""What a sync will write, worked out from the source's answer before anything is written.

Rules (syncFinancialData.txt, DOMAIN.md "Financial data sync"):
- with a business unit, only that unit's accounts are kept (an account of another unit is
  dropped even if the source sent it);
- an address that cannot be stored (no address line, city or country; a value too long or
  holding control characters; a nickname another address of the organization uses) is
  skipped and reported with its external id; the rest go through; a lone surrogate in that
  id (text PostgreSQL cannot hold, nor UTF-8 carry) is reported as U+FFFD, so that REST and
  GraphQL answer the same encodable id. Nicknames are compared as the database's unique key
  compares them (``lower(btrim(...))`` in PostgreSQL, whose ``lower`` disagrees with
  Python's on a final sigma and a dotted capital I): the caller reads those keys of the
  external ids and passes them in (core.addresses.nicknames);
- one external address id is one address of the organization, whichever accounts and sites
  use it (the first occurrence's values win, the uses are merged);
- the default billing / shipping address is the first valid primary bill-to / ship-to.
An account the gateway cannot store at all (duplicate id, value too long) means the source
broke its contract: the whole sync fails (100193) and nothing changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from orgql.core.common import addresses as address_fields
from orgql.core.common.errors import Codes, ErrorKind, OrgqlError, quoted
from orgql.core.common.validation import column_length, is_storable_text
from orgql.core.financial.source import SourceAccount, SourceAddress
from orgql.db import financial_models, models

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ADDRESS = models.Address.__table__
_ACCOUNT = financial_models.CustomerAccount.__table__

#: Address column -> its name in messages (the OCC address key).
ADDRESS_KEYS = address_fields.POSTAL_KEYS
REQUIRED_MESSAGES = {
    "address1": "Address line 1 is not specified",
    "city": "City is not specified",
    "country": "Country is not specified",
}


@dataclass(frozen=True)
class FailedAddress:
    external_id: str
    error_message: str


@dataclass(frozen=True)
class PlannedAddress:
    external_id: str
    #: Address column -> value (trimmed; None when blank).
    values: dict[str, str | None]


@dataclass
class PlannedLink:
    account_index: int
    external_address_id: str
    site_id: str | None
    bill_to: bool = False
    ship_to: bool = False
    primary_bill_to: bool = False
    primary_ship_to: bool = False


@dataclass
class SyncPlan:
    accounts: list[SourceAccount] = field(default_factory=list)
    addresses: list[PlannedAddress] = field(default_factory=list)
    links: list[PlannedLink] = field(default_factory=list)
    failed: list[FailedAddress] = field(default_factory=list)
    default_billing: str | None = None  # external address id
    default_shipping: str | None = None


def contract_broken(message: str) -> OrgqlError:
    return OrgqlError(
        Codes.FINANCIAL_SYNC_FAILED,
        f"Internal error while syncing financial data: {message}",
        None,
        ErrorKind.INTERNAL,
    )


def plan_sync(
    accounts: Sequence[SourceAccount],
    business_unit_id: int | None,
    taken_nicknames: Iterable[str] = (),
    nickname_keys: Mapping[str, str] | None = None,
) -> SyncPlan:
    """The accounts, addresses and links to create; see the module's rules.

    ``taken_nicknames`` are the keys (``lower(btrim(addressType))``, the database's) of the
    organization's other addresses: a synced address is nicknamed by its external id.
    ``nickname_keys`` maps each storable external id to its key, read from the database;
    an id it lacks (or without it) is keyed by Python's ``strip().lower()``, which differs
    from the database's on some letters and spaces."""
    plan = SyncPlan()
    taken = _Nicknames(set(taken_nicknames), nickname_keys or {})
    seen_accounts: set[str] = set()
    verdicts: dict[str, str | None] = {}  # external id -> error message (None: valid)
    links: dict[tuple[int, str], PlannedLink] = {}
    for account in accounts:
        if business_unit_id is not None and account.business_unit_id not in (
            None,
            business_unit_id,
        ):
            continue
        _check_account(account, seen_accounts)
        index = len(plan.accounts)
        plan.accounts.append(account)
        for site in account.sites:
            address = site.address
            if address.external_id not in verdicts:
                verdicts[address.external_id] = _address_problem(address, taken, plan)
            if verdicts[address.external_id] is not None:
                continue
            link = links.get((index, address.external_id))
            if link is None:
                link = PlannedLink(index, address.external_id, site.site_id)
                links[(index, address.external_id)] = link
                plan.links.append(link)
            link.bill_to |= site.bill_to or site.primary_bill_to
            link.ship_to |= site.ship_to or site.primary_ship_to
            link.primary_bill_to |= site.primary_bill_to
            link.primary_ship_to |= site.primary_ship_to
            if site.primary_bill_to and plan.default_billing is None:
                plan.default_billing = address.external_id
            if site.primary_ship_to and plan.default_shipping is None:
                plan.default_shipping = address.external_id
    plan.failed = [
        FailedAddress(_SURROGATE.sub("\ufffd", external_id), message)
        for external_id, message in verdicts.items()
        if message is not None
    ]
    return plan


def _check_account(account: SourceAccount, seen: set[str]) -> None:
    if account.account_id in seen:
        raise contract_broken(f"customer account {quoted(account.account_id)} is listed twice")
    seen.add(account.account_id)
    for column, value in (
        ("external_account_id", account.account_id),
        ("account_number", account.account_number),
        ("account_name", account.account_name),
    ):
        if value is None:
            continue
        limit = column_length(_ACCOUNT, column)
        if not is_storable_text(value) or _CONTROL.search(value):
            raise contract_broken(f"customer account {column} holds control characters")
        if limit is not None and len(value) > limit:
            raise contract_broken(
                f"customer account {column} is {len(value)} characters long; at most {limit}"
            )
    unit = account.business_unit_id
    if unit is not None and not 0 <= unit < 2**63:
        raise contract_broken(f"business unit id {unit} is out of range")
    site_limit = column_length(
        financial_models.CustomerAccountAddress.__table__, "external_site_id"
    )
    for site in account.sites:
        if site.site_id is not None and (
            not is_storable_text(site.site_id)
            or _CONTROL.search(site.site_id)
            or len(site.site_id) > (site_limit or 254)
        ):
            raise contract_broken(f"account site id {site.site_id[:40]!r} cannot be stored")


@dataclass(frozen=True)
class _Nicknames:
    """The keys of the nicknames taken, and the database's key of each external id."""

    taken: set[str]
    keys: Mapping[str, str]

    def key(self, external_id: str) -> str:
        key = self.keys.get(external_id)
        return key if key is not None else external_id.strip().lower()


def _address_problem(address: SourceAddress, taken: _Nicknames, plan: SyncPlan) -> str | None:
    """Why the address cannot be stored, or None (and it is added to the plan)."""
    problems: list[str] = []
    external_id = address.external_id
    id_limit = column_length(_ADDRESS, "external_address_id") or 254
    if not is_storable_text(external_id) or _CONTROL.search(external_id):
        problems.append("externalId contains control characters")
    elif len(external_id) > id_limit:
        problems.append(f"externalId is longer than {id_limit} characters")
    elif taken.key(external_id) in taken.taken:
        problems.append(
            f"addressType {external_id!r} is used by another address of the organization"
        )
    values: dict[str, str | None] = {}
    for column, key in ADDRESS_KEYS.items():
        raw: str | None = getattr(address, column)
        value = raw.strip() if raw is not None else None
        if not value:
            values[column] = None
            if column in REQUIRED_MESSAGES:
                problems.append(REQUIRED_MESSAGES[column])
            continue
        limit = column_length(_ADDRESS, column)
        if not is_storable_text(value) or _CONTROL.search(value):
            problems.append(f"{key} contains control characters")
        elif limit is not None and len(value) > limit:
            problems.append(f"{key} is {len(value)} characters long; at most {limit} are allowed")
        values[column] = value
    if problems:
        return "; ".join(problems)
    taken.taken.add(taken.key(external_id))  # ids differing only in case share a nickname
    plan.addresses.append(PlannedAddress(external_id, values))
    return None
