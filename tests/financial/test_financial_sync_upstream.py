"""syncFinancialData through the app whose financial source is a real upstream on loopback:
what the upstream answers is stored, and however it fails, the previous data stays exactly as
it was and the answer is 100193."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from financial_support import (
    HANG_TIMEOUT_SECONDS,
    SYNC,
    TIMEOUT_SECONDS,
    Snapshot,
    upstream_settings,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from upstream import (
    BILL_TO,
    PRIMARY_BILL_TO,
    PRIMARY_SHIP_TO,
    SHIP_TO,
    Behaviour,
    Recorded,
    Upstream,
    account,
    site,
)

from orgql.app import create_app
from orgql.db import financial_models, models
from orgql.db.engine import make_sessionmaker
from orgql.observability.logs import JsonFormatter, TextFormatter
from orgql.settings import Settings

DEMO = SYNC.format("100001")


@pytest.fixture
def timeout_seconds() -> float:
    """The upstream's timeout; the tests where it hangs parametrize a short one."""
    return TIMEOUT_SECONDS


@pytest.fixture
def settings(database_url: str, upstream: Upstream, timeout_seconds: float) -> Settings:
    return upstream_settings(database_url, upstream.url, financial_timeout_seconds=timeout_seconds)


def sample_accounts() -> list[dict[str, Any]]:
    """The vendor's sample: three accounts, two addresses without a city."""
    return [
        account(
            "ca10002",
            site("300100628304101", PRIMARY_BILL_TO, PRIMARY_SHIP_TO),
            site("300100628304102", SHIP_TO, city=None),
        ),
        account("ca10003", site("300100628304103", BILL_TO, SHIP_TO)),
        account(
            "ca20001",
            site("17277", BILL_TO, city=None),
            site("17278", PRIMARY_BILL_TO),
            business_unit_id=300000002,
        ),
    ]


@pytest.fixture
def sample(upstream: Upstream, demo_party: str) -> list[dict[str, Any]]:
    upstream.parties[demo_party] = sample_accounts()
    return upstream.parties[demo_party]


async def external_ids(engine: AsyncEngine) -> tuple[list[str], list[str]]:
    """(external account ids, external address ids) of 100001's synced data."""
    async with make_sessionmaker(engine)() as session:
        accounts = await session.scalars(
            select(financial_models.CustomerAccount.external_account_id)
            .where(financial_models.CustomerAccount.organization_id == "100001")
            .order_by(financial_models.CustomerAccount.external_account_id)
        )
        addresses = await session.scalars(
            select(models.Address.external_address_id)
            .where(models.Address.organization_id == "100001", models.Address.source == "financial")
            .order_by(models.Address.external_address_id)
        )
        return list(accounts), [a for a in addresses if a is not None]


@pytest.mark.usefixtures("sample")
async def test_a_sync_with_two_bad_addresses_answers_the_vendors_sample_shape(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(DEMO, json={})

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["customerAccountIds", "failedAddressItems"]
    assert len(body["customerAccountIds"]) == 3
    assert body["failedAddressItems"] == [
        {"errorMessage": "City is not specified", "externalId": "300100628304102"},
        {"errorMessage": "City is not specified", "externalId": "17277"},
    ]


@pytest.mark.usefixtures("sample")
async def test_the_upstreams_accounts_and_valid_addresses_are_stored(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await client.post(DEMO, json={})

    assert await external_ids(engine) == (
        ["ca10002", "ca10003", "ca20001"],
        ["17278", "300100628304101", "300100628304103"],
    )


@pytest.mark.usefixtures("sample")
async def test_the_party_business_unit_and_token_reach_the_upstream(
    client: httpx.AsyncClient, upstream: Upstream, demo_party: str
) -> None:
    await client.post(DEMO, json={"businessUnitId": 300000002})

    (request,) = upstream.requests
    assert request.path == f"/parties/{demo_party}/customerAccounts"
    assert request.query["businessUnitId"] == "300000002"
    assert request.headers["authorization"] == "Bearer secret-token"


async def test_an_account_of_another_business_unit_is_not_stored(
    client: httpx.AsyncClient, engine: AsyncEngine, upstream: Upstream, demo_party: str
) -> None:
    # An upstream that ignores the filter: the sync keeps only the unit asked for.
    upstream.parties[demo_party] = sample_accounts()
    upstream.page = lambda request: {"items": sample_accounts(), "hasMore": False}

    body = (await client.post(DEMO, json={"businessUnitId": 300000002})).json()

    assert len(body["customerAccountIds"]) == 1
    assert (await external_ids(engine))[0] == ["ca20001"]


# ---------------------------------------------------------------- failures change nothing


def on_second_page(behaviour: Behaviour) -> Callable[[Recorded], Behaviour]:
    """Page one answers; from page two on the upstream fails (halfway through its answers)."""
    return lambda request: "serve" if request.offset == 0 else behaviour


FAILURES: dict[str, Callable[[Recorded], Behaviour]] = {
    "server errors halfway": on_second_page(503),
    "a body cut short halfway": on_second_page("truncate"),
    "malformed JSON halfway": on_second_page("malformed"),
    "silence halfway (timeout)": on_second_page("hang"),
    "silence (timeout)": lambda request: "hang",
    "malformed JSON": lambda request: "malformed",
    "connections dropped": lambda request: "drop",
    "not found": lambda request: 404,
}


async def synced_patiently(
    settings: Settings, client_for: Callable[..., httpx.AsyncClient]
) -> None:
    """A sync that must succeed, by an app (on an engine of its own) with the usual
    upstream timeout: the short one of a test where the upstream hangs would race its
    healthy answers on a loaded machine."""
    patient = create_app(settings.model_copy(update={"financial_timeout_seconds": TIMEOUT_SECONDS}))
    async with (
        patient.router.lifespan_context(patient) as state,
        client_for(patient, state) as client,
    ):
        synced = await client.post(DEMO, json={})
    assert synced.status_code == 200, synced.text


@pytest.mark.usefixtures("sample")
@pytest.mark.parametrize("failure", list(FAILURES))
# The failing sync only (the previous data is synced patiently): a timeout, even of a
# healthy page on a loaded machine, ends the same way.
@pytest.mark.parametrize("timeout_seconds", [HANG_TIMEOUT_SECONDS])
async def test_a_failing_upstream_is_100193_and_leaves_the_previous_data(
    client: httpx.AsyncClient,
    upstream: Upstream,
    financial_snapshot: Callable[[str], Awaitable[Snapshot]],
    failure: str,
    settings: Settings,
    client_for: Callable[..., httpx.AsyncClient],
) -> None:
    await synced_patiently(settings, client_for)
    before = await financial_snapshot("100001")
    upstream.behave = FAILURES[failure]

    response = await client.post(DEMO, json={})

    assert (response.status_code, response.json()["errorCode"]) == (500, "100193")
    assert response.json()["message"].startswith("Internal error while syncing financial data: ")
    assert await financial_snapshot("100001") == before


@pytest.mark.usefixtures("sample")
async def test_a_dead_upstream_is_100193_and_leaves_the_previous_data(
    client: httpx.AsyncClient,
    upstream: Upstream,
    financial_snapshot: Callable[[str], Awaitable[Snapshot]],
) -> None:
    await client.post(DEMO, json={})
    before = await financial_snapshot("100001")
    await upstream.stop()

    response = await client.post(DEMO, json={})

    assert (response.status_code, response.json()["errorCode"]) == (500, "100193")
    # The failure in our words, without the library's (the address tried, its errno).
    assert response.json()["message"] == (
        "Internal error while syncing financial data: the financial service could not be"
        " reached or broke off (ConnectError) (3 attempts)"
    )
    assert await financial_snapshot("100001") == before


@pytest.mark.usefixtures("sample")
async def test_the_log_line_of_a_failed_sync_says_why_through_the_servers_formatters(
    client: httpx.AsyncClient, upstream: Upstream, caplog: pytest.LogCaptureFixture
) -> None:
    # The formatters withhold an error's message (it may hold data): the line must carry the
    # failure's text (the gateway's words), not the error, or the operator reads only
    # "FinancialSourceError (message withheld)".
    upstream.behave = lambda request: 404
    caplog.set_level(logging.WARNING, logger="orgql.financial")

    response = await client.post(DEMO, json={})

    assert response.status_code == 500
    [record] = [r for r in caplog.records if r.name == "orgql.financial"]
    for formatter in (JsonFormatter(), TextFormatter()):
        assert "the financial service answered HTTP 404" in formatter.format(record)


@pytest.mark.usefixtures("sample")
@pytest.mark.parametrize("timeout_seconds", [HANG_TIMEOUT_SECONDS])
async def test_a_timeout_message_names_the_attempts(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    upstream.behave = lambda request: "hang"

    response = await client.post(DEMO, json={})

    assert response.json()["message"] == (
        "Internal error while syncing financial data: the financial service timed out"
        " (ReadTimeout) (3 attempts)"
    )
    assert len(upstream.requests) == 3


async def test_an_account_listed_twice_is_100193_and_changes_nothing(
    client: httpx.AsyncClient,
    upstream: Upstream,
    demo_party: str,
    financial_snapshot: Callable[[str], Awaitable[Snapshot]],
) -> None:
    upstream.parties[demo_party] = sample_accounts()
    await client.post(DEMO, json={})
    before = await financial_snapshot("100001")
    upstream.parties[demo_party] = [account("ca1", site("a1")), account("ca1", site("a2"))]

    response = await client.post(DEMO, json={})

    assert (response.status_code, response.json()["errorCode"]) == (500, "100193")
    assert response.json()["message"] == (
        "Internal error while syncing financial data: customer account 'ca1' is listed twice"
    )
    assert await financial_snapshot("100001") == before


# ---------------------------------------------------------------- concurrency


async def test_two_concurrent_syncs_serialize_and_the_newer_one_stays(
    client: httpx.AsyncClient, engine: AsyncEngine, upstream: Upstream, demo_party: str
) -> None:
    east = [account("ca-east", site("east-1", PRIMARY_BILL_TO), site("east-2", SHIP_TO))]
    west = [
        account(f"ca-west-{i}", site(f"west-{i}", PRIMARY_SHIP_TO), business_unit_id=2)
        for i in range(2)
    ]
    upstream.parties[demo_party] = east + west
    # Neither answer leaves the upstream before both requests arrived: both syncs have
    # fetched before either writes, so both race for the organization's row.
    upstream.hold_until = 2

    responses = await asyncio.gather(
        client.post(DEMO, json={"businessUnitId": 300000001}),
        client.post(DEMO, json={"businessUnitId": 2}),
    )

    # Both commit when the older sync (the earlier ticket) commits first; else the older one
    # is refused, as a newer one committed while it fetched (core.financial.order).
    statuses = sorted(r.status_code for r in responses)
    assert statuses in ([200, 200], [200, 409]), statuses
    for refused in (r for r in responses if r.status_code == 409):
        assert refused.json()["errorCode"] == "100193"
    stored = await external_ids(engine)
    outcomes = {
        "east last": (["ca-east"], ["east-1", "east-2"]),
        "west last": (["ca-west-0", "ca-west-1"], ["west-0", "west-1"]),
    }
    assert stored in outcomes.values(), stored
    winner = responses[0] if stored == outcomes["east last"] else responses[1]
    assert winner.status_code == 200
    async with make_sessionmaker(engine)() as session:
        ids = await session.scalars(
            select(financial_models.CustomerAccount.id).where(
                financial_models.CustomerAccount.organization_id == "100001"
            )
        )
        assert sorted(ids) == sorted(winner.json()["customerAccountIds"])


# ---------------------------------------------------------------- GraphQL, same failure


@pytest.mark.usefixtures("sample")
async def test_graphql_answers_an_upstream_failure_with_a_top_level_100193(
    client: httpx.AsyncClient,
    upstream: Upstream,
    financial_snapshot: Callable[[str], Awaitable[Snapshot]],
) -> None:
    await client.post(DEMO, json={})
    before = await financial_snapshot("100001")
    upstream.behave = on_second_page(503)

    response = await client.post(
        "/graphql",
        json={"query": 'mutation { syncFinancialData(id: "100001") { customerAccountIds } }'},
    )

    body = response.json()
    assert body["data"] == {"syncFinancialData": None}
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "100193", "field": None}
    assert error["message"] == (
        "Internal error while syncing financial data: the financial service answered HTTP 503"
        " (3 attempts)"
    )
    assert await financial_snapshot("100001") == before
