"""An upstream address id PostgreSQL text cannot hold (a lone surrogate, sent as its JSON
escape) through syncFinancialData over REST and GraphQL, from a real upstream on loopback:
the address is listed in failedAddressItems with U+FFFD for the surrogate, the other data is
stored, and both transports answer 200 with the same encodable id (REST answered 500 once
the sync had committed: its answer could not be encoded)."""

from __future__ import annotations

import logging

import httpx
import pytest
from financial_support import SYNC, upstream_settings
from upstream import PRIMARY_BILL_TO, Upstream, account, site

from orgql.settings import Settings

FAILED = {"externalId": "a\ufffdb\ufffd", "errorMessage": "externalId contains control characters"}
MUTATION = """mutation { syncFinancialData(id: "100001") {
  customerAccountIds failedAddressItems { externalId errorMessage } } }"""


@pytest.fixture
def settings(database_url: str, upstream: Upstream) -> Settings:
    return upstream_settings(database_url, upstream.url)


@pytest.fixture(autouse=True)
def lone_surrogates(upstream: Upstream, demo_party: str) -> None:
    bad = site("a\ud800b\udc00", PRIMARY_BILL_TO, site_id="s1", address1="1 Main Street")
    upstream.parties[demo_party] = [account("ca1", bad, site("G1", PRIMARY_BILL_TO))]


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def stored_address_types(client: httpx.AsyncClient) -> list[str]:
    response = await client.get("/ccadmin/v1/organizations/100001")
    assert response.status_code == 200, response.text
    return [a["addressType"] for a in response.json()["secondaryAddresses"]]


async def test_rest_answers_200_with_the_id_replaced(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = await client.post(SYNC.format("100001"), json={})

    assert response.status_code == 200, response.text
    assert response.json()["failedAddressItems"] == [FAILED]
    assert len(response.json()["customerAccountIds"]) == 1
    assert "G1" in await stored_address_types(client)  # the valid address is stored
    assert errors(caplog) == []


async def test_graphql_answers_the_same_id_as_rest(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = await client.post("/graphql", json={"query": MUTATION})

    assert response.status_code == 200, response.text
    assert "errors" not in response.json()
    assert response.json()["data"]["syncFinancialData"]["failedAddressItems"] == [FAILED]
    # The same bytes as REST: UTF-8 U+FFFD, no escape of a surrogate.
    assert "a\ufffdb\ufffd".encode() in response.content
    assert b"\\ud" not in response.content
    assert errors(caplog) == []
