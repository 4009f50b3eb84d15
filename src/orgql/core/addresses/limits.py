"""How many addresses an owner holds. Every way of adding one is bounded, so that what a
reader of the owner is answered (the organization's GET, its GraphQL ``secondaryAddresses``)
is bounded too, whoever adds them: a shopper with ``accountAddressManager`` may, from the
open storefront (DOMAIN.md, "The people of an account").

- An organization holds at most :data:`MAX_ORGANIZATION_ADDRESSES` addresses entered by hand,
  however they come: addOrganizationAddress (the merchant admin, or the account's
  accountAddressManager, on REST or GraphQL), createOrganization's ``secondaryAddresses``,
  and the approval of a registration request, which creates its draft's (a draft holding
  more is refused already when submitted or updated). An update adds none (PUT refuses
  ``secondaryAddresses``; updateOrganizationAddress changes one in place).
- The addresses a financial sync writes (``source`` :data:`SYNCED_SOURCE`) do not count and
  are not bounded here. They are the system of record's copy of the party's billing and
  shipping sites, replaced whole by each sync (core.financial.sync), which has bounds of
  its own on what it fetches (ORGQL_FINANCIAL_MAX_SYNC_ADDRESSES, core.financial.source
  .SyncBounds): counting them here would fail a sync because of addresses typed by hand, or
  refuse an address typed by hand because the ERP holds many, and neither is the caller's
  to fix.
- A profile holds at most ``core.addresses.profile_addresses.MAX_PROFILE_ADDRESSES``.
- Both are refused with :data:`TOO_MANY_ADDRESSES`: an add when the owner holds its maximum
  already (a conflict with what is stored: 409, as a profile's), a new organization whose
  list alone is longer (its input: 400). A refused add changes nothing.
- An add counts under the owner's row lock, which its caller took before
  (core.addresses.service.add locks the organization's row, as every address change and the
  sync do): of two concurrent adds at one below the bound, the second counts after the first
  has committed, and is refused.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.addresses import SYNCED_SOURCE
from orgql.core.common.errors import ErrorKind, OrgqlError
from orgql.core.common.validation import Problems
from orgql.db import models

#: The most addresses entered by hand that one organization holds: the ship-to sites of a
#: large account typed in one by one, five times a profile's address book; about 100 KB of
#: the organization's answer. Synced addresses come on top (module rules).
MAX_ORGANIZATION_ADDRESSES = 500

#: orgql's own code (the vendor's pages name none): the owner (an organization or a profile)
#: holds its maximum of addresses already.
TOO_MANY_ADDRESSES = "190102"

#: Where an organization's refusal points: the list that is full.
FIELD = "secondaryAddresses"


def organization_full() -> str:
    return (
        f"An organization holds at most {MAX_ORGANIZATION_ADDRESSES} addresses entered by hand"
        " (synced billing addresses aside): delete one first"
    )


async def require_organization_room(session: AsyncSession, organization_id: str) -> None:
    """Refuse (:data:`TOO_MANY_ADDRESSES`, a conflict) one more address entered by hand when
    the organization holds its maximum already (module rules). The caller holds the
    organization's row lock, so the count is not overtaken by a concurrent add."""
    address = models.Address
    held = await session.scalar(
        select(func.count())
        .select_from(address)
        .where(address.organization_id == organization_id, address.source != SYNCED_SOURCE)
    )
    if (held or 0) >= MAX_ORGANIZATION_ADDRESSES:
        raise OrgqlError(TOO_MANY_ADDRESSES, organization_full(), FIELD, ErrorKind.CONFLICT)


def check_new_organization(count: int, problems: Problems) -> bool:
    """Record a problem when a new organization's ``secondaryAddresses`` (``count`` items)
    are more than it may hold (module rules); True then, and the caller reads none of them."""
    if count <= MAX_ORGANIZATION_ADDRESSES:
        return False
    problems.add(
        TOO_MANY_ADDRESSES,
        f"secondaryAddresses holds {count} addresses; an organization holds at most"
        f" {MAX_ORGANIZATION_ADDRESSES} entered by hand",
        FIELD,
    )
    return True
