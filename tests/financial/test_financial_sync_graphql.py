"""syncFinancialData over GraphQL with the built-in source, and the synced data as fields of
Organization: customerAccounts (with their addresses) and billingAddresses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from graphql_client import vendor_ids
from orgql.db import financial_models
from orgql.db.engine import make_sessionmaker

SYNC = """
mutation Sync($id: ID!, $unit: ID) {
  syncFinancialData(id: $id, businessUnitId: $unit) {
    customerAccountIds
    failedAddressItems { externalId errorMessage }
    organization { id billingAddress { externalAddressId } }
    userErrors { code message field }
  }
}
"""

ACCOUNTS = """
query Accounts($id: ID!) {
  organization(id: $id) {
    customerAccounts {
      id
      externalAccountId
      accountNumber
      accountName
      businessUnitId
      addresses {
        externalSiteId billTo shipTo primaryBillTo primaryShipTo
        address { externalAddressId city }
      }
    }
    billingAddresses { externalAddressId city }
  }
}
"""


async def post(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = vendor_ids(response.json())  # ids compared with vendor ids
    assert "errors" not in body, body["errors"]
    return body["data"]


async def sync(client: httpx.AsyncClient, organization_id: str, unit: object = None) -> Any:
    data = await post(client, SYNC, id=organization_id, unit=unit)
    return data["syncFinancialData"]


async def test_the_demo_sync_answers_ids_and_failed_addresses(client: httpx.AsyncClient) -> None:
    payload = await sync(client, "100001")

    assert len(payload["customerAccountIds"]) == 3
    assert payload["failedAddressItems"] == [
        {"externalId": "300100628304102", "errorMessage": "City is not specified"},
        {"externalId": "17277", "errorMessage": "City is not specified"},
    ]
    assert payload["organization"] == {
        "id": "100001",
        "billingAddress": {"externalAddressId": "300100628304101"},
    }
    assert payload["userErrors"] == []


async def test_customer_accounts_are_empty_before_any_sync(client: httpx.AsyncClient) -> None:
    data = await post(client, ACCOUNTS, id="100001")

    assert data["organization"] == {"customerAccounts": [], "billingAddresses": []}


async def test_synced_accounts_are_readable_with_their_addresses_and_uses(
    client: httpx.AsyncClient,
) -> None:
    ids = (await sync(client, "100001", 300000001))["customerAccountIds"]

    data = await post(client, ACCOUNTS, id="100001")

    assert data["organization"]["customerAccounts"] == [
        {
            "id": ids[0],
            "externalAccountId": "300100010002",
            "accountNumber": "10002",
            "accountName": "Sample East",
            "businessUnitId": "300000001",
            "addresses": [
                {
                    "externalSiteId": "300100020101",
                    "billTo": True,
                    "shipTo": True,
                    "primaryBillTo": True,
                    "primaryShipTo": True,
                    "address": {"externalAddressId": "300100628304101", "city": "Boston"},
                }
            ],
        },
        {
            "id": ids[1],
            "externalAccountId": "300100010003",
            "accountNumber": "10003",
            "accountName": "Sample Midwest",
            "businessUnitId": "300000001",
            "addresses": [
                {
                    "externalSiteId": "300100020103",
                    "billTo": True,
                    "shipTo": True,
                    "primaryBillTo": False,
                    "primaryShipTo": False,
                    "address": {"externalAddressId": "300100628304103", "city": "Chicago"},
                }
            ],
        },
    ]


async def test_billing_addresses_are_the_synced_addresses_billed_to(
    client: httpx.AsyncClient,
) -> None:
    await sync(client, "100001")

    data = await post(client, ACCOUNTS, id="100001")

    assert data["organization"]["billingAddresses"] == [
        {"externalAddressId": "300100628304101", "city": "Boston"},
        {"externalAddressId": "300100628304103", "city": "Chicago"},
        {"externalAddressId": "17278", "city": "Paris"},
    ]


# ---------------------------------------------------------------- user errors


async def test_an_unknown_organization_is_a_user_error_100001(client: httpx.AsyncClient) -> None:
    payload = await sync(client, "999999")

    assert payload["userErrors"] == [
        {"code": "100001", "message": "Organization '999999' does not exist", "field": "id"}
    ]
    assert (payload["customerAccountIds"], payload["organization"]) == ([], None)


async def test_a_disabled_portal_is_a_user_error_58001(
    client: httpx.AsyncClient, set_portal: Callable[[bool], Awaitable[None]]
) -> None:
    await set_portal(False)

    payload = await sync(client, "100001")

    assert [e["code"] for e in payload["userErrors"]] == ["58001"]


async def test_an_organization_without_party_is_a_user_error_100193(
    client: httpx.AsyncClient,
) -> None:
    payload = await sync(client, "100002")

    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("100193", "id")]


async def test_a_negative_business_unit_is_a_user_error_100002(client: httpx.AsyncClient) -> None:
    payload = await sync(client, "100001", -5)

    assert payload["userErrors"] == [
        {
            "code": "100002",
            "message": "businessUnitId must be a whole number from 0 to 9223372036854775807",
            "field": "businessUnitId",
        }
    ]


@pytest.mark.parametrize("unit", ["300000000000001", 300000000000001])
async def test_a_fifteen_digit_business_unit_is_taken_as_a_number_or_a_string(
    client: httpx.AsyncClient, unit: object
) -> None:
    payload = await sync(client, "100001", unit)

    assert payload["userErrors"] == []


@pytest.mark.parametrize("unit", ["3e5", "12a", "9" * 20, " "])
async def test_a_business_unit_that_is_not_a_whole_number_is_a_user_error(
    client: httpx.AsyncClient, unit: str
) -> None:
    payload = await sync(client, "100001", unit)

    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("100002", "businessUnitId")
    ]


# ---------------------------------------------------------------- statements per page

PAGE = """
query Page($first: Int!) {
  organizations(first: $first, filter: {nameContains: "Ledger"}) {
    edges { node {
      id
      customerAccounts {
        id businessUnitId
        addresses { billTo address { externalAddressId city } }
      }
      billingAddresses { externalAddressId }
    } }
  }
}
"""

ORGANIZATIONS = 12


class StatementCounter(Protocol):  # the statement_counter fixture of tests/conftest.py
    statements: list[str]

    @property
    def count(self) -> int: ...

    def reset(self) -> None: ...


@pytest.fixture
async def synced_organizations(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    """Organizations "Ledger N", each with a party of 2 accounts of 2 sites, synced."""
    async with make_sessionmaker(engine)() as session, session.begin():
        for n in range(ORGANIZATIONS):
            party = f"ledger-party-{n}"
            for a in range(2):
                session.add(
                    financial_models.FinancialSourceAccount(
                        account_id=f"{party}-{a}",
                        party_id=party,
                        account_number=f"{n}{a}",
                        business_unit_id=7,
                    )
                )
            await session.flush()
            for a in range(2):
                for s in range(2):
                    session.add(
                        financial_models.FinancialSourceSite(
                            site_id=f"{party}-{a}-{s}",
                            account_id=f"{party}-{a}",
                            external_address_id=f"{party}-{a}-{s}",
                            address1="1 Ledger Lane",
                            city="Boston",
                            country="US",
                            bill_to=s == 0,
                            primary_bill_to=s == 0 and a == 0,
                        )
                    )
    for n in range(ORGANIZATIONS):
        created = await post(
            client,
            "mutation($name: String!, $party: String!) { createOrganization(input: {name: $name,"
            " partyId: $party}) { organization { id } userErrors { code } } }",
            name=f"Ledger {n}",
            party=f"ledger-party-{n}",
        )
        organization_id = created["createOrganization"]["organization"]["id"]
        assert (await sync(client, organization_id))["userErrors"] == []


@pytest.mark.usefixtures("synced_organizations")
async def test_a_page_of_synced_data_costs_the_statements_of_a_page_of_one(
    client: httpx.AsyncClient, statement_counter: StatementCounter
) -> None:
    statement_counter.reset()
    one = await post(client, PAGE, first=1)
    cost_of_one = statement_counter.count
    statement_counter.reset()

    many = await post(client, PAGE, first=ORGANIZATIONS)

    assert len(one["organizations"]["edges"]) == 1
    nodes = [edge["node"] for edge in many["organizations"]["edges"]]
    assert len(nodes) == ORGANIZATIONS
    assert all(len(node["customerAccounts"]) == 2 for node in nodes)
    assert all(len(node["billingAddresses"]) == 2 for node in nodes)
    assert statement_counter.count == cost_of_one, statement_counter.statements
