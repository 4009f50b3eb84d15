"""Node for what hangs from an account: its addresses, its contract with the catalog and
price list group the contract names, and the admin's view of a profile (Contact). Each is
refetched by ``node(id)`` / ``nodes(ids)`` with the permissions of reading it through its
account (core.access.refetch); the vendor's id stays ``repositoryId``. Demo data: profile
110000 is a member of 100001 (address 150001; contract 100010 on siteUS, catalog
cloudCatalog, price list group defaultPriceGroup), not of its child 100002."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from graphql_client import GraphQL
from orgql.db import models
from orgql.db.engine import make_sessionmaker
from orgql.graphql.global_ids import encode

NODES = """query($ids: [ID!]!) { nodes(ids: $ids) {
  __typename id
  ... on Address { repositoryId city }
  ... on Contract { repositoryId displayName catalog { id } priceListGroup { id } }
  ... on Catalog { repositoryId displayName }
  ... on PriceListGroup { repositoryId displayName }
  ... on Contact { repositoryId email }
} }"""
NODE = "query($id: ID!) { node(id: $id) { __typename id } }"
READ = """{
  organization(id: "100001") {
    billingAddress { id repositoryId city }
    secondaryAddresses { address { id } }
    effectiveSiteProperties(site: "siteUS") { contract {
      id repositoryId displayName
      catalog { id repositoryId displayName }
      priceListGroup { id repositoryId displayName }
    } }
  }
  contact(id: "110000") { id repositoryId email }
}"""
ADD_ADDRESS = """mutation($org: ID!) { addOrganizationAddress(organizationId: $org,
  input: {addressType: "Office", address: {companyName: "Sample", address1: "1 Elm Street",
  city: "Albany", state: "NY", postalCode: "12207", country: "US",
  phoneNumber: "518-555-0100"}}) {
  address { address { id repositoryId } } userErrors { code } } }"""
SET_CONTRACT = """mutation { updateSiteOrganizationProperties(id: "100002", input: [{
  site: "siteUS", properties: {contract: {displayName: "East contract",
  catalogId: "cloudCatalog", priceListGroupId: "defaultPriceGroup"}}}]) {
  siteOrganizationProperties { contract { id } } userErrors { code } } }"""


async def _nodes(client: httpx.AsyncClient, ids: list[str]) -> list[Any]:
    return await _nodes_of(client, NODES, ids)


async def _other_catalog(engine: AsyncEngine) -> None:
    async with make_sessionmaker(engine)() as session, session.begin():
        session.add(models.Catalog(id="otherCatalog", display_name="Other Catalog"))


async def test_an_admin_refetches_addresses_contracts_and_their_references(
    graphql: GraphQL, client: httpx.AsyncClient
) -> None:
    read = await graphql.data(READ)
    organization, contact = read["organization"], read["contact"]
    address = organization["billingAddress"]
    contract = organization["effectiveSiteProperties"]["contract"]
    ids = [
        address["id"],
        contract["id"],
        contract["catalog"]["id"],
        contract["priceListGroup"]["id"],
        contact["id"],
        encode("Address", "999999"),  # none such
    ]

    nodes = await _nodes(client, ids)

    assert ids[:5] == [
        encode("Address", "150001"),
        encode("Contract", "100010"),
        encode("Catalog", "cloudCatalog"),
        encode("PriceListGroup", "defaultPriceGroup"),
        encode("Contact", "110000"),
    ]
    assert organization["secondaryAddresses"] == [{"address": {"id": address["id"]}}]
    assert nodes == [
        {"__typename": "Address", "id": ids[0], "repositoryId": "150001", "city": "Boston"},
        {
            "__typename": "Contract",
            "id": ids[1],
            "repositoryId": "100010",
            "displayName": "Sample Master Contract",
            "catalog": {"id": ids[2]},
            "priceListGroup": {"id": ids[3]},
        },
        {
            "__typename": "Catalog",
            "id": ids[2],
            "repositoryId": "cloudCatalog",
            "displayName": "Cloud Catalog",
        },
        {
            "__typename": "PriceListGroup",
            "id": ids[3],
            "repositoryId": "defaultPriceGroup",
            "displayName": "Default Price Group",
        },
        {
            "__typename": "Contact",
            "id": ids[4],
            "repositoryId": "110000",
            "email": "shelly.smith@example.com",
        },
        None,
    ]
    for node_id, typename in zip(ids[:5], [node["__typename"] for node in nodes[:5]], strict=True):
        single = await graphql.data(NODE, {"id": node_id})
        assert single == {"node": {"__typename": typename, "id": node_id}}


async def test_a_shopper_refetches_only_what_hangs_from_their_own_accounts(
    graphql: GraphQL,
    shopper_client: Callable[[str], httpx.AsyncClient],
    engine: AsyncEngine,
) -> None:
    added = await graphql.data(ADD_ADDRESS, {"org": "100002"})
    child_address = added["addOrganizationAddress"]["address"]["address"]["id"]
    child_contract = (await graphql.data(SET_CONTRACT))["updateSiteOrganizationProperties"]
    [child_properties] = child_contract["siteOrganizationProperties"]
    await _other_catalog(engine)
    ids = [
        encode("Address", "150001"),  # their account's
        child_address,  # an account they are not a member of
        encode("Contract", "100010"),  # in effect on their account
        child_properties["contract"]["id"],  # in effect on 100002 only
        encode("Catalog", "cloudCatalog"),
        encode("Catalog", "otherCatalog"),  # no contract of theirs names it
        encode("PriceListGroup", "defaultPriceGroup"),
        encode("Contact", "110000"),  # contacts: admins only, themselves included
    ]
    async with shopper_client("110000") as shopper:
        nodes = await _nodes(shopper, ids)

    assert [node and node["__typename"] for node in nodes] == [
        "Address",
        None,
        "Contract",
        None,
        "Catalog",
        None,
        "PriceListGroup",
        None,
    ]
    admin = await graphql.data(NODES, {"ids": ids})
    assert None not in admin["nodes"]  # all of them exist


async def test_a_deactivated_accounts_shoppers_refetch_no_contract(
    graphql: GraphQL, shopper_client: Callable[[str], httpx.AsyncClient]
) -> None:
    await graphql.data('mutation { deactivateOrganization(id: "100001") { userErrors { code } } }')
    ids = [
        encode("Contract", "100010"),
        encode("Catalog", "cloudCatalog"),
        encode("Address", "150001"),
    ]
    async with shopper_client("110000") as shopper:
        nodes = await _nodes(shopper, ids)

    assert [node and node["__typename"] for node in nodes] == [None, None, "Address"]


@pytest.mark.parametrize(
    "value",
    [
        encode("Contract", ""),
        encode("Address", "a\x00b"),
        encode("Catalog", "x" * 129),
        "Q29udHJhY3Q",  # "Contract", no colon
    ],
)
async def test_a_malformed_id_of_the_new_types_is_a_coded_error(
    graphql: GraphQL, value: str
) -> None:
    body = await graphql.post(NODE, {"id": value})

    assert body["data"] == {"node": None}
    assert [error["extensions"] for error in body["errors"]] == [{"code": "100002", "field": "id"}]


async def test_an_id_argument_takes_the_global_id_of_its_own_type_only(
    graphql: GraphQL,
) -> None:
    update = """mutation($org: ID!, $id: ID!) { updateOrganizationAddress(organizationId: $org,
      addressId: $id, input: {address: {city: "Cambridge"}}) {
      address { address { repositoryId city } } userErrors { code } } }"""
    contact = "query($id: ID!) { contact(id: $id) { repositoryId } }"

    by_global = await graphql.data(
        update, {"org": encode("Organization", "100001"), "id": encode("Address", "150001")}
    )
    wrong = await graphql.post(update, {"org": "100001", "id": encode("Contract", "150001")})
    as_contact = await graphql.data(contact, {"id": encode("Contact", "110000")})
    as_profile = await graphql.data(contact, {"id": encode("Profile", "110000")})
    as_address = await graphql.post(contact, {"id": encode("Address", "110000")})

    assert by_global["updateOrganizationAddress"] == {
        "address": {"address": {"repositoryId": "150001", "city": "Cambridge"}},
        "userErrors": [],
    }
    assert wrong["data"] is None
    assert wrong["errors"][0]["extensions"] == {"code": "100002", "field": "addressId"}
    assert as_contact == as_profile == {"contact": {"repositoryId": "110000"}}
    assert as_address["errors"][0]["extensions"] == {"code": "100002", "field": "id"}
    assert "Contact or Profile" in as_address["errors"][0]["message"]


async def test_a_contracts_global_id_is_the_same_on_every_executor(graphql: GraphQL) -> None:
    """The organizations page runs on the SQL plan, node() on graphql-core."""
    page = await graphql.data(
        "{ organizations(first: 3) { edges { node { repositoryId effectiveSiteProperties(site:"
        ' "siteUS") { contract { id repositoryId } } } } } }'
    )
    contracts = [
        edge["node"]["effectiveSiteProperties"]["contract"]
        for edge in page["organizations"]["edges"]
    ]

    assert contracts == [
        {"id": encode("Contract", "100010"), "repositoryId": "100010"} for _ in range(3)
    ]


ROLES = """query($ids: [ID!]!) { nodes(ids: $ids) {
  __typename id
  ... on RelativeRole { repositoryId function }
  ... on OrganizationalRole { repositoryId function contacts { repositoryId } }
} }"""


async def test_an_organizations_roles_are_refetched_as_its_readers_read_them(
    graphql: GraphQL, shopper_client: Callable[[str], httpx.AsyncClient]
) -> None:
    read = await graphql.data(
        """{ mine: organization(id: "100001") { relativeRoles { id repositoryId function } }
             child: organization(id: "100002") { relativeRoles { id } }
             organizationalRoles(organizationId: "100001") { id repositoryId function } }"""
    )
    admin_role = next(r for r in read["mine"]["relativeRoles"] if r["function"] == "admin")
    held = next(r for r in read["organizationalRoles"] if r["function"] == "admin")
    ids = [admin_role["id"], read["child"]["relativeRoles"][0]["id"], held["id"]]

    as_admin = (await graphql.data(ROLES, {"ids": ids}))["nodes"]
    async with shopper_client("110000") as shopper:
        as_shopper = await _nodes_of(shopper, ROLES, ids)

    assert admin_role["id"] == encode("RelativeRole", admin_role["repositoryId"])
    assert held["id"] == encode("OrganizationalRole", admin_role["repositoryId"])
    assert as_admin[0] == {"__typename": "RelativeRole", **admin_role}
    assert as_admin[1]["__typename"] == "RelativeRole"
    assert as_admin[2] == {
        "__typename": "OrganizationalRole",
        **held,
        "contacts": [{"repositoryId": "110000"}],
    }
    # A shopper: their account's role; not the child's, nor a role's holders (admins only).
    assert [node and node["__typename"] for node in as_shopper] == ["RelativeRole", None, None]


async def _nodes_of(client: httpx.AsyncClient, query: str, ids: list[str]) -> list[Any]:
    response = await client.post("/graphql", json={"query": query, "variables": {"ids": ids}})
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    nodes: list[Any] = body["data"]["nodes"]
    return nodes
