"""The bounds of one sync (docs/financial-sync.md, "Bounds"): a page's bytes, and the accounts
and addresses of a sync. Past one, the sync stops fetching and fails with 100193, nothing
written; at one, it succeeds. Through the app, on a real upstream on loopback."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import httpx
import pytest
from financial_support import SYNC, Snapshot, upstream_settings
from upstream import PRIMARY_BILL_TO, SHIP_TO, Recorded, Upstream, account, site

from orgql.app import create_app
from orgql.core.financial import rows as financial_rows
from orgql.core.financial import sync as financial_sync
from orgql.financial_sources import http as http_source
from orgql.settings import Settings

DEMO = SYNC.format("100001")
#: The bounds of these tests (small, so that passing them is quick).
MAX_PAGE_BYTES = 4096
MAX_ACCOUNTS = 6
MAX_ADDRESSES = 8
PAGE_SIZE = 2


@pytest.fixture
def max_page_bytes() -> int:
    """The page bound; a test parametrizes another."""
    return MAX_PAGE_BYTES


@pytest.fixture
def settings(database_url: str, upstream: Upstream, max_page_bytes: int) -> Settings:
    return upstream_settings(
        database_url,
        upstream.url,
        financial_page_size=PAGE_SIZE,
        financial_max_page_bytes=max_page_bytes,
        financial_max_sync_accounts=MAX_ACCOUNTS,
        financial_max_sync_addresses=MAX_ADDRESSES,
    )


def accounts_with(count: int, sites: int) -> list[dict[str, Any]]:
    """``count`` accounts of ``sites`` sites each (the first one the primary bill-to)."""
    return [
        account(
            f"ca{a}",
            *(site(f"{a}-{s}", PRIMARY_BILL_TO if a == s == 0 else SHIP_TO) for s in range(sites)),
        )
        for a in range(count)
    ]


@dataclass(frozen=True)
class SyncedBefore:
    """100001 synced once: the upstream to sync it again from, what it stored then."""

    upstream: Upstream
    party: str
    snapshot: Snapshot
    financial_snapshot: Callable[[str], Awaitable[Snapshot]]

    @property
    def requests(self) -> list[Recorded]:
        """The requests the upstream was sent since."""
        return self.upstream.requests

    def offer(self, accounts: list[dict[str, Any]]) -> None:
        """The upstream's accounts of 100001's party from now on."""
        self.upstream.parties[self.party] = accounts

    async def now(self) -> Snapshot:
        """What 100001's financial data is now."""
        return await self.financial_snapshot("100001")


@pytest.fixture
async def synced_before(
    client: httpx.AsyncClient,
    upstream: Upstream,
    demo_party: str,
    financial_snapshot: Callable[[str], Awaitable[Snapshot]],
) -> SyncedBefore:
    """100001 synced once (two accounts of an address each): what a refused sync leaves."""
    upstream.parties[demo_party] = accounts_with(2, 1)
    response = await client.post(DEMO, json={})
    assert response.status_code == 200, response.text
    upstream.requests.clear()
    snapshot = await financial_snapshot("100001")
    assert len(snapshot["accounts"]) == 2
    return SyncedBefore(upstream, demo_party, snapshot, financial_snapshot)


async def refused(client: httpx.AsyncClient, message: str) -> None:
    response = await client.post(DEMO, json={})
    assert (response.status_code, response.json()["errorCode"]) == (500, "100193")
    assert response.json()["message"] == f"Internal error while syncing financial data: {message}"


# ---------------------------------------------------------------- a page's bytes

TOO_LARGE_PAGE = (
    f"the financial service sent a page of more than {MAX_PAGE_BYTES} bytes, more than the"
    " gateway reads (ORGQL_FINANCIAL_MAX_PAGE_BYTES)"
)


def one_page_of(accounts: list[dict[str, Any]]) -> int:
    """The bytes of the upstream's page holding all of ``accounts`` (page size permitting)."""
    return len(json.dumps({"items": accounts, "hasMore": False}).encode())


async def test_a_page_over_the_byte_bound_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, synced_before: SyncedBefore
) -> None:
    # Two accounts, one padded (a key the contract ignores): their page is too large.
    accounts = [account("ca-a", site("a-1")), account("ca-b", site("b-1"))]
    accounts[0]["padding"] = "x" * MAX_PAGE_BYTES
    synced_before.offer(accounts)

    await refused(client, TOO_LARGE_PAGE)

    assert len(synced_before.requests) == 1  # final: a larger page would be larger again
    assert await synced_before.now() == synced_before.snapshot


async def test_a_page_that_never_ends_is_read_up_to_the_bound_only(
    client: httpx.AsyncClient, synced_before: SyncedBefore
) -> None:
    # No length declared and no end: read whole, it would hold the sync until its deadline.
    synced_before.upstream.behave = lambda request: "endless"

    await refused(client, TOO_LARGE_PAGE)

    assert len(synced_before.requests) == 1
    assert await synced_before.now() == synced_before.snapshot


@pytest.mark.parametrize("max_page_bytes", [MAX_PAGE_BYTES, MAX_PAGE_BYTES - 1])
async def test_a_page_of_exactly_the_byte_bound_is_read_and_one_byte_more_refused(
    client: httpx.AsyncClient, upstream: Upstream, demo_party: str, max_page_bytes: int
) -> None:
    accounts = [account("ca-a", site("a-1", PRIMARY_BILL_TO)), account("ca-b", site("b-1"))]
    accounts[0]["padding"] = ""
    accounts[0]["padding"] = "x" * (MAX_PAGE_BYTES - one_page_of(accounts))
    upstream.parties[demo_party] = accounts
    assert one_page_of(accounts) == MAX_PAGE_BYTES

    response = await client.post(DEMO, json={})

    if max_page_bytes == MAX_PAGE_BYTES:
        assert response.status_code == 200, response.text
        assert len(response.json()["customerAccountIds"]) == 2
    else:
        assert (response.status_code, response.json()["errorCode"]) == (500, "100193")
        assert f"more than {max_page_bytes} bytes" in response.json()["message"]


@pytest.mark.parametrize(
    ("module", "name"),
    [
        (http_source, "parse_page"),  # a page's JSON
        (financial_sync, "plan_sync"),  # what to write, from the accounts fetched
        (financial_rows, "rows_of"),  # the rows to insert, as JSON
    ],
)
async def test_a_syncs_computation_runs_while_the_event_loop_answers_others(
    client: httpx.AsyncClient,
    upstream: Upstream,
    demo_party: str,
    monkeypatch: pytest.MonkeyPatch,
    module: ModuleType,
    name: str,
) -> None:
    # The computation waits until /healthz was answered: run on the event loop, it would
    # hold the loop, /healthz could not be answered, and the wait would end unanswered.
    upstream.parties[demo_party] = accounts_with(1, 1)
    computing, answered = threading.Event(), threading.Event()
    waited: list[bool] = []
    real = getattr(module, name)

    def waiting(*args: Any) -> Any:
        computing.set()
        waited.append(answered.wait(timeout=60))
        return real(*args)

    monkeypatch.setattr(module, name, waiting)
    sync = asyncio.create_task(client.post(DEMO, json={}))
    assert await asyncio.to_thread(computing.wait, 60)

    health = await client.get("/healthz")
    answered.set()

    assert health.status_code == 200
    response = await sync
    assert response.status_code == 200, response.text
    assert len(response.json()["customerAccountIds"]) == 1
    assert waited == [True]


# ---------------------------------------------------------------- a sync's accounts, addresses


async def test_a_sync_over_the_address_bound_stops_fetching_and_changes_nothing(
    client: httpx.AsyncClient, synced_before: SyncedBefore
) -> None:
    # 3 pages of 2 accounts of 3 sites: the second page brings 12 addresses, more than 8.
    synced_before.offer(accounts_with(MAX_ACCOUNTS - 1, 3))

    await refused(
        client,
        f"the financial system holds more than {MAX_ADDRESSES} addresses (account sites) to"
        " sync, more than one sync may store (ORGQL_FINANCIAL_MAX_SYNC_ADDRESSES)",
    )

    assert [request.offset for request in synced_before.requests] == [0, 2]  # no third page
    assert await synced_before.now() == synced_before.snapshot


async def test_an_address_listed_by_two_sites_counts_twice(
    client: httpx.AsyncClient, synced_before: SyncedBefore
) -> None:
    # One address, listed by more sites than the bound: as many links to store.
    shared = site("shared", PRIMARY_BILL_TO)
    synced_before.offer([account(f"ca{a}", shared, shared) for a in range(5)])

    response = await client.post(DEMO, json={})

    assert (response.status_code, response.json()["errorCode"]) == (500, "100193")
    assert "ORGQL_FINANCIAL_MAX_SYNC_ADDRESSES" in response.json()["message"]
    assert await synced_before.now() == synced_before.snapshot


async def test_a_sync_over_the_account_bound_stops_fetching_and_changes_nothing(
    client: httpx.AsyncClient, synced_before: SyncedBefore
) -> None:
    synced_before.offer(accounts_with(MAX_ACCOUNTS * 2, 0))

    await refused(
        client,
        f"the financial system holds more than {MAX_ACCOUNTS} customer accounts to sync, more"
        " than one sync may store (ORGQL_FINANCIAL_MAX_SYNC_ACCOUNTS)",
    )

    assert len(synced_before.requests) == MAX_ACCOUNTS // PAGE_SIZE + 1  # and no page after it
    assert await synced_before.now() == synced_before.snapshot


async def test_a_sync_at_both_bounds_stores_everything(
    client: httpx.AsyncClient, upstream: Upstream, demo_party: str
) -> None:
    # 6 accounts, 8 sites (two accounts of two, four of one): both bounds exactly.
    accounts = accounts_with(2, 2) + [account(f"cb{a}", site(f"b{a}")) for a in range(4)]
    upstream.parties[demo_party] = accounts

    response = await client.post(DEMO, json={})

    assert response.status_code == 200, response.text
    assert len(response.json()["customerAccountIds"]) == MAX_ACCOUNTS
    assert response.json()["failedAddressItems"] == []


@pytest.mark.parametrize("max_addresses", [4, 5])
async def test_the_built_in_source_is_bounded_alike(
    database_url: str,
    client_for: Callable[..., httpx.AsyncClient],
    financial_snapshot: Callable[[str], Awaitable[Snapshot]],
    max_addresses: int,
) -> None:
    # The demo party: three accounts, five sites.
    settings = Settings(database_url=database_url, financial_max_sync_addresses=max_addresses)
    app = create_app(settings)
    before = await financial_snapshot("100001")
    async with app.router.lifespan_context(app) as state, client_for(app, state) as client:
        response = await client.post(DEMO, json={})

    if max_addresses == 5:
        assert response.status_code == 200, response.text
        assert len(response.json()["customerAccountIds"]) == 3
    else:
        assert (response.status_code, response.json()["errorCode"]) == (500, "100193")
        assert response.json()["message"].endswith("(ORGQL_FINANCIAL_MAX_SYNC_ADDRESSES)")
        assert await financial_snapshot("100001") == before
