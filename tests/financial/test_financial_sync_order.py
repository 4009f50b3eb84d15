"""Two syncs of one organization commit in the order they began (core.financial.order): a sync
that a newer one overtook while it fetched writes nothing and is refused (100193, a conflict),
so an older copy of the financial data never overwrites a newer one; a retry fetches again.

The interleavings are driven by the test: a fetch, once asked, waits on an event that the
test sets when the other sync has committed (no sleeps). The core's tests commit for real
(the transports' read and unit of work: each sync's own transactions); the transports'
tests go through a loopback upstream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from financial_support import SYNC, Snapshot, upstream_settings
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from upstream import PRIMARY_BILL_TO, Recorded, Upstream, account, site

from orgql.core.common.errors import ErrorKind, OrgqlError
from orgql.core.financial import sync as financial_sync
from orgql.core.financial.source import SourceAccount, SourceAddress, SourceSite
from orgql.db import financial_models
from orgql.db.engine import make_sessionmaker
from orgql.settings import Settings

DEMO = SYNC.format("100001")
REFUSED = (
    "A newer sync of organization '100001' committed while this one fetched its financial"
    " data: what this one fetched is older, nothing was changed; sync again to fetch the"
    " current data"
)


def accounts_of(name: str) -> list[SourceAccount]:
    """One account with one primary bill-to address, all named after ``name``."""
    address = SourceAddress(f"addr-{name}", address1="1 Main St", city="Boston", country="US")
    site_ = SourceSite(address=address, bill_to=True, primary_bill_to=True)
    return [SourceAccount(account_id=f"ca-{name}", sites=(site_,))]


@dataclass
class Hold:
    """A fetch held by the test: ``asked`` is set once it asked, it answers once ``release``
    is set."""

    asked: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Records:
    """The financial system of record under the test's control: a fetch answers what it held
    when asked (``current``), after the next hold queued, if any, is released."""

    current: list[SourceAccount]
    holds: list[Hold] = field(default_factory=list)
    asked_units: list[int | None] = field(default_factory=list)

    def hold_next(self) -> Hold:
        hold = Hold()
        self.holds.append(hold)
        return hold

    async def customer_accounts(
        self, party_id: str, business_unit_id: int | None
    ) -> Sequence[SourceAccount]:
        answer = list(self.current)
        self.asked_units.append(business_unit_id)
        if self.holds:
            hold = self.holds.pop(0)
            hold.asked.set()
            await hold.release.wait()
        return answer


@pytest.fixture
def run_sync(engine: AsyncEngine) -> Callable[[Records], Awaitable[financial_sync.SyncResult]]:
    """A sync of 100001 in transactions of its own, as the transports run it."""
    sessions = make_sessionmaker(engine)

    @asynccontextmanager
    async def read() -> AsyncIterator[AsyncSession]:
        async with sessions() as session:
            yield session

    @asynccontextmanager
    async def write() -> AsyncIterator[AsyncSession]:
        async with sessions() as session, session.begin():
            yield session

    async def run(records: Records) -> financial_sync.SyncResult:
        return await financial_sync.sync(read, write, records, "100001")

    return run


async def stored_accounts(engine: AsyncEngine) -> list[tuple[str, str]]:
    """(id, external id) of 100001's synced customer accounts."""
    account_ = financial_models.CustomerAccount
    async with make_sessionmaker(engine)() as session:
        rows = await session.execute(
            select(account_.id, account_.external_account_id)
            .where(account_.organization_id == "100001")
            .order_by(account_.id)
        )
        return [(row[0], row[1]) for row in rows]


async def test_a_sync_overtaken_while_it_fetched_writes_nothing_and_its_retry_stores(
    run_sync: Callable[[Records], Awaitable[financial_sync.SyncResult]],
    engine: AsyncEngine,
    financial_snapshot: Callable[[str], Awaitable[Snapshot]],
) -> None:
    """A fetches the old data; the data changes; B fetches and commits the new; A's write,
    older, is refused; A again fetches the new data and stores it."""
    records = Records(accounts_of("old"))
    held = records.hold_next()
    a = asyncio.create_task(run_sync(records))
    await held.asked.wait()
    records.current = accounts_of("new")

    b = await run_sync(records)
    after_b = await financial_snapshot("100001")
    held.release.set()
    with pytest.raises(OrgqlError) as raised:
        await a

    assert (raised.value.code, raised.value.kind, raised.value.field) == (
        "100193",
        ErrorKind.CONFLICT,
        "id",
    )
    assert raised.value.message == REFUSED
    assert await financial_snapshot("100001") == after_b  # nothing of A's
    assert await stored_accounts(engine) == [(b.customer_account_ids[0], "ca-new")]

    retry = await run_sync(records)

    assert await stored_accounts(engine) == [(retry.customer_account_ids[0], "ca-new")]
    assert retry.customer_account_ids != b.customer_account_ids


async def test_overlapping_syncs_that_commit_in_the_order_they_began_both_store(
    run_sync: Callable[[Records], Awaitable[financial_sync.SyncResult]], engine: AsyncEngine
) -> None:
    records = Records(accounts_of("old"))
    held_a, held_b = records.hold_next(), records.hold_next()
    a = asyncio.create_task(run_sync(records))
    await held_a.asked.wait()
    records.current = accounts_of("new")
    b = asyncio.create_task(run_sync(records))
    await held_b.asked.wait()  # both fetched, neither wrote

    held_a.release.set()
    first = await a
    assert await stored_accounts(engine) == [(first.customer_account_ids[0], "ca-old")]
    held_b.release.set()
    second = await b

    assert await stored_accounts(engine) == [(second.customer_account_ids[0], "ca-new")]


async def test_the_ticket_is_kept_beside_the_configured_business_unit(
    run_sync: Callable[[Records], Awaitable[financial_sync.SyncResult]],
    engine: AsyncEngine,
    configure_business_unit: Callable[[str, int], Awaitable[None]],
) -> None:
    """The ticket lives on the organization's financial settings row: a sync creates the
    row where there was none (no business unit configured by it), and keeps a configured
    unit; the settings can still be configured after a sync."""
    records = Records(accounts_of("any"))
    settings = financial_models.OrganizationFinancialSettings

    async def row() -> tuple[int | None, int | None]:
        async with make_sessionmaker(engine)() as session:
            found = await session.get(settings, "100001")
            assert found is not None
            return found.business_unit_id, found.synced_ticket

    await run_sync(records)
    unit, first = await row()
    assert unit is None
    assert first is not None
    await run_sync(records)
    await configure_business_unit("100001", 300000001)
    await run_sync(records)

    unit, last = await row()
    assert unit == 300000001
    assert last is not None
    assert last > first
    assert records.asked_units == [None, None, 300000001]


# ---------------------------------------------------------------- the transports


@pytest.fixture
def settings(database_url: str, upstream: Upstream) -> Settings:
    # The held request waits for a whole other sync: bounds no loaded machine reaches.
    return upstream_settings(
        database_url,
        upstream.url,
        financial_timeout_seconds=120.0,
        financial_deadline_seconds=240.0,
    )


def upstream_accounts(name: str) -> list[dict[str, Any]]:
    return [account(f"ca-{name}", site(f"addr-{name}", PRIMARY_BILL_TO))]


MUTATION = {
    "query": 'mutation { syncFinancialData(id: "100001") {'
    " customerAccountIds userErrors { code message field } } }"
}


@pytest.mark.parametrize("transport", ["rest", "graphql"])
async def test_both_transports_refuse_a_sync_overtaken_while_it_fetched(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    upstream: Upstream,
    demo_party: str,
    financial_snapshot: Callable[[str], Awaitable[Snapshot]],
    transport: str,
) -> None:
    upstream.parties[demo_party] = upstream_accounts("old")
    upstream.as_of_arrival = True
    asked, committed = asyncio.Event(), asyncio.Event()

    async def hold_the_first(request: Recorded) -> None:
        if not asked.is_set():
            asked.set()
            await committed.wait()

    upstream.during = hold_the_first
    if transport == "rest":
        a = asyncio.create_task(client.post(DEMO, json={}))
    else:
        a = asyncio.create_task(client.post("/graphql", json=MUTATION))
    await asked.wait()
    upstream.parties[demo_party] = upstream_accounts("new")
    b = await client.post(DEMO, json={})
    assert b.status_code == 200, b.text
    after_b = await financial_snapshot("100001")
    committed.set()
    response = await a

    if transport == "rest":
        assert response.status_code == 409, response.text
        assert (response.json()["errorCode"], response.json()["message"]) == ("100193", REFUSED)
    else:
        assert response.json() == {
            "data": {
                "syncFinancialData": {
                    "customerAccountIds": [],
                    "userErrors": [{"code": "100193", "message": REFUSED, "field": "id"}],
                }
            }
        }
    assert await financial_snapshot("100001") == after_b
    assert [e for _, e in await stored_accounts(engine)] == ["ca-new"]

    retry = await client.post(DEMO, json={})

    assert retry.status_code == 200, retry.text
    assert await stored_accounts(engine) == [(retry.json()["customerAccountIds"][0], "ca-new")]
