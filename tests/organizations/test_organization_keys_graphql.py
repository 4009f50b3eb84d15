"""GraphQL filters and look-ups by an account's keys in other systems: externalOrganizationId,
uniqueId, dunsNumber and partyNumber. Demo: 100001 has DUNS 987654321."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from graphql_client import vendor_ids

LIST = """
query List($filter: OrganizationFilter) {
  organizations(filter: $filter) { totalCount edges { node { id } } }
}
"""
LOOKUP = """
query Lookup($ext: String, $unique: String, $duns: String, $party: String) {
  organizationByKey(externalOrganizationId: $ext, uniqueId: $unique, dunsNumber: $duns,
                    partyNumber: $party) { id name }
}
"""


async def run(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    answer = await client.post("/graphql", json={"query": query, "variables": variables})
    assert answer.status_code == 200, answer.text
    # These tests compare ids with vendor ids (the id format is tests/graphql/test_node.py's).
    body: dict[str, Any] = vendor_ids(answer.json())
    return body


@pytest.fixture
async def keyed(client: httpx.AsyncClient) -> None:
    """100002 and 100003 get keys of their own (100003 shares 100002's partyNumber)."""
    for organization_id, values in (
        ("100002", {"externalOrganizationId": "ERP-2", "uniqueId": "U-2", "partyNumber": "P-1"}),
        ("100003", {"externalOrganizationId": "ERP-3", "partyNumber": "P-1"}),
    ):
        answer = await client.put(f"/ccadmin/v1/organizations/{organization_id}", json=values)
        assert answer.status_code == 200, answer.text


@pytest.mark.usefixtures("keyed")
@pytest.mark.parametrize(
    ("where", "ids"),
    [
        ({"externalOrganizationId": "ERP-3"}, ["100003"]),
        ({"uniqueId": "U-2"}, ["100002"]),
        ({"dunsNumber": "987654321"}, ["100001"]),
        ({"partyNumber": "P-1"}, ["100002", "100003"]),
        ({"partyNumber": "P-1", "externalOrganizationId": "ERP-2"}, ["100002"]),
        ({"externalOrganizationId": "erp-3"}, []),
    ],
)
async def test_the_list_filters_on_the_keys(
    client: httpx.AsyncClient, where: dict[str, str], ids: list[str]
) -> None:
    body = await run(client, LIST, filter=where)

    connection = body["data"]["organizations"]
    assert [edge["node"]["id"] for edge in connection["edges"]] == ids
    assert connection["totalCount"] == len(ids)


@pytest.mark.usefixtures("keyed")
async def test_a_look_up_answers_the_one_organization_with_the_key(
    client: httpx.AsyncClient,
) -> None:
    found = await run(client, LOOKUP, ext="ERP-2")
    by_duns = await run(client, LOOKUP, duns="987654321")
    missing = await run(client, LOOKUP, unique="nobody")

    assert found["data"]["organizationByKey"] == {"id": "100002", "name": "Sample East"}
    assert by_duns["data"]["organizationByKey"]["id"] == "100001"
    assert missing["data"]["organizationByKey"] is None


@pytest.mark.usefixtures("keyed")
@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"party": "P-1"}, "several organizations have this key"),
        ({}, "give exactly one of"),
        ({"ext": "ERP-2", "duns": "987654321"}, "give exactly one of"),
    ],
)
async def test_an_ambiguous_or_unclear_look_up_is_an_error(
    client: httpx.AsyncClient, variables: dict[str, str], message: str
) -> None:
    body = await run(client, LOOKUP, **variables)

    assert body["data"]["organizationByKey"] is None
    assert message in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["code"] == "100002"


async def test_a_shopper_looks_up_only_their_own_accounts(
    client: httpx.AsyncClient,
    shopper_client: Callable[[str], httpx.AsyncClient],
    anonymous_client: httpx.AsyncClient,
) -> None:
    """Demo profile 110000 is a member of 100001 only (not of its descendant 100003)."""
    await client.put("/ccadmin/v1/organizations/100003", json={"uniqueId": "U-3"})
    async with shopper_client("110000") as shopper:
        own = await run(shopper, LOOKUP, duns="987654321")
        other = await run(shopper, LOOKUP, unique="U-3")
    anonymous = await run(anonymous_client, LOOKUP, unique="U-3")

    assert own["data"]["organizationByKey"]["id"] == "100001"
    assert other["data"]["organizationByKey"] is None
    assert anonymous["data"] is None or anonymous["data"]["organizationByKey"] is None
    assert anonymous["errors"]
