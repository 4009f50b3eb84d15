"""The sync service and the built-in source, called directly with a session: the sync's read
and write both on the test's session, not committed (the transports give it a read and a
unit of work, which commits), so the test sees what it wrote and the locks it holds."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from orgql.core.common.errors import ErrorKind, OrgqlError
from orgql.core.financial import sync as financial_sync
from orgql.core.financial.plan import FailedAddress
from orgql.core.financial.source import (
    FinancialSource,
    SourceAccount,
    SourceAddress,
    SourceSite,
    SyncBounds,
)
from orgql.db import financial_models, models
from orgql.db.engine import make_sessionmaker
from orgql.financial_sources import BuiltinFinancialSource
from orgql.observability.database import CONNECTION_LOST, unavailability


class CallbackSource:
    """A financial source (the port, not the database) that runs ``during`` while it
    answers, so a test can act while a sync is fetching."""

    def __init__(
        self, accounts: Sequence[SourceAccount], during: Callable[[], Awaitable[None]]
    ) -> None:
        self.accounts = accounts
        self.during = during

    async def customer_accounts(
        self, party_id: str, business_unit_id: int | None
    ) -> Sequence[SourceAccount]:
        await self.during()
        return self.accounts


ONE_ACCOUNT = [
    SourceAccount(
        account_id="ca1",
        sites=(
            SourceSite(
                address=SourceAddress("x1", address1="1 Main St", city="Boston", country="US"),
                bill_to=True,
                primary_bill_to=True,
            ),
        ),
    )
]


async def sync(
    session: AsyncSession, source: FinancialSource, organization_id: str
) -> financial_sync.SyncResult:
    @asynccontextmanager
    async def on_session() -> AsyncIterator[AsyncSession]:
        yield session

    return await financial_sync.sync(on_session, on_session, source, organization_id)


@pytest.fixture
def builtin(engine: AsyncEngine) -> BuiltinFinancialSource:
    return BuiltinFinancialSource(
        make_sessionmaker(engine), SyncBounds(accounts=10_000, addresses=10_000)
    )


async def test_the_builtin_source_answers_the_demo_party(
    builtin: BuiltinFinancialSource, demo_party: str
) -> None:
    accounts = await builtin.customer_accounts(demo_party, None)

    assert [(a.account_id, a.business_unit_id, len(a.sites)) for a in accounts] == [
        ("300100010002", 300000001, 2),
        ("300100010003", 300000001, 1),
        ("300100020001", 300000002, 2),
    ]
    assert accounts[0].sites[0] == SourceSite(
        site_id="300100020101",
        address=SourceAddress(
            external_id="300100628304101",
            address1="1 Main Street",
            city="Boston",
            state="MA",
            postal_code="02110",
            country="US",
        ),
        bill_to=True,
        ship_to=True,
        primary_bill_to=True,
        primary_ship_to=True,
    )


async def test_the_builtin_source_filters_by_business_unit(
    builtin: BuiltinFinancialSource, demo_party: str
) -> None:
    accounts = await builtin.customer_accounts(demo_party, 300000002)

    assert [a.account_id for a in accounts] == ["300100020001"]


async def test_the_builtin_source_knows_no_accounts_of_an_unknown_party(
    builtin: BuiltinFinancialSource,
) -> None:
    assert await builtin.customer_accounts("nobody", None) == []


async def test_the_builtin_source_lists_an_account_without_sites(
    builtin: BuiltinFinancialSource, engine: AsyncEngine
) -> None:
    async with make_sessionmaker(engine)() as session, session.begin():
        session.add(
            financial_models.FinancialSourceAccount(account_id="lonely", party_id="P-lonely")
        )

    assert await builtin.customer_accounts("P-lonely", None) == [SourceAccount(account_id="lonely")]


async def test_an_address_named_like_a_manual_nickname_fails(
    session: AsyncSession, builtin: BuiltinFinancialSource
) -> None:
    session.add(
        models.Address(id="990001", organization_id="100001", address_type="17278", city="Rome")
    )
    await session.flush()

    result = await sync(session, builtin, "100001")

    assert result.failed_address_items[-1] == FailedAddress(
        "17278", "addressType '17278' is used by another address of the organization"
    )


async def test_the_organization_is_not_locked_while_the_source_answers(
    session: AsyncSession, engine: AsyncEngine
) -> None:
    async def lock_elsewhere() -> None:
        # NOWAIT: fails at once if the sync held the row while fetching.
        async with make_sessionmaker(engine)() as other, other.begin():
            await other.execute(
                select(models.Organization.id)
                .where(models.Organization.id == "100001")
                .with_for_update(nowait=True)
            )

    result = await sync(session, CallbackSource(ONE_ACCOUNT, lock_elsewhere), "100001")

    assert len(result.customer_account_ids) == 1


async def test_the_organization_is_locked_once_the_sync_writes(
    session: AsyncSession, engine: AsyncEngine
) -> None:
    await sync(session, CallbackSource(ONE_ACCOUNT, _nothing), "100001")

    async with make_sessionmaker(engine)() as other, other.begin():
        with pytest.raises(DBAPIError, match="could not obtain lock"):
            await other.execute(
                select(models.Organization.id)
                .where(models.Organization.id == "100001")
                .with_for_update(nowait=True)
            )


async def test_an_organization_deleted_while_the_source_answers_is_100001(
    session: AsyncSession, engine: AsyncEngine
) -> None:
    async with make_sessionmaker(engine)() as setup, setup.begin():
        setup.add(models.Organization(id="990002", name="Short-lived", party_id="P-2"))

    async def delete_it() -> None:
        async with make_sessionmaker(engine)() as other, other.begin():
            await other.execute(
                delete(models.Organization).where(models.Organization.id == "990002")
            )

    with pytest.raises(OrgqlError) as raised:
        await sync(session, CallbackSource(ONE_ACCOUNT, delete_it), "990002")

    assert (raised.value.code, raised.value.field) == ("100001", "id")


async def _change_elsewhere(engine: AsyncEngine, statement: Any) -> None:
    async with make_sessionmaker(engine)() as other, other.begin():
        await other.execute(statement)


async def test_a_party_changed_while_the_source_answers_is_409_and_changes_nothing(
    session: AsyncSession, engine: AsyncEngine
) -> None:
    """What was fetched is the old party's: the write, the row locked, refuses to store it."""

    async def change_party() -> None:
        await _change_elsewhere(
            engine,
            update(models.Organization)
            .where(models.Organization.id == "100001")
            .values(party_id="P-other"),
        )

    with pytest.raises(OrgqlError) as raised:
        await sync(session, CallbackSource(ONE_ACCOUNT, change_party), "100001")

    assert (raised.value.code, raised.value.kind, raised.value.field) == (
        "100193",
        ErrorKind.CONFLICT,
        "id",
    )
    assert str(raised.value.message).startswith(
        "The partyId of organization '100001' changed while its financial data was fetched"
    )
    assert (
        await session.scalar(
            select(func.count()).where(financial_models.CustomerAccount.organization_id == "100001")
        )
        == 0
    )


async def test_a_portal_disabled_while_the_source_answers_is_58001(
    session: AsyncSession, engine: AsyncEngine
) -> None:
    async def disable() -> None:
        await _change_elsewhere(
            engine,
            update(financial_models.FinancialSettings).values(self_service_portal_enabled=False),
        )

    with pytest.raises(OrgqlError) as raised:
        await sync(session, CallbackSource(ONE_ACCOUNT, disable), "100001")

    assert raised.value.code == "58001"


async def test_synced_rows_carry_their_source_marker(
    session: AsyncSession, builtin: BuiltinFinancialSource
) -> None:
    await sync(session, builtin, "100001")

    rows = await session.execute(
        text(
            "SELECT DISTINCT source FROM customer_accounts WHERE organization_id = '100001'"
            " UNION ALL SELECT DISTINCT source FROM addresses"
            " WHERE organization_id = '100001' AND external_address_id IS NOT NULL"
        )
    )
    assert [row[0] for row in rows] == ["financial", "financial"]


async def _nothing() -> None:
    return None


async def test_a_write_whose_connection_is_ended_is_left_to_the_transport_unlogged(
    session: AsyncSession, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    """The server ends the sync's connection (a restart, a failover, pg_terminate_backend)
    while the source answers: the write fails with the database's error, which the
    transports answer as every outage (503, Retry-After) and log once; not 100193 with the
    library's words. (A bug in the write is 100193, logged with its traceback.)"""
    pid = await session.scalar(text("SELECT pg_backend_pid()"))

    async def end_the_sync_connection() -> None:
        async with engine.connect() as admin:
            await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    caplog.set_level(logging.DEBUG)
    with pytest.raises(DBAPIError) as raised:
        await sync(session, CallbackSource(ONE_ACCOUNT, end_the_sync_connection), "100001")

    assert unavailability(raised.value) == CONNECTION_LOST
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.WARNING] == []


@pytest.mark.usefixtures("effect_subscriber")
async def test_a_sync_tells_the_subtree_whose_inherited_defaults_changed(
    session: AsyncSession,
) -> None:
    """Demo: 100001 → 100002 → 100003; the synced default billing address of 100001 is
    inherited below it, and a removed one is no longer in effect there."""
    types = "('financialData.synced', 'organization.effectiveValueChanged')"

    async def told() -> list[tuple[str, str, object, object]]:
        rows = await session.execute(
            text(
                "SELECT type, organization_id, payload FROM outbox_events"
                f" WHERE type IN {types} ORDER BY id"
            )
        )
        found = []
        for type_, organization_id, payload in rows:
            if type_ == "financialData.synced":
                found.append((type_, organization_id, None, None))
                continue
            assert payload["causedBy"] == {
                "organizationId": "100001",
                "eventType": "financialData.synced",
            }
            found.extend(
                (type_, organization_id, change["before"], change["after"])
                for change in payload["changes"]
                if change["field"] == "derivedBillingAddress"
            )
        await session.execute(
            text(
                "DELETE FROM webhook_deliveries WHERE event_id IN"
                f" (SELECT id FROM outbox_events WHERE type IN {types})"
            )
        )
        await session.execute(text(f"DELETE FROM outbox_events WHERE type IN {types}"))
        return found

    await told()  # whatever the demo seed emitted
    billing = await session.scalar(
        select(models.Organization.billing_address_id).where(models.Organization.id == "100001")
    )
    rows = await session.execute(
        select(models.Organization.id, models.Organization.billing_address_id).where(
            models.Organization.id.in_(["100002", "100003"])
        )
    )
    own = {row[0]: row[1] for row in rows}
    inheriting = [org for org in ("100002", "100003") if own[org] is None]
    assert inheriting  # the demo has a descendant that inherits it

    await sync(session, CallbackSource(ONE_ACCOUNT, _nothing), "100001")
    synced = await session.scalar(
        select(models.Organization.billing_address_id).where(models.Organization.id == "100001")
    )
    assert synced is not None
    assert synced != billing
    assert await told() == [
        ("financialData.synced", "100001", None, None),
        ("organization.effectiveValueChanged", "100001", billing, synced),
        *(("organization.effectiveValueChanged", org, billing, synced) for org in inheriting),
    ]

    await sync(session, CallbackSource([], _nothing), "100001")
    assert await told() == [
        ("financialData.synced", "100001", None, None),
        ("organization.effectiveValueChanged", "100001", synced, None),
        *(("organization.effectiveValueChanged", org, synced, None) for org in inheriting),
    ]
