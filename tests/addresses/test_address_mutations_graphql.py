"""The address mutations over GraphQL: the same core as REST, refusals as userErrors that
change nothing, admins only. Demo tree: 100001 > 100002 > 100003."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from graphql_client import SAMPLE_ADDRESS_LINES, vendor_ids

ADD = """
mutation Add($org: ID!, $input: OrganizationAddressInput!) {
  addOrganizationAddress(organizationId: $org, input: $input) {
    address {
      addressType isDefaultBillingAddress isDefaultShippingAddress
      address { repositoryId city address2 }
      types { id displayName }
    }
    userErrors { code field }
  }
}
"""
UPDATE = """
mutation Update($org: ID!, $id: ID!, $input: OrganizationAddressInput!) {
  updateOrganizationAddress(organizationId: $org, addressId: $id, input: $input) {
    address { addressType isDefaultBillingAddress address { city address2 } types { id } }
    userErrors { code field }
  }
}
"""
DELETE = """
mutation Delete($org: ID!, $id: ID!) {
  deleteOrganizationAddress(organizationId: $org, addressId: $id) {
    deletedAddressId userErrors { code field }
  }
}
"""
INHERITED = """
query Child($id: ID!) {
  organization(id: $id) { derivedBillingAddress { repositoryId city } }
}
"""

LINES = SAMPLE_ADDRESS_LINES


async def run(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    answer = await client.post("/graphql", json={"query": query, "variables": variables})
    assert answer.status_code == 200, answer.text
    # These tests compare ids with vendor ids (the id format is tests/graphql/test_node.py's).
    body: dict[str, Any] = vendor_ids(answer.json())
    return body


async def test_an_address_is_added_made_default_inherited_and_deleted(
    client: httpx.AsyncClient,
) -> None:
    added = await run(
        client,
        ADD,
        org="100002",
        input={"addressType": "Office", "address": {**LINES, "typeIds": ["ss-10002"]}},
    )
    payload = added["data"]["addOrganizationAddress"]
    assert payload["userErrors"] == []
    address_id = payload["address"]["address"]["repositoryId"]
    assert payload["address"]["types"] == [{"id": "ss-10002", "displayName": "Billing"}]
    assert payload["address"]["isDefaultBillingAddress"] is False

    updated = await run(
        client,
        UPDATE,
        org="100002",
        id=address_id,
        input={"address": {"isDefaultBillingAddress": True, "city": "Mobile"}},
    )
    assert updated["data"]["updateOrganizationAddress"] == {
        "address": {
            "addressType": "Office",
            "isDefaultBillingAddress": True,
            "address": {"city": "Mobile", "address2": None},
            "types": [{"id": "ss-10002"}],
        },
        "userErrors": [],
    }
    child = await run(client, INHERITED, id="100003")
    assert child["data"]["organization"]["derivedBillingAddress"] == {
        "repositoryId": address_id,
        "city": "Mobile",
    }

    deleted = await run(client, DELETE, org="100002", id=address_id)
    assert deleted["data"]["deleteOrganizationAddress"] == {
        "deletedAddressId": address_id,
        "userErrors": [],
    }
    child = await run(client, INHERITED, id="100003")
    derived = child["data"]["organization"]["derivedBillingAddress"]
    assert derived is None or derived["repositoryId"] != address_id


async def test_refusals_are_user_errors_named_by_the_input(client: httpx.AsyncClient) -> None:
    missing = await run(client, ADD, org="100002", input={"address": LINES})
    unknown_type = await run(
        client,
        ADD,
        org="100002",
        input={"addressType": "X", "address": {**LINES, "typeIds": ["ss-10001", "nope"]}},
    )
    no_org = await run(client, ADD, org="nobody", input={"addressType": "X", "address": LINES})
    no_org_update = await run(client, UPDATE, org="nobody", id="nothing", input={})
    no_org_delete = await run(client, DELETE, org="nobody", id="nothing")
    no_address = await run(client, DELETE, org="100002", id="nothing")
    cleared = await run(client, UPDATE, org="100002", id="nothing", input={"addressType": None})

    assert missing["data"]["addOrganizationAddress"] == {
        "address": None,
        "userErrors": [{"code": "100002", "field": "addressType"}],
    }
    assert unknown_type["data"]["addOrganizationAddress"]["userErrors"] == [
        {"code": "180104", "field": "address.typeIds[1]"}
    ]
    # The organization is the organizationId argument (the core's "id" is REST's path).
    assert no_org["data"]["addOrganizationAddress"]["userErrors"] == [
        {"code": "100001", "field": "organizationId"}
    ]
    assert no_org_update["data"]["updateOrganizationAddress"]["userErrors"] == [
        {"code": "100001", "field": "organizationId"}
    ]
    assert no_org_delete["data"]["deleteOrganizationAddress"]["userErrors"] == [
        {"code": "100001", "field": "organizationId"}
    ]
    assert no_address["data"]["deleteOrganizationAddress"]["userErrors"] == [
        {"code": "190101", "field": "addressId"}
    ]
    assert cleared["data"]["updateOrganizationAddress"]["userErrors"] == [
        {"code": "100002", "field": "addressType"}
    ]
    organization = await run(
        client, '{ organization(id: "100002") { secondaryAddresses { addressType } } }'
    )
    assert organization["data"]["organization"]["secondaryAddresses"] == []


async def test_anonymous_callers_and_shoppers_of_other_accounts_cannot_change_addresses(
    anonymous_client: httpx.AsyncClient, shopper_client: Callable[[str], httpx.AsyncClient]
) -> None:
    variables = {"org": "100002", "input": {"addressType": "X", "address": LINES}}
    anonymous = await run(anonymous_client, ADD, **variables)
    async with shopper_client("110000") as shopper:  # a member of 100001, not of 100002
        stranger = await run(shopper, ADD, **variables)

    assert anonymous["data"] == {"addOrganizationAddress": None}
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert stranger["data"]["addOrganizationAddress"] == {
        "address": None,
        "userErrors": [{"code": "100001", "field": "organizationId"}],
    }


async def test_the_history_shows_the_address_and_its_types(client: httpx.AsyncClient) -> None:
    added = await run(
        client,
        ADD,
        org="100002",
        input={"addressType": "Office", "address": {**LINES, "typeIds": ["ss-10002"]}},
    )
    address_id = added["data"]["addOrganizationAddress"]["address"]["address"]["repositoryId"]

    body = await run(
        client,
        """{ organization(id: "100002") {
               history(first: 5) { edges { node { entityKind entityId operation } } } } }""",
    )

    nodes = [edge["node"] for edge in body["data"]["organization"]["history"]["edges"]]
    assert nodes[:2] == [
        {"entityKind": "ADDRESS_TYPE", "entityId": f"{address_id}:ss-10002", "operation": "INSERT"},
        {"entityKind": "ADDRESS", "entityId": address_id, "operation": "INSERT"},
    ]
