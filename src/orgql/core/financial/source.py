"""The financial source port: where syncFinancialData reads an organization's billing data.

The financial system of record (ERP, customer data management) keys customer accounts by
the organization's *party*. The core asks a :class:`FinancialSource` for a party's accounts
and knows nothing of how they are fetched: the adapters (``orgql.financial_sources``) read
them from an upstream REST service or from the gateway's own tables.

What comes back is the system of record's data as it is: addresses are not validated here
(the sync does that, and reports the ones it cannot store). An adapter only guarantees the
shape: every account has an id, every site an address with an external id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SourceAddress:
    external_id: str
    address1: str | None = None
    address2: str | None = None
    address3: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    county: str | None = None


@dataclass(frozen=True)
class SourceSite:
    """An account site: one address and what the account uses it for."""

    address: SourceAddress
    site_id: str | None = None
    bill_to: bool = False
    ship_to: bool = False
    primary_bill_to: bool = False
    primary_ship_to: bool = False


@dataclass(frozen=True)
class SourceAccount:
    account_id: str
    account_number: str | None = None
    account_name: str | None = None
    business_unit_id: int | None = None
    sites: tuple[SourceSite, ...] = ()


class FinancialSourceError(Exception):
    """The source could not answer: unreachable, failing, too slow, or answering outside
    its contract. The message says which, in words fit for the caller's error message (no
    URL, no library's text); ``detail``, for the log only, may say more.

    Not for the gateway's own database failing under an adapter that reads it (the built-in
    source): that is let through as it is, and answered as the database's failure."""

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail


@dataclass(frozen=True)
class SyncBounds:
    """What one sync may fetch (and so store) at most: ``accounts`` customer accounts and
    ``addresses`` addresses, an address counting once for each account site that lists it
    (ORGQL_FINANCIAL_MAX_SYNC_ACCOUNTS / _ADDRESSES). An adapter checks them as it fetches
    and stops as soon as one is passed: the sync fails and nothing is written."""

    accounts: int
    addresses: int

    def check(self, accounts: int, addresses: int) -> None:
        """Raise :class:`FinancialSourceError` when the counts fetched so far pass a bound."""
        for count, bound, what, setting in (
            (accounts, self.accounts, "customer accounts", "ACCOUNTS"),
            (addresses, self.addresses, "addresses (account sites)", "ADDRESSES"),
        ):
            if count > bound:
                raise FinancialSourceError(
                    f"the financial system holds more than {bound} {what} to sync, more"
                    f" than one sync may store (ORGQL_FINANCIAL_MAX_SYNC_{setting})"
                )


class FinancialSource(Protocol):
    async def customer_accounts(
        self, party_id: str, business_unit_id: int | None
    ) -> Sequence[SourceAccount]:
        """Every customer account of ``party_id`` (of ``business_unit_id`` when given),
        complete: an adapter answers all of them or raises :class:`FinancialSourceError`."""
        ...
