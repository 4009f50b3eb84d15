"""Global object identification (Relay): every identified type implements Node, its ``id``
is a global id, ``node(id)`` / ``nodes(ids)`` refetch it with the type's own authorization,
and a value that is no global id is a 100002 error, never a 500. Demo data: profile 110000
is a member of 100001 only (100002 is its child); site siteUS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from graphql_client import GraphQL
from orgql.graphql import global_ids
from orgql.graphql.global_ids import GlobalRef, decode, encode

NODE = (
    "query($id: ID!) { node(id: $id) { __typename id ... on Organization { repositoryId name } } }"
)
NODES = """query($ids: [ID!]!) { nodes(ids: $ids) {
  __typename id
  ... on Organization { repositoryId name }
  ... on Site { repositoryId name }
  ... on Profile { repositoryId email }
  ... on OrganizationRequest { repositoryId name status }
  ... on WebhookSubscription { repositoryId url }
} }"""


def test_a_global_id_decodes_to_what_it_encodes() -> None:
    value = encode("Organization", "100001")

    assert value == "T3JnYW5pemF0aW9uOjEwMDAwMQ"
    assert decode(value) == GlobalRef("Organization", "100001")
    assert getattr(decode(value), "type_name", None) == "Organization"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "100001",  # a vendor id
        "T3JnYW5pemF0aW9uOjEwMDAwMQ=",  # padding that is not its length's
        "T3JnYW5pemF0aW9uOjEwMDAwMR",  # other trailing bits: one spelling of the bytes
        "!!!!",
        "A",  # a length no base64 text has
        encode("Invoice", "1"),  # not a Node type
        encode("Organization", ""),
        encode("Organization", "x" * (global_ids.MAX_VENDOR_ID_LENGTH + 1)),
        encode("Organization", "a\x00b"),
        "Tw" * 100_000,
        "/w",  # not UTF-8 once decoded (base64url of 0xff)
    ],
)
def test_what_is_no_global_id_decodes_to_none(value: str) -> None:
    assert decode(value) is None


async def test_node_refetches_an_organization(graphql: GraphQL) -> None:
    listed = await graphql.data('{ organization(id: "100001") { id repositoryId name } }')
    organization = listed["organization"]

    refetched = await graphql.data(NODE, {"id": organization["id"]})

    assert refetched["node"] == {"__typename": "Organization", **organization}
    assert organization["repositoryId"] == "100001"


async def test_nodes_refetches_every_type_in_order(graphql: GraphQL) -> None:
    submitted = await graphql.data(
        """mutation { submitOrganizationRequest(input: {name: "Node Inc",
           profile: {email: "node@example.com", firstName: "N", lastName: "O"}}) { id } }"""
    )
    request_id = submitted["submitOrganizationRequest"]["id"]
    created = await graphql.data(
        """mutation { createWebhookSubscription(input: {url: "https://hooks.example.com/n"}) {
           webhookSubscription { id repositoryId } } }"""
    )
    webhook = created["createWebhookSubscription"]["webhookSubscription"]
    read = await graphql.data(
        """{ organization(id: "100001") { id members { id repositoryId } }
             sites { id repositoryId } }"""
    )
    organization, member = read["organization"], read["organization"]["members"][0]
    site = next(s for s in read["sites"] if s["repositoryId"] == "siteUS")
    ids = [
        site["id"],
        encode("OrganizationRequest", request_id),
        organization["id"],
        member["id"],
        webhook["id"],
        encode("Organization", "999999"),  # none such
    ]

    nodes = (await graphql.data(NODES, {"ids": ids}))["nodes"]

    assert [node and node["__typename"] for node in nodes] == [
        "Site",
        "OrganizationRequest",
        "Organization",
        "Profile",
        "WebhookSubscription",
        None,
    ]
    assert [node and node["id"] for node in nodes] == [*ids[:5], None]
    assert [node["repositoryId"] for node in nodes[:5]] == [
        "siteUS",
        request_id,
        "100001",
        member["repositoryId"],
        webhook["repositoryId"],
    ]


async def test_an_organization_and_a_request_with_the_same_vendor_id_differ(
    graphql: GraphQL,
) -> None:
    assert encode("Organization", "100001") != encode("OrganizationRequest", "100001")
    body = await graphql.data(NODE, {"id": encode("OrganizationRequest", "100001")})

    assert body == {"node": None}


@pytest.mark.parametrize(
    "value",
    ["100001", "not a global id", encode("Invoice", "1"), "T" * 5_000],
)
async def test_a_value_that_is_no_global_id_is_a_coded_error(graphql: GraphQL, value: str) -> None:
    body = await graphql.post(NODE, {"id": value})

    assert body["data"] == {"node": None}
    [error] = body["errors"]
    assert error["extensions"]["code"] == "100002"
    assert error["extensions"]["field"] == "id"
    assert len(error["message"]) < 100


async def test_nodes_is_bounded(graphql: GraphQL) -> None:
    ids = [encode("Organization", str(100_000 + i)) for i in range(101)]

    body = await graphql.post(NODES, {"ids": ids})

    assert body["errors"][0]["extensions"]["code"] == "100002"
    assert body["data"] is None


async def test_a_shopper_refetches_only_what_they_may_read(
    shopper_client: Callable[[str], httpx.AsyncClient], graphql: GraphQL
) -> None:
    admin_view = await graphql.data('{ organization(id: "100001") { members { id } } }')
    member = admin_view["organization"]["members"][0]["id"]
    ids = [
        encode("Organization", "100001"),
        encode("Organization", "100002"),  # their account's child: not theirs
        encode("Profile", "110000"),  # themselves, a member of their account
        encode("OrganizationRequest", "100001"),  # admins only
        encode("Site", "siteUS"),
        member,
    ]
    async with shopper_client("110000") as client:
        response = await client.post("/graphql", json={"query": NODES, "variables": {"ids": ids}})

    body: dict[str, Any] = response.json()
    assert "errors" not in body
    assert [node and node["__typename"] for node in body["data"]["nodes"]] == [
        "Organization",
        None,
        "Profile",
        None,
        "Site",
        "Profile",
    ]


async def test_without_a_token_only_sites_are_refetched(
    anonymous_client: httpx.AsyncClient,
) -> None:
    site = await anonymous_client.post(
        "/graphql", json={"query": NODE, "variables": {"id": encode("Site", "siteUS")}}
    )
    organization = await anonymous_client.post(
        "/graphql", json={"query": NODE, "variables": {"id": encode("Organization", "100001")}}
    )

    assert site.json() == {"data": {"node": {"__typename": "Site", "id": encode("Site", "siteUS")}}}
    assert organization.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_page_answers_the_same_global_ids_on_every_executor(graphql: GraphQL) -> None:
    """The organizations page runs on the SQL plan; node() on graphql-core (an abstract
    type): both answer the resolvers' global id."""
    page = await graphql.data(
        "{ organizations(first: 3) { edges { node { id repositoryId"
        " parentOrganization { id repositoryId } } } } }"
    )
    nodes = [edge["node"] for edge in page["organizations"]["edges"]]

    for node in nodes:
        assert node["id"] == encode("Organization", node["repositoryId"])
        parent = node["parentOrganization"]
        if parent is not None:
            assert parent["id"] == encode("Organization", parent["repositoryId"])


async def test_an_id_argument_takes_the_global_id_as_well_as_the_vendors(
    graphql: GraphQL,
) -> None:
    read = "query($id: ID!) { organization(id: $id) { repositoryId } }"
    update = """mutation($id: ID!, $parent: ID) { updateOrganization(id: $id,
        input: {description: "by global id", parentOrganizationId: $parent}) {
        organization { repositoryId description parentOrganization { repositoryId } }
        userErrors { code } } }"""

    by_global = await graphql.data(read, {"id": encode("Organization", "100002")})
    by_vendor = await graphql.data(read, {"id": "100002"})
    literal = await graphql.data(
        f'{{ organization(id: "{encode("Organization", "100002")}") {{ repositoryId }} }}'
    )
    updated = await graphql.data(
        update, {"id": encode("Organization", "100002"), "parent": encode("Organization", "100001")}
    )

    assert by_global == by_vendor == literal == {"organization": {"repositoryId": "100002"}}
    assert updated["updateOrganization"] == {
        "organization": {
            "repositoryId": "100002",
            "description": "by global id",
            "parentOrganization": {"repositoryId": "100001"},
        },
        "userErrors": [],
    }
