"""syncFinancialData: replace an organization's billing accounts and addresses with what the
financial system of record holds for its party (syncFinancialData.txt; DOMAIN.md
"Financial data sync").

- 58001 when the self-service portal setting is off; 100001 for an unknown organization;
  an organization without a partyId cannot be synced (100193, 409);
- the business unit is the caller's, else the organization's configured one, else none
  (every account of the party);
- three steps, holding at most one database connection at a time and none while the source
  answers: a short read (the checks above, the party and the unit, and the sync's ticket),
  the fetch, then one transaction that, with the organization's row locked (two syncs of
  one organization serialize) and the checks made again, removes the previously synced
  accounts and addresses, creates the new ones, and sets the default billing / shipping
  addresses from the primary uses. Syncs commit in the order they took their tickets: one
  that a newer sync overtook while it fetched writes nothing (100193, 409;
  core.financial.order). (A sync that held its transaction's connection while the source
  answered, the built-in one reading on a second: as many syncs at once as the pool has
  connections, and each waited for a second connection that never came.)
- the write does not hold the event loop: what to write (core.financial.plan) is worked out
  in a worker thread, and the rows are inserted by the database from JSON written in one
  (core.financial.rows); docs/financial-sync.md "Bounds" has the numbers;
- the addresses it writes do not count toward an organization's bound of addresses entered
  by hand (core.addresses.limits): a sync never fails because of addresses entered by hand.
  What it fetches, and so writes, has bounds of its own, checked by the source as it
  fetches (core.financial.source.SyncBounds; a page's bytes, financial_sources.http);
- events: ``financialData.synced``, then ``organization.effectiveValueChanged`` for each
  organization of the subtree whose inherited default addresses changed, then
  ``organization.updated`` for each organization below that had chosen a removed address as
  its own default (cleared by the foreign key; core.addresses.choosers, whose lock order the
  removal keeps: no deadlock with an update of such an organization);
- a failure of the source is 100193, its message the source's words for it (no library's
  text); the database failing (unavailable, no connection free, a statement cancelled) is
  left to the transport, which answers it as everywhere (503, Retry-After); any other
  failure of the write is 100193 as well. The transport rolls the write back, so the
  previous financial data is left exactly as it was.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.addresses import choosers, nicknames
from orgql.core.common.addresses import SYNCED_SOURCE
from orgql.core.common.errors import Codes, ErrorKind, OrgqlError, quoted
from orgql.core.common.validation import is_storable_text
from orgql.core.events import lifecycle as change_events
from orgql.core.events import outbox as events
from orgql.core.financial import order, rows
from orgql.core.financial.plan import FailedAddress, contract_broken, plan_sync
from orgql.core.financial.source import FinancialSource, FinancialSourceError, SourceAccount
from orgql.core.inheritance import effects
from orgql.core.organizations import service as organizations
from orgql.core.organizations.move_lock import hold_off_moves_always
from orgql.db import financial_models, models
from orgql.observability.database import expected_failure, log_failure

logger = logging.getLogger("orgql.financial")

REQUEST_KEYS = frozenset({"businessUnitId"})


@dataclass(frozen=True)
class SyncResult:
    customer_account_ids: list[str]
    failed_address_items: list[FailedAddress]


def check_business_unit_id(value: object, field: str = "businessUnitId") -> int | None:
    """A business unit id is a whole number from 0 to 2^63 - 1 (100002 otherwise)."""
    if value is None:
        return None
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    if number is None or not 0 <= number < 2**63:
        raise OrgqlError(
            Codes.INVALID_INPUT,
            f"businessUnitId must be a whole number from 0 to {2**63 - 1}",
            field,
        )
    return number


def parse_sync_request(doc: Mapping[str, object]) -> int | None:
    """The syncFinancialData request body: ``{"businessUnitId": number}``, all optional."""
    unknown = sorted(set(doc) - REQUEST_KEYS)
    if unknown:
        raise OrgqlError(Codes.INVALID_INPUT, f"unknown property {quoted(unknown[0])}", unknown[0])
    return check_business_unit_id(doc.get("businessUnitId"))


#: A transaction of the transport's: it commits when the block ends, rolls back when it
#: raises, and takes its connection at the first statement, giving it back at the end.
Transaction = Callable[[], AbstractAsyncContextManager[AsyncSession]]


@dataclass(frozen=True)
class Target:
    """What the fetch asks the source for, as the sync's first read found it."""

    organization_id: str
    party_id: str
    #: The unit asked for, else the organization's configured one (None: every account).
    business_unit_id: int | None
    #: Whether the unit is the configured one: the write checks it is still that.
    configured: bool
    #: The sync's place in the organization's order (core.financial.order).
    ticket: int


async def sync(
    read: Transaction,
    write: Transaction,
    source: FinancialSource,
    organization_id: str,
    business_unit_id: int | None = None,
) -> SyncResult:
    """Replace the organization's synced billing accounts and addresses (see the module):
    ``read`` for the checks, then the fetch outside any transaction, then ``write``."""
    business_unit_id = check_business_unit_id(business_unit_id)
    async with read() as session:
        target = await _target(session, organization_id, business_unit_id)
    try:
        fetched = await source.customer_accounts(target.party_id, target.business_unit_id)
    except FinancialSourceError as exc:
        detail = f" ({exc.detail})" if exc.detail else ""
        # Its text, not the error: the log's formatters withhold an error's message (it may
        # hold data), and this one is the gateway's own words, those the caller is told.
        logger.warning(
            "financial source failed for organization %s: %s%s", organization_id, str(exc), detail
        )
        raise contract_broken(str(exc)) from None
    async with write() as session:
        try:
            return await _replace(session, target, fetched)
        except SQLAlchemyError as exc:
            if expected_failure(exc) is not None:
                raise  # the database's failure, answered as everywhere (503)
            log_failure(
                logger, exc, "writing the financial data of organization %s failed", organization_id
            )
            raise contract_broken("the financial data could not be stored") from None


async def _target(
    session: AsyncSession, organization_id: str, business_unit_id: int | None
) -> Target:
    """The checks of the module's first rules, and what to fetch."""
    await _check_portal(session)
    organization = await organizations.get(session, organization_id)
    party_id = _party_of(organization)
    configured = business_unit_id is None
    unit = await _configured_unit(session, organization_id) if configured else business_unit_id
    # Taken once the checks passed, before the fetch: a later ticket's fetch began later.
    ticket = await order.take_ticket(session)
    return Target(organization_id, party_id, unit, configured, ticket)


async def _check_portal(session: AsyncSession) -> None:
    settings = await session.get(financial_models.FinancialSettings, 1, populate_existing=True)
    if settings is not None and not settings.self_service_portal_enabled:
        raise OrgqlError(
            Codes.SELF_SERVICE_PORTAL_DISABLED,
            "The self-service portal is not enabled: financial data cannot be synced",
            None,
            ErrorKind.CONFLICT,
        )


def _party_of(organization: models.Organization) -> str:
    if not organization.party_id:
        raise OrgqlError(
            Codes.FINANCIAL_SYNC_FAILED,
            f"Organization {organization.id!r} has no partyId: the financial system keys"
            " customer accounts by party",
            "id",
            ErrorKind.CONFLICT,
        )
    return organization.party_id


async def _configured_unit(session: AsyncSession, organization_id: str) -> int | None:
    configured = await session.get(
        financial_models.OrganizationFinancialSettings, organization_id, populate_existing=True
    )
    return configured.business_unit_id if configured is not None else None


def _changed_meanwhile(organization_id: str, what: str) -> OrgqlError:
    return OrgqlError(
        Codes.FINANCIAL_SYNC_FAILED,
        f"The {what} of organization {organization_id!r} changed while its financial data"
        " was fetched: nothing was changed; sync again",
        "id",
        ErrorKind.CONFLICT,
    )


def _storable_external_ids(fetched: Sequence[SourceAccount]) -> set[str]:
    """The external address ids the database can be sent (the others fail the plan's
    checks before their nickname's)."""
    return {
        site.address.external_id
        for account in fetched
        for site in account.sites
        if is_storable_text(site.address.external_id)
    }


async def _replace(
    session: AsyncSession, target: Target, fetched: Sequence[SourceAccount]
) -> SyncResult:
    organization_id, unit = target.organization_id, target.business_unit_id
    org, address = models.Organization, models.Address
    # No move runs alongside (taken before any row lock): it would lock a chooser of a
    # removed address, then this organization (core.organizations.move_lock).
    compare = await hold_off_moves_always(session)
    # The lock serializes syncs of one organization: a second sync waits here, then (read
    # committed) removes exactly what the first one committed.
    organization = await session.scalar(
        select(org)
        .where(org.id == organization_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if organization is None:  # deleted while the source was answering
        raise organizations.not_found(organization_id)
    # What the fetch was asked for may have changed while the source answered.
    await _check_portal(session)
    if _party_of(organization) != target.party_id:
        raise _changed_meanwhile(organization_id, "partyId")
    if target.configured and await _configured_unit(session, organization_id) != unit:
        raise _changed_meanwhile(organization_id, "configured business unit")
    # A sync that took a newer ticket committed while this one fetched: it is not undone.
    await order.record_ticket(session, organization_id, target.ticket)
    taken = list(
        await session.scalars(
            select(func.lower(func.btrim(address.address_type))).where(
                address.organization_id == organization_id,
                address.source != SYNCED_SOURCE,
                address.address_type.is_not(None),
            )
        )
    )
    # The external ids (synced nicknames) keyed as the unique key does, by the database:
    # Python's lower() disagrees with it on some letters (core.addresses.nicknames).
    keys = await nicknames.database_keys(session, _storable_external_ids(fetched))
    # Pure computation, 10-30 ms per 1,000 addresses: in a worker thread, not the event
    # loop (which it held 100 ms and more at the bound; docs/financial-sync.md "Bounds").
    plan = await asyncio.to_thread(plan_sync, fetched, unit, taken, keys)
    # The organization's default addresses are inherited, and removed addresses are unset
    # as defaults below it (ON DELETE SET NULL): the subtree is compared around the write.
    before = await effects.snapshot_subtree(session, organization_id) if compare else None

    # The organizations below that chose a synced address, then the addresses (the lock
    # order of an address's deletion, core.addresses.choosers), then who chose them. The
    # choosers' lock finds the synced addresses itself (a subquery): their ids are read once,
    # as they are locked. (None is created meanwhile: syncs hold the organization's row.)
    previous = address.organization_id == organization_id, address.source == SYNCED_SOURCE
    await choosers.lock(session, organization_id, select(address.id).where(*previous))
    synced = list(
        await session.scalars(
            select(address.id).where(*previous).order_by(address.id).with_for_update()
        )
    )
    chosen_by = await choosers.of_addresses(session, organization_id, synced)
    removed = set(await session.scalars(delete(address).where(*previous).returning(address.id)))
    await session.execute(
        delete(financial_models.CustomerAccount).where(
            financial_models.CustomerAccount.organization_id == organization_id
        )
    )
    account_ids, address_ids = await rows.insert_plan(session, organization_id, plan)

    if plan.default_billing is not None:
        organization.billing_address_id = address_ids[plan.default_billing]
    elif organization.billing_address_id in removed:
        organization.billing_address_id = None
    if plan.default_shipping is not None:
        organization.shipping_address_id = address_ids[plan.default_shipping]
    elif organization.shipping_address_id in removed:
        organization.shipping_address_id = None
    await session.flush()
    cause = events.EventType.FINANCIAL_DATA_SYNCED
    data = {
        "id": organization_id,
        "businessUnitId": unit,
        "customerAccountIds": account_ids,
        "failedAddressCount": len(plan.failed),
    }
    changes = []
    if before is not None:
        changes = effects.diff(before, await effects.snapshot_subtree(session, organization_id))
    await events.emit_many(
        session,
        [
            events.Event(cause, organization_id, data),
            *change_events.effective_value_events(
                changes, change_events.Cause(organization_id, cause)
            ),
            *await choosers.updated_events(session, chosen_by),
        ],
    )
    return SyncResult(customer_account_ids=account_ids, failed_address_items=plan.failed)
