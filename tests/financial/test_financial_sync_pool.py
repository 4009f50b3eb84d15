"""syncFinancialData and the connection pool: a sync holds one database connection at a time
and none while its source answers, so concurrent syncs cannot take the pool from each other
(nor from every other request); the database failing a sync is answered as it is everywhere
(503, Retry-After, the unavailable code), never as 100193 with the library's words.

Each app here has a pool of its own: ORGQL_DB_POOL_SIZE=1, so four connections (twice the
size and db.engine.PRIMARY_HELD_CONNECTIONS), and no webhook dispatcher to take one now and
then."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from financial_support import SYNC, upstream_settings
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from upstream import PRIMARY_BILL_TO, PRIMARY_SHIP_TO, Recorded, Upstream, account, site

from orgql.app import create_app
from orgql.core.financial.demo import DEMO_PARTY_ID
from orgql.core.financial.source import FinancialSourceError, SyncBounds
from orgql.db import financial_models, models
from orgql.db.engine import make_engine, make_sessionmaker
from orgql.financial_sources import BuiltinFinancialSource
from orgql.settings import Settings

DEMO = SYNC.format("100001")
MUTATION = {
    "query": 'mutation { syncFinancialData(id: "100001") {'
    " customerAccountIds userErrors { code } } }"
}
#: Words of SQLAlchemy's and the driver's messages that must never reach a caller.
LIBRARY_WORDS = ("QueuePool", "sqlalche.me", "Background on this error", "asyncpg", "timeout 0")
WAITED = "no database connection became free in time"
#: The pool's size with ORGQL_DB_POOL_SIZE=1 (see the module).
POOL = 4


@dataclass
class Gateway:
    client: httpx.AsyncClient
    engine: AsyncEngine

    @property
    def checked_out(self) -> int:
        return int(self.engine.sync_engine.pool.checkedout())

    async def take_free_connections(self, stack: AsyncExitStack) -> None:
        """Every connection of the pool not out already, held until ``stack`` closes."""
        for _ in range(POOL - self.checked_out):
            await stack.enter_async_context(self.engine.connect())


@pytest.fixture
def gateway_for(
    database_url: str, client_for: Callable[..., httpx.AsyncClient]
) -> Callable[..., Any]:
    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Gateway]:
        values: dict[str, Any] = {
            "database_url": database_url,
            "db_pool_size": 1,
            # Concurrent syncs of one organization wait in turn for its row (core.financial
            # .sync), each holding a connection: the last waits for all the others, on a
            # loaded machine longer than the default lock timeout (1 s: a 503
            # STATEMENT_TIMEOUT), and the requests queued for a connection with them. The
            # tests of those timeouts set their own.
            "db_pool_timeout_seconds": 60.0,
            "db_lock_timeout_seconds": 60.0,
            "db_statement_timeout_seconds": 60.0,
            "webhook_dispatcher": False,
            **overrides,
        }
        settings = upstream_settings(**values) if "base_url" in values else Settings(**values)
        app = create_app(settings)
        async with app.router.lifespan_context(app) as state, client_for(app, state) as client:
            engine: AsyncEngine = state["engine"]
            assert engine.sync_engine.pool.size() == POOL
            yield Gateway(client, engine)

    return start


def assert_no_library_words(response: httpx.Response) -> None:
    for word in LIBRARY_WORDS:
        assert word not in response.text, response.text


async def synced_rows(engine: AsyncEngine) -> tuple[list[str], list[str]]:
    """(customer account ids, external ids of the synced addresses) of 100001, sorted."""
    async with make_sessionmaker(engine)() as session:
        accounts = await session.scalars(
            select(financial_models.CustomerAccount.id)
            .where(financial_models.CustomerAccount.organization_id == "100001")
            .order_by(financial_models.CustomerAccount.id)
        )
        addresses = await session.scalars(
            select(models.Address.external_address_id)
            .where(models.Address.organization_id == "100001", models.Address.source == "financial")
            .order_by(models.Address.external_address_id)
        )
        return list(accounts), [str(a) for a in addresses]


# ---------------------------------------------------------------- the built-in source


async def test_twice_the_pool_of_concurrent_syncs_all_end_and_leave_one_set_of_data(
    gateway_for: Callable[..., Any], engine: AsyncEngine
) -> None:
    """Each sync once held a connection while its built-in source waited for a second one:
    with as many syncs as connections, none came (a pool deadlock), and every request
    waited ORGQL_DB_POOL_TIMEOUT_SECONDS to fail, a read of another organization too.
    Each sync now stores its accounts, or is refused because a newer one (a later ticket)
    committed while it fetched (core.financial.order); the newest one always stores."""
    async with gateway_for() as gateway:
        alone = await gateway.client.post(DEMO, json={})
        assert alone.status_code == 200, alone.text
        expected_addresses = (await synced_rows(engine))[1]

        rest = [gateway.client.post(DEMO, json={}) for _ in range(POOL)]
        graphql = [gateway.client.post("/graphql", json=MUTATION) for _ in range(POOL)]
        read = gateway.client.get("/ccadmin/v1/organizations/100002")
        *syncs, other = await asyncio.gather(*rest, *graphql, read)

    for response in syncs:
        assert_no_library_words(response)
    assert [r.status_code for r in syncs[POOL:]] == [200] * POOL
    assert [r.json().get("errors") for r in syncs[POOL:]] == [None] * POOL
    refused = [r.json()["errorCode"] for r in syncs[:POOL] if r.status_code == 409] + [
        e["code"] for r in syncs[POOL:] for e in r.json()["data"]["syncFinancialData"]["userErrors"]
    ]
    assert set(refused) <= {"100193"}
    assert {r.status_code for r in syncs[:POOL]} <= {200, 409}
    assert (other.status_code, other.json()["id"]) == (200, "100002")
    accounts, addresses = await synced_rows(engine)
    assert addresses == expected_addresses  # one set: no sync's rows left beside another's
    answered = [
        sorted(r.json()["customerAccountIds"]) for r in syncs[:POOL] if r.status_code == 200
    ] + [
        sorted(payload["customerAccountIds"])
        for payload in (r.json()["data"]["syncFinancialData"] for r in syncs[POOL:])
        if not payload["userErrors"]
    ]
    assert len(answered) + len(refused) == 2 * POOL
    assert accounts in answered  # the last sync's accounts, as it answered them


async def test_the_builtin_source_lets_a_pool_timeout_through_without_wrapping_it(
    database_url: str,
) -> None:
    """The built-in source reads the gateway's own database: its failing is the database's,
    answered 503 by the transports, not the source's 100193 with the library's message."""
    engine = make_engine(database_url, pool_size=1, pool_timeout=0.2)
    try:
        source = BuiltinFinancialSource(
            make_sessionmaker(engine), SyncBounds(accounts=10_000, addresses=10_000)
        )
        async with AsyncExitStack() as taken:
            for _ in range(engine.sync_engine.pool.size()):
                await taken.enter_async_context(engine.connect())
            with pytest.raises(Exception) as raised:  # noqa: PT011 - what it is not is the point
                await source.customer_accounts(DEMO_PARTY_ID, None)
    finally:
        await engine.dispose()

    assert not isinstance(raised.value, FinancialSourceError), raised.value


# ---------------------------------------------------------------- the HTTP source


def two_accounts() -> list[dict[str, Any]]:
    return [
        account("ca-1", site("a-1", PRIMARY_BILL_TO)),
        account("ca-2", site("a-2", PRIMARY_SHIP_TO)),
    ]


@pytest.mark.parametrize("transport", ["rest", "graphql"])
async def test_no_connection_is_held_while_the_upstream_answers(
    gateway_for: Callable[..., Any], upstream: Upstream, demo_party: str, transport: str
) -> None:
    upstream.parties[demo_party] = two_accounts()
    async with gateway_for(base_url=upstream.url) as gateway:
        held: list[int] = []

        async def count(_: Recorded) -> None:
            held.append(gateway.checked_out)

        upstream.during = count
        if transport == "rest":
            response = await gateway.client.post(DEMO, json={})
        else:
            response = await gateway.client.post("/graphql", json=MUTATION)

    assert response.status_code == 200, response.text
    assert held == [0]


async def test_no_connection_is_held_while_the_upstream_answers_a_documents_second_sync(
    gateway_for: Callable[..., Any], upstream: Upstream, demo_party: str
) -> None:
    """The first mutation's payload reads through the request's session (its accounts, by
    a loader), which then holds a connection: the second sync closes it before fetching."""
    upstream.parties[demo_party] = two_accounts()
    document = (
        'mutation { first: syncFinancialData(id: "100001") {'
        " organization { customerAccounts { accountNumber } } }"
        ' second: syncFinancialData(id: "100001") { customerAccountIds } }'
    )
    async with gateway_for(base_url=upstream.url) as gateway:
        held: list[int] = []

        async def count(_: Recorded) -> None:
            held.append(gateway.checked_out)

        upstream.during = count
        response = await gateway.client.post("/graphql", json={"query": document})

    body = response.json()
    assert body.get("errors") is None, body
    numbers = [
        a["accountNumber"] for a in body["data"]["first"]["organization"]["customerAccounts"]
    ]
    assert sorted(numbers) == ["-1", "-2"]
    assert held == [0, 0]


@pytest.mark.parametrize("transport", ["rest", "graphql"])
async def test_no_connection_for_the_write_is_a_503_with_retry_after_and_no_library_text(
    gateway_for: Callable[..., Any], upstream: Upstream, demo_party: str, transport: str
) -> None:
    """The pool is taken while the upstream answers: the sync's write finds no connection
    within ORGQL_DB_POOL_TIMEOUT_SECONDS and is answered as any request without one."""
    upstream.parties[demo_party] = two_accounts()
    async with (
        gateway_for(base_url=upstream.url, db_pool_timeout_seconds=0.2) as gateway,
        AsyncExitStack() as taken,
    ):

        async def take_the_pool(_: Recorded) -> None:
            await gateway.take_free_connections(taken)

        upstream.during = take_the_pool
        if transport == "rest":
            response = await gateway.client.post(DEMO, json={})
        else:
            response = await gateway.client.post("/graphql", json=MUTATION)

    assert_no_library_words(response)
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    message = f"The database is unavailable ({WAITED}); retry later."
    if transport == "rest":
        body = response.json()
        assert (body["errorCode"], body["message"]) == ("503", message)
    else:
        (error,) = response.json()["errors"]
        assert (error["message"], error["extensions"]["code"]) == (message, "unavailable")


async def test_no_synced_data_is_left_by_a_sync_answered_503(
    gateway_for: Callable[..., Any], upstream: Upstream, demo_party: str, engine: AsyncEngine
) -> None:
    upstream.parties[demo_party] = two_accounts()
    async with (
        gateway_for(base_url=upstream.url, db_pool_timeout_seconds=0.2) as gateway,
        AsyncExitStack() as taken,
    ):

        async def take_the_pool(_: Recorded) -> None:
            await gateway.take_free_connections(taken)

        upstream.during = take_the_pool
        response = await gateway.client.post(DEMO, json={})

    assert response.status_code == 503
    async with make_sessionmaker(engine)() as session:
        count = await session.scalar(
            select(func.count()).where(financial_models.CustomerAccount.organization_id == "100001")
        )
    assert count == 0


async def test_a_sync_waiting_too_long_for_the_organizations_row_is_a_503_statement_timeout(
    gateway_for: Callable[..., Any], engine: AsyncEngine
) -> None:
    """Another transaction holds 100001's row past ORGQL_DB_LOCK_TIMEOUT_SECONDS: the
    database cancels the sync's wait, answered as every cancelled statement (nothing
    changed; retry), not as the financial source failing."""
    async with (
        gateway_for(db_lock_timeout_seconds=0.2) as gateway,
        make_sessionmaker(engine)() as other,
        other.begin(),
    ):
        await other.execute(
            select(models.Organization.id)
            .where(models.Organization.id == "100001")
            .with_for_update()
        )
        response = await gateway.client.post(DEMO, json={})

    assert_no_library_words(response)
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert response.json()["errorCode"] == "STATEMENT_TIMEOUT"
    async with make_sessionmaker(engine)() as session:
        count = await session.scalar(
            select(func.count()).where(financial_models.CustomerAccount.organization_id == "100001")
        )
    assert count == 0
