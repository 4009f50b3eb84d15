"""A sync removes the previously synced addresses, and with them the default references of
the organizations below that chose one (ON DELETE SET NULL), as a deletion of an address
does (core.addresses.choosers): it locks those organizations before the addresses, so an
update of one of them that chooses the address again goes through first rather than the
two waiting for each other, and it tells each with an ``organization.updated``.

Real connections, no timing: the update's session holds the chooser's row until the sync
waits for it. Demo tree: 100001 > 100002 > 100003."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from database_checks import wait_until_waiting_on_locks
from orgql.core.addresses import choosers
from orgql.core.financial import sync as financial_sync
from orgql.core.financial.source import SourceAccount, SourceAddress, SourceSite
from orgql.core.organizations import service as organizations
from orgql.core.organizations import updates as organization_updates
from orgql.core.organizations.changes import parse_changes
from orgql.db import models
from orgql.db.engine import make_sessionmaker
from orgql.db.event_models import OutboxEvent

ROOT, PURCHASING = "100001", "100003"


class FixedSource:
    """A financial source answering one account whose one site is the primary bill-to."""

    async def customer_accounts(
        self, party_id: str, business_unit_id: int | None
    ) -> list[SourceAccount]:
        address = SourceAddress("x1", address1="1 Main St", city="Boston", country="US")
        site = SourceSite(address=address, bill_to=True, primary_bill_to=True)
        return [SourceAccount(account_id="ca1", sites=(site,))]


async def committed_sync(engine: AsyncEngine) -> None:
    async with make_sessionmaker(engine)() as session, session.begin():

        @asynccontextmanager
        async def on_session() -> AsyncIterator[AsyncSession]:
            yield session

        await financial_sync.sync(on_session, on_session, FixedSource(), ROOT)


async def defaults(engine: AsyncEngine, organization_id: str) -> tuple[str | None, str | None]:
    org = models.Organization
    async with make_sessionmaker(engine)() as session:
        row = (
            await session.execute(
                select(org.billing_address_id, org.shipping_address_id).where(
                    org.id == organization_id
                )
            )
        ).one()
    return row[0], row[1]


async def purchasing_chose_a_synced_address(engine: AsyncEngine) -> str:
    """After a committed sync, 100003 (purchasing) chooses the root's synced billing address
    (committed): its id."""
    await committed_sync(engine)
    synced, _ = await defaults(engine, ROOT)
    assert synced is not None
    async with make_sessionmaker(engine)() as session, session.begin():
        chosen = parse_changes({"billingAddress": {"repositoryId": synced}}, {})
        await organization_updates.update(session, PURCHASING, chosen)
    return synced


async def test_a_sync_waits_for_an_update_of_an_organization_that_chose_a_synced_address(
    engine: AsyncEngine,
) -> None:
    synced = await purchasing_chose_a_synced_address(engine)

    again = parse_changes({"shippingAddress": {"repositoryId": synced}}, {})
    async with make_sessionmaker(engine)() as chooser, chooser.begin():
        await organizations.locked(chooser, PURCHASING)  # the update's first lock
        resync = asyncio.ensure_future(committed_sync(engine))
        await wait_until_waiting_on_locks(engine, 1)
        await organization_updates.update(chooser, PURCHASING, again)
        await chooser.commit()
    await resync

    assert await defaults(engine, PURCHASING) == (None, None)
    async with make_sessionmaker(engine)() as session:
        told = await session.scalars(
            select(OutboxEvent.payload)
            .where(
                OutboxEvent.type == "organization.updated",
                OutboxEvent.organization_id == PURCHASING,
            )
            .order_by(OutboxEvent.id)
        )
        last = list(told)[-1]
    assert last["changed"] == ["billingAddress", "shippingAddress"]


class StatementCounter(Protocol):  # the statement_counter fixture of tests/conftest.py
    statements: list[str]

    def reset(self) -> None: ...


async def test_a_resync_reads_the_synced_addresses_once_after_locking_their_choosers(
    engine: AsyncEngine, statement_counter: StatementCounter
) -> None:
    await committed_sync(engine)
    statement_counter.reset()

    await committed_sync(engine)

    statements = [" ".join(s.split()) for s in statement_counter.statements]
    reads = [i for i, s in enumerate(statements) if s.startswith("SELECT addresses.id FROM")]
    choosers = [
        i
        for i, s in enumerate(statements)
        if s.startswith("SELECT organizations.id FROM organizations")
        and s.endswith("FOR NO KEY UPDATE")
    ]
    # One read of the ids, as they are locked; the choosers' lock, before, finds them itself.
    assert len(reads) == 1, statements
    assert statements[reads[0]].endswith("FOR UPDATE")
    assert len(choosers) == 1, statements
    assert choosers[0] < reads[0]


async def test_a_sync_and_a_move_of_a_chooser_under_the_organization_do_not_deadlock(
    engine: AsyncEngine,
) -> None:
    """The sync holds off moves before it locks any row (core.organizations.move_lock), as
    an address's deletion does. Both wait for the root's row, held here: the sync first,
    then the move of 100003 under the root. Without the move lock, once the row was free the
    sync locked it and waited for 100003 (a chooser), which the move had locked before it
    waited for the root (its new parent): a deadlock, one of them broken off."""
    await purchasing_chose_a_synced_address(engine)

    async def committed_move() -> None:
        async with make_sessionmaker(engine)() as session, session.begin():
            moved = parse_changes({"parentOrganization": {"id": ROOT}}, {})
            await organization_updates.update(session, PURCHASING, moved)

    async with make_sessionmaker(engine)() as holder, holder.begin():
        await organizations.locked(holder, ROOT)
        resync = asyncio.ensure_future(committed_sync(engine))
        await wait_until_waiting_on_locks(engine, 1)
        move = asyncio.ensure_future(committed_move())
        await wait_until_waiting_on_locks(engine, 2)
    await resync
    await move

    assert await defaults(engine, PURCHASING) == (None, None)
    async with make_sessionmaker(engine)() as session:
        parent = await session.scalar(
            select(models.Organization.parent_id).where(models.Organization.id == PURCHASING)
        )
    assert parent == ROOT


async def test_the_choosers_of_many_addresses_are_read_with_their_ids_in_one_parameter(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    # A sync removes up to 10,000 addresses: as an IN list, 10,000 parameters (twice) to
    # compile and send while the event loop waits; as one array, one.
    sent: list[object] = []

    def record(*args: object) -> None:
        sent.append(args[3])  # (connection, cursor, statement, parameters, ...)

    ids = [str(900_000 + n) for n in range(10_000)]
    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        await choosers.lock(session, ROOT, ids)
        chosen = await choosers.of_addresses(session, ROOT, ids)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)

    assert chosen == {}
    assert [len(parameters) for parameters in sent] == [2, 2]  # (the root's id, the ids)
