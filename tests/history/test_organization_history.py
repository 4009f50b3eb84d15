"""Organization.history (issue 9, "History"): every change to an organization, its site
properties, addresses and memberships is recorded in the writing transaction, with who, when,
before and after. Writes go through the real transports; a direct SQL write is recorded too."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from graphql_client import GraphQL, address_input, contract_input
from orgql.db import history_models

#: The id format is tests/graphql/test_node.py's; these compare ids with vendor ids.
pytestmark = pytest.mark.read_vendor_ids

ADMIN_ACTOR = "admin:test-suite"  # the admin token of tests/conftest.py

HISTORY = """
query History($id: ID!, $first: Int, $after: String) {
  organization(id: $id) {
    history(first: $first, after: $after) {
      edges {
        cursor
        node {
          changedAt actor operation entityKind entityId transactionId
          changes { field before after }
          before after
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

UPDATE_SITE = """
mutation Update($id: ID!, $input: [SiteOrganizationPropertiesInput!]!) {
  updateSiteOrganizationProperties(id: $id, input: $input) {
    userErrors { code message field }
  }
}
"""


async def history(graphql: GraphQL, organization_id: str, **args: Any) -> list[dict[str, Any]]:
    data = await graphql.data(HISTORY, {"id": organization_id, **args})
    return [edge["node"] for edge in data["organization"]["history"]["edges"]]


def changes(node: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {c["field"]: (c["before"], c["after"]) for c in node["changes"]}


async def test_creating_an_organization_records_it_its_addresses_and_contract_in_one_transaction(
    graphql: GraphQL,
) -> None:
    created = await graphql.create_organization(
        "Sample West",
        parentOrganizationId="100001",
        customerType="Preferred",
        contract=contract_input("West Contract"),
        secondaryAddresses=[address_input("West Office", isDefaultBillingAddress=True)],
    )

    nodes = await history(graphql, created)

    kinds = sorted((n["entityKind"], n["operation"]) for n in nodes)
    assert ("ORGANIZATION", "INSERT") in kinds
    assert ("ADDRESS", "INSERT") in kinds
    assert ("SITE_PROPERTIES", "INSERT") in kinds
    assert {n["actor"] for n in nodes} == {ADMIN_ACTOR}
    assert len({(n["transactionId"], n["changedAt"]) for n in nodes}) == 1
    organization = next(n for n in nodes if n["entityKind"] == "ORGANIZATION")
    assert organization["entityId"] == created
    assert organization["before"] is None
    assert organization["after"]["name"] == "Sample West"
    assert organization["after"]["parentId"] == "100001"
    assert changes(organization)["customerType"] == (None, "Preferred")
    address = next(n for n in nodes if n["entityKind"] == "ADDRESS")
    assert address["after"]["addressType"] == "West Office"
    site = next(n for n in nodes if n["entityKind"] == "SITE_PROPERTIES")
    assert site["entityId"] == f"{created}:siteUS"


async def test_a_site_property_change_records_before_and_after_newest_first(
    graphql: GraphQL,
) -> None:
    created = await graphql.create_organization("Sample West", parentOrganizationId="100001")
    data = await graphql.data(
        UPDATE_SITE,
        {
            "id": created,
            "input": [{"site": "site1", "properties": {"orderPriceLimit": 100}}],
        },
    )
    assert data["updateSiteOrganizationProperties"]["userErrors"] == []
    data = await graphql.data(
        UPDATE_SITE,
        {
            "id": created,
            "input": [{"site": "site1", "properties": {"orderPriceLimit": 250.5}}],
        },
    )
    assert data["updateSiteOrganizationProperties"]["userErrors"] == []

    # Each change also advances the organization's version: an ORGANIZATION entry after it.
    entries = await history(graphql, created)
    bump, newest, _, previous, *_ = entries

    assert (bump["entityKind"], changes(bump)) == ("ORGANIZATION", {"version": (2, 3)})
    assert (newest["entityKind"], newest["operation"]) == ("SITE_PROPERTIES", "UPDATE")
    assert changes(newest) == {"orderPriceLimit": (100, 250.5)}
    assert newest["actor"] == ADMIN_ACTOR
    assert newest["changedAt"] > previous["changedAt"]
    assert (previous["entityKind"], previous["operation"]) == ("SITE_PROPERTIES", "INSERT")


async def test_a_direct_database_write_is_recorded_with_the_database_role(
    graphql: GraphQL, session: AsyncSession
) -> None:
    created = await graphql.create_organization("Sample West", parentOrganizationId="100001")
    await session.execute(
        text("UPDATE organizations SET description = 'set by hand' WHERE id = :id"),
        {"id": created},
    )
    await session.commit()

    newest = (await history(graphql, created))[0]

    assert newest["operation"] == "UPDATE"
    # The version trigger (migration 0009) advances the version of any change.
    assert changes(newest) == {"description": (None, "set by hand"), "version": (1, 2)}
    assert newest["actor"].startswith("db:")


async def test_an_update_that_changes_nothing_records_nothing(
    graphql: GraphQL, session: AsyncSession
) -> None:
    created = await graphql.create_organization("Sample West", parentOrganizationId="100001")
    before = await history(graphql, created)
    await session.execute(
        text("UPDATE organizations SET name = name WHERE id = :id"), {"id": created}
    )
    await session.commit()

    assert await history(graphql, created) == before


async def test_history_pages_with_cursors(graphql: GraphQL) -> None:
    created = await graphql.create_organization(
        "Sample West",
        parentOrganizationId="100001",
        secondaryAddresses=[address_input("One"), address_input("Two")],
    )
    everything = await history(graphql, created)
    assert len(everything) == 3

    data = await graphql.data(HISTORY, {"id": created, "first": 2})
    first_page = data["organization"]["history"]
    data = await graphql.data(
        HISTORY, {"id": created, "first": 2, "after": first_page["pageInfo"]["endCursor"]}
    )
    second_page = data["organization"]["history"]

    assert first_page["pageInfo"]["hasNextPage"] is True
    assert second_page["pageInfo"]["hasNextPage"] is False
    pages = [e["node"] for e in first_page["edges"] + second_page["edges"]]
    assert pages == everything


@pytest.mark.parametrize(
    ("first", "message"),
    [(101, "first must be at most 100"), (-1, "first must not be negative")],
)
async def test_a_page_size_outside_0_to_100_is_the_callers_error(
    graphql: GraphQL, first: int, message: str
) -> None:
    result = await graphql.post(HISTORY, {"id": "100001", "first": first})

    assert [(e["message"], e["extensions"]) for e in result["errors"]] == [
        (message, {"code": "100002", "field": "first"})
    ]


async def test_a_bad_cursor_is_the_callers_error(graphql: GraphQL) -> None:
    result = await graphql.post(HISTORY, {"id": "100001", "after": "not-a-cursor"})

    assert result["errors"][0]["extensions"]["code"] == "100002"


@pytest.mark.parametrize(
    "cursor",
    [
        "Y2hhbmdlOjk5OTk5OTk5OTk5OTk5OTk5OTk5",  # change:99999999999999999999 (past bigint)
        "Y2hhbmdlOjkyMjMzNzIwMzY4NTQ3NzU4MDg=",  # change:9223372036854775808 (2**63)
        "Y2hhbmdlOsKy",  # change:² (a digit, not an ASCII one)
    ],
)
async def test_a_cursor_past_the_change_ids_is_the_callers_error(
    graphql: GraphQL, cursor: str
) -> None:
    result = await graphql.post(HISTORY, {"id": "100001", "first": 1, "after": cursor})
    assert result["errors"][0]["extensions"] == {"code": "100002", "field": "after"}


async def test_a_failed_mutation_records_nothing(graphql: GraphQL, session: AsyncSession) -> None:
    async def recorded() -> int:
        count = await session.scalar(
            select(func.count()).select_from(history_models.OrganizationHistory)
        )
        await session.commit()
        return int(count or 0)

    before = await recorded()
    create = """
    mutation Create($input: CreateOrganizationInput!) {
      createOrganization(input: $input) { organization { id } userErrors { code } }
    }
    """
    twice = {
        "name": "Twice",
        "parentOrganizationId": "100001",
        "contract": contract_input("Twice Contract"),
    }
    # Two concurrent creates of one name: the loser fails at the unique index, after it
    # wrote its contract; its transaction's history goes with it.
    results = await asyncio.gather(*(graphql.data(create, {"input": twice}) for _ in range(2)))
    codes = sorted(e["code"] for r in results for e in r["createOrganization"]["userErrors"])
    assert codes == ["100005"]
    won = next(r for r in results if r["createOrganization"]["organization"])
    winner = won["createOrganization"]["organization"]["id"]

    contracts = await session.scalar(
        select(func.count())
        .select_from(history_models.OrganizationHistory)
        .where(
            history_models.OrganizationHistory.entity_kind == "contract",
            history_models.OrganizationHistory.after["display_name"].astext == "Twice Contract",
        )
    )
    assert contracts == 1
    assert await recorded() == before + len(await history(graphql, winner)) + 1  # + contract


async def test_a_rolled_back_write_leaves_no_history(session: AsyncSession) -> None:
    await session.execute(
        text("UPDATE organizations SET description = 'never' WHERE id = '100002'")
    )
    inside = await session.scalar(
        select(func.count())
        .select_from(history_models.OrganizationHistory)
        .where(history_models.OrganizationHistory.after["description"].astext == "never")
    )
    await session.rollback()
    after = await session.scalar(
        select(func.count())
        .select_from(history_models.OrganizationHistory)
        .where(history_models.OrganizationHistory.after["description"].astext == "never")
    )

    assert (inside, after) == (1, 0)


async def test_a_rest_write_names_its_caller(client: httpx.AsyncClient, graphql: GraphQL) -> None:
    response = await client.post(
        "/ccadmin/v1/organizations",
        json={"name": "Oracle", "parentOrganization": {"id": "100001"}},
    )
    assert response.status_code == 200, response.text
    created = response.json()["id"]

    nodes = await history(graphql, created)

    assert [(n["entityKind"], n["operation"], n["actor"]) for n in nodes] == [
        ("ORGANIZATION", "INSERT", ADMIN_ACTOR)
    ]


async def test_the_demo_data_is_recorded_as_written_by_the_seed(graphql: GraphQL) -> None:
    nodes = await history(graphql, "100001")

    assert nodes
    assert {n["actor"] for n in nodes} == {"system:seed"}


async def test_history_is_for_admins(shopper_client: Callable[[str], httpx.AsyncClient]) -> None:
    async with shopper_client("110000") as client:  # a member of 100001
        result = await GraphQL(client).post(HISTORY, {"id": "100001"})

    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_approving_a_request_records_the_organization_and_its_member(
    graphql: GraphQL,
) -> None:
    submitted = await graphql.data(
        """mutation($input: SubmitOrganizationRequestInput!) {
             submitOrganizationRequest(input: $input) { id userErrors { code } } }""",
        {
            "input": {
                "name": "Acme",
                "profile": {"email": "buyer@acme.example", "firstName": "Ada", "lastName": "B"},
                "organization": {"secondaryAddresses": [address_input("HQ")]},
            }
        },
    )
    request_id = submitted["submitOrganizationRequest"]["id"]
    approved = await graphql.data(
        """mutation($id: ID!) { approveOrganizationRequest(id: $id) {
             organizationRequest { organization { id } profile { id } } userErrors { code } } }""",
        {"id": request_id},
    )
    result = approved["approveOrganizationRequest"]
    assert result["userErrors"] == []
    organization = result["organizationRequest"]["organization"]["id"]
    profile = result["organizationRequest"]["profile"]["id"]

    nodes = await history(graphql, organization)

    # The new contact's parent (0016: filed under it) and the two roles it was given.
    assert sorted((n["entityKind"], n["operation"], n["actor"]) for n in nodes) == [
        ("ADDRESS", "INSERT", ADMIN_ACTOR),
        ("MEMBER", "INSERT", ADMIN_ACTOR),
        ("ORGANIZATION", "INSERT", ADMIN_ACTOR),
        ("PROFILE", "UPDATE", ADMIN_ACTOR),
        ("PROFILE_ROLE", "INSERT", ADMIN_ACTOR),
        ("PROFILE_ROLE", "INSERT", ADMIN_ACTOR),
    ]
    member = next(n for n in nodes if n["entityKind"] == "MEMBER")
    assert member["entityId"] == f"{organization}:{profile}"


async def test_a_financial_sync_records_the_addresses_it_replaces(
    client: httpx.AsyncClient, graphql: GraphQL
) -> None:
    first = await client.post("/ccadmin/v1/organizations/100001/syncFinancialData", json={})
    assert first.status_code == 200, first.text
    second = await client.post("/ccadmin/v1/organizations/100001/syncFinancialData", json={})
    assert second.status_code == 200, second.text

    nodes = [n for n in await history(graphql, "100001", first=100) if n["entityKind"] == "ADDRESS"]
    operations = {n["operation"] for n in nodes if n["actor"] == ADMIN_ACTOR}

    assert {"INSERT", "DELETE"} <= operations
    deleted = next(n for n in nodes if n["operation"] == "DELETE")
    assert deleted["after"] is None
    assert deleted["before"]["source"] == "financial"
