"""The HTTP financial source against a real upstream on loopback: the contract, paging,
credentials, and the failure policy (what is retried, how long it waits, what is final)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from financial_support import HANG_TIMEOUT_SECONDS, TIMEOUT_SECONDS
from upstream import (
    PRIMARY_BILL_TO,
    PRIMARY_SHIP_TO,
    SHIP_TO,
    Upstream,
    account,
    site,
)

from orgql.core.financial.source import (
    FinancialSourceError,
    SourceAccount,
    SourceAddress,
    SourceSite,
)
from orgql.financial_sources import HttpFinancialSource, RetryPolicy, bounds_of
from orgql.financial_sources.http import make_client
from orgql.settings import Settings

PARTY = "P-1"


class Sleeps(list[float]):
    """Records the retry delays instead of waiting them (no test waits on a clock)."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


MakeSource = Callable[..., HttpFinancialSource]


@pytest.fixture
async def clients() -> AsyncIterator[list[httpx.AsyncClient]]:
    made: list[httpx.AsyncClient] = []
    yield made
    for client in made:
        await client.aclose()


@pytest.fixture
def make_source(upstream: Upstream, sleeps: Sleeps, clients: list[httpx.AsyncClient]) -> MakeSource:
    """A source on ``upstream`` (or ``base_url``); settings and policy overridable."""

    def make(
        base_url: str | None = None,
        *,
        retries: int = 2,
        backoff: float = 0.1,
        backoff_max: float = 1.0,
        deadline: float = 30.0,
        page_size: int = 2,
        **settings: Any,
    ) -> HttpFinancialSource:
        values: dict[str, Any] = {
            "financial_base_url": base_url or upstream.url,
            "financial_timeout_seconds": TIMEOUT_SECONDS,
        }
        values.update(settings)
        configured = Settings(**values)
        client = make_client(configured)
        clients.append(client)
        policy = RetryPolicy(
            retries=retries, backoff=backoff, backoff_max=backoff_max, deadline=deadline
        )
        return HttpFinancialSource(
            client,
            policy,
            page_size=page_size,
            max_page_bytes=configured.financial_max_page_bytes,
            bounds=bounds_of(configured),
            sleep=sleeps,
        )

    return make


def five_accounts() -> list[dict[str, Any]]:
    return [account(f"ca{i}", site(f"a{i}", PRIMARY_BILL_TO)) for i in range(1, 6)]


# ---------------------------------------------------------------- the contract


async def test_accounts_are_read_as_the_contract_describes(
    upstream: Upstream, make_source: MakeSource
) -> None:
    upstream.parties[PARTY] = [
        account(
            "ca10002",
            site("300100628304101", PRIMARY_BILL_TO, SHIP_TO, site_id="s1", county="Suffolk"),
            site("17277", ("STMTS", True), site_id="s2", city=None),
            business_unit_id=300000046987012,
        )
    ]

    accounts = await make_source().customer_accounts(PARTY, None)

    assert accounts == [
        SourceAccount(
            account_id="ca10002",
            account_number="10002",
            account_name="Account ca10002",
            business_unit_id=300000046987012,
            sites=(
                SourceSite(
                    site_id="s1",
                    address=SourceAddress(
                        external_id="300100628304101",
                        address1="300100628304101 Main Street",
                        city="Boston",
                        state="MA",
                        postal_code="02110",
                        country="US",
                        county="Suffolk",
                    ),
                    bill_to=True,
                    primary_bill_to=True,
                    ship_to=True,
                ),
                SourceSite(
                    site_id="s2",
                    address=SourceAddress(
                        external_id="17277",
                        address1="17277 Main Street",
                        state="MA",
                        postal_code="02110",
                        country="US",
                    ),
                ),
            ),
        )
    ]


async def test_integer_ids_are_read_as_strings(upstream: Upstream, make_source: MakeSource) -> None:
    document = account("x", site("x"))
    document["accountId"] = 300100010002
    document["sites"][0]["address"]["externalId"] = 17277
    upstream.parties[PARTY] = [document]

    (read,) = await make_source().customer_accounts(PARTY, None)

    assert (read.account_id, read.sites[0].address.external_id) == ("300100010002", "17277")


async def test_pages_are_read_until_has_more_is_false(
    upstream: Upstream, make_source: MakeSource
) -> None:
    upstream.parties[PARTY] = five_accounts()

    accounts = await make_source(page_size=2).customer_accounts(PARTY, None)

    assert [a.account_id for a in accounts] == ["ca1", "ca2", "ca3", "ca4", "ca5"]
    assert [(r.query["offset"], r.query["limit"]) for r in upstream.requests] == [
        ("0", "2"),
        ("2", "2"),
        ("4", "2"),
    ]


async def test_the_party_is_in_the_path_and_the_business_unit_in_the_query(
    upstream: Upstream, make_source: MakeSource
) -> None:
    await make_source().customer_accounts("party/with space", 300000001)

    (request,) = upstream.requests
    assert request.path == "/parties/party%2Fwith%20space/customerAccounts"
    assert request.query == {"offset": "0", "limit": "2", "businessUnitId": "300000001"}


async def test_a_base_url_path_is_kept(upstream: Upstream, make_source: MakeSource) -> None:
    await make_source(f"{upstream.url}/fscmRestApi/v1/").customer_accounts(PARTY, None)

    assert upstream.requests[0].path == f"/fscmRestApi/v1/parties/{PARTY}/customerAccounts"


async def test_a_token_is_sent_as_bearer_credentials(
    upstream: Upstream, make_source: MakeSource
) -> None:
    await make_source(financial_token="t0ken").customer_accounts(PARTY, None)

    assert upstream.requests[0].headers["authorization"] == "Bearer t0ken"
    assert upstream.requests[0].headers["accept"] == "application/json"


async def test_a_user_and_password_are_sent_as_basic_credentials(
    upstream: Upstream, make_source: MakeSource
) -> None:
    source = make_source(financial_username="orgql", financial_password="pa55")

    await source.customer_accounts(PARTY, None)

    assert upstream.requests[0].headers["authorization"] == "Basic b3JncWw6cGE1NQ=="


# ---------------------------------------------------------------- transient failures


async def test_a_transient_server_error_is_retried(
    upstream: Upstream, make_source: MakeSource, sleeps: Sleeps
) -> None:
    upstream.parties[PARTY] = [account("ca1", site("a1"))]
    upstream.behave = lambda request: 503 if len(upstream.requests) == 1 else "serve"

    accounts = await make_source().customer_accounts(PARTY, None)

    assert [a.account_id for a in accounts] == ["ca1"]
    assert (len(upstream.requests), sleeps) == (2, [0.1])


async def test_retry_delays_double_up_to_the_bound(
    upstream: Upstream, make_source: MakeSource, sleeps: Sleeps
) -> None:
    upstream.behave = lambda request: 500

    with pytest.raises(FinancialSourceError, match=r"answered HTTP 500 \(5 attempts\)"):
        await make_source(retries=4, backoff=0.1, backoff_max=0.3).customer_accounts(PARTY, None)

    assert len(upstream.requests) == 5
    assert sleeps == [0.1, 0.2, 0.3, 0.3]


async def test_too_many_requests_is_retried(upstream: Upstream, make_source: MakeSource) -> None:
    upstream.behave = lambda request: 429 if len(upstream.requests) == 1 else "serve"

    assert await make_source().customer_accounts(PARTY, None) == []
    assert len(upstream.requests) == 2


async def test_a_timeout_is_retried_then_fails(upstream: Upstream, make_source: MakeSource) -> None:
    upstream.behave = lambda request: "hang"

    with pytest.raises(FinancialSourceError, match=r"timed out \(ReadTimeout\) \(3 attempts\)"):
        await make_source(
            retries=2, financial_timeout_seconds=HANG_TIMEOUT_SECONDS
        ).customer_accounts(PARTY, None)

    assert len(upstream.requests) == 3


async def test_a_body_cut_short_is_retried(upstream: Upstream, make_source: MakeSource) -> None:
    upstream.parties[PARTY] = [account("ca1", site("a1"))]
    upstream.behave = lambda request: "truncate" if len(upstream.requests) == 1 else "serve"

    accounts = await make_source().customer_accounts(PARTY, None)

    assert [a.account_id for a in accounts] == ["ca1"]
    assert len(upstream.requests) == 2


async def test_a_connection_closed_without_answer_is_retried_then_fails(
    upstream: Upstream, make_source: MakeSource
) -> None:
    upstream.behave = lambda request: "drop"

    with pytest.raises(FinancialSourceError, match="could not be reached or broke off"):
        await make_source(retries=1).customer_accounts(PARTY, None)

    assert len(upstream.requests) == 2


async def test_a_dead_upstream_fails_after_the_bounded_retries(
    dead_url: str, make_source: MakeSource, sleeps: Sleeps
) -> None:
    with pytest.raises(FinancialSourceError) as raised:
        await make_source(dead_url, retries=2).customer_accounts(PARTY, None)

    assert str(raised.value) == (
        "the financial service could not be reached or broke off (ConnectError) (3 attempts)"
    )
    assert raised.value.detail  # the library's words, for the log only
    assert sleeps == [0.1, 0.2]


async def test_the_deadline_bounds_the_whole_fetch(
    upstream: Upstream, make_source: MakeSource
) -> None:
    upstream.behave = lambda request: "hang"
    source = make_source(retries=10, deadline=0.2, financial_timeout_seconds=60)

    with pytest.raises(FinancialSourceError, match=r"no complete answer within 0\.2 s"):
        await source.customer_accounts(PARTY, None)


# ---------------------------------------------------------------- final failures


@pytest.mark.parametrize("status", [400, 401, 403, 404])
async def test_a_client_error_status_is_final(
    upstream: Upstream, make_source: MakeSource, status: int
) -> None:
    upstream.behave = lambda request: status

    with pytest.raises(FinancialSourceError, match=f"answered HTTP {status}$"):
        await make_source().customer_accounts(PARTY, None)

    assert len(upstream.requests) == 1


async def test_malformed_json_is_final(upstream: Upstream, make_source: MakeSource) -> None:
    upstream.behave = lambda request: "malformed"

    with pytest.raises(FinancialSourceError, match="answered malformed JSON"):
        await make_source().customer_accounts(PARTY, None)

    assert len(upstream.requests) == 1


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], r"at \$: not a JSON object"),
        ({"items": {}}, "at items: not a list"),
        ({"items": [], "hasMore": "no"}, "at hasMore: not true or false"),
        ({"items": [{"sites": []}]}, r"at items\[0\]\.accountId: not a non-empty string"),
        (
            {"items": [{"accountId": "a", "businessUnitId": "300"}]},
            r"at items\[0\]\.businessUnitId: not an integer",
        ),
        (
            {"items": [{"accountId": "a", "sites": [{"address": {"city": "Boston"}}]}]},
            r"at items\[0\]\.sites\[0\]\.address\.externalId: not a non-empty string",
        ),
        (
            {"items": [{"accountId": "a", "sites": [{"address": {"externalId": "1", "city": 7}}]}]},
            r"at items\[0\]\.sites\[0\]\.address\.city: not a string",
        ),
        (
            {
                "items": [
                    {
                        "accountId": "a",
                        "sites": [
                            {
                                "uses": [{"purpose": "BILL_TO", "primary": "yes"}],
                                "address": {"externalId": "1"},
                            }
                        ],
                    }
                ]
            },
            r"at items\[0\]\.sites\[0\]\.uses\[0\]\.primary: not true or false",
        ),
    ],
)
async def test_an_answer_outside_the_contract_is_final(
    upstream: Upstream, make_source: MakeSource, document: object, message: str
) -> None:
    upstream.page = lambda request: document

    with pytest.raises(FinancialSourceError, match=f"malformed {message}"):
        await make_source().customer_accounts(PARTY, None)

    assert len(upstream.requests) == 1


async def test_has_more_with_an_empty_page_is_a_failure(
    upstream: Upstream, make_source: MakeSource
) -> None:
    upstream.page = lambda request: {"items": [], "hasMore": True}

    with pytest.raises(FinancialSourceError, match="said hasMore but sent an empty page"):
        await make_source().customer_accounts(PARTY, None)


async def test_a_failing_later_page_fails_the_whole_fetch(
    upstream: Upstream, make_source: MakeSource
) -> None:
    upstream.parties[PARTY] = five_accounts()
    upstream.behave = lambda request: "serve" if request.offset == 0 else 503

    with pytest.raises(FinancialSourceError, match=r"answered HTTP 503 \(3 attempts\)"):
        await make_source(page_size=2).customer_accounts(PARTY, None)

    assert [r.offset for r in upstream.requests] == [0, 2, 2, 2]


async def test_a_primary_use_of_another_purpose_is_ignored(
    upstream: Upstream, make_source: MakeSource
) -> None:
    upstream.parties[PARTY] = [account("ca1", site("a1", ("DUN", True), PRIMARY_SHIP_TO))]

    (read,) = await make_source().customer_accounts(PARTY, None)

    assert read.sites[0] == SourceSite(
        site_id="site-a1",
        address=read.sites[0].address,
        ship_to=True,
        primary_ship_to=True,
    )
