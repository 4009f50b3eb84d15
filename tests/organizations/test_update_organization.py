"""updateOrganization, deactivateOrganization, reactivateOrganization over GraphQL: partial
updates, explicit null to inherit again, moves with dry run, versions, admin only."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from graphql_client import GraphQL, inlined

#: The id format is tests/graphql/test_node.py's; these compare ids with vendor ids.
pytestmark = pytest.mark.read_vendor_ids

UPDATE = """
mutation Update($id: ID!, $input: UpdateOrganizationInput!, $version: Int, $site: ID,
                $dryRun: Boolean! = false) {
  updateOrganization(id: $id, input: $input, expectedVersion: $version, site: $site,
                     dryRun: $dryRun) {
    organization {
      id name version active description customerType derivedCustomerType
      derivedPaymentMethods ancestorOrganizations { id } dynamicProperties
      contract(site: $site) { displayName } derivedContract(site: $site) { displayName }
    }
    effects { organizationId field site before after }
    userErrors { code message field }
  }
}
"""

READ = """
query Read($id: ID!) {
  organization(id: $id) {
    version active description customerType derivedCustomerType ancestorOrganizations { id }
  }
}
"""


async def update(graphql: GraphQL, id: str, input: dict[str, Any], **variables: Any) -> Any:
    data = await graphql.data(UPDATE, {"id": id, "input": input, **variables})
    return data["updateOrganization"]


async def read(graphql: GraphQL, id: str) -> Any:
    return (await graphql.data(READ, {"id": id}))["organization"]


async def test_fields_left_out_are_unchanged(graphql: GraphQL) -> None:
    payload = await update(graphql, "100003", {"description": "Buys paper"})
    assert payload["userErrors"] == []
    organization = payload["organization"]
    assert (organization["name"], organization["description"]) == (
        "Sample East Purchasing",
        "Buys paper",
    )
    assert organization["version"] == 2
    assert payload["effects"] is None


async def test_an_explicit_null_makes_the_value_inherited_again(graphql: GraphQL) -> None:
    await update(graphql, "100002", {"customerType": "OEM"})
    assert (await read(graphql, "100003"))["derivedCustomerType"] == "OEM"

    payload = await update(graphql, "100002", {"customerType": None})

    assert payload["organization"]["customerType"] is None
    assert payload["organization"]["derivedCustomerType"] == "Enterprise"
    assert (await read(graphql, "100003"))["derivedCustomerType"] == "Enterprise"


async def test_dynamic_properties_merge_and_null_removes_one(graphql: GraphQL) -> None:
    await update(graphql, "100002", {"dynamicProperties": {"dynamicProperty1": "x"}})
    payload = await update(graphql, "100002", {"dynamicProperties": {"dynamicProperty1": None}})
    assert payload["organization"]["dynamicProperties"] == {}


async def test_site_values_go_to_the_site_argument(graphql: GraphQL) -> None:
    contract = {
        "displayName": "East terms",
        "catalogId": "cloudCatalog",
        "priceListGroupId": "defaultPriceGroup",
    }
    payload = await update(graphql, "100002", {"contract": contract}, site="site1")
    assert payload["organization"]["contract"] == {"displayName": "East terms"}
    payload = await update(graphql, "100002", {"contract": None}, site="site1")
    assert payload["organization"]["contract"] is None


async def test_invalid_input_is_refused_with_codes_and_changes_nothing(graphql: GraphQL) -> None:
    payload = await update(
        graphql, "100002", {"name": None, "dunsNumber": "12", "customerType": "Reseller"}
    )
    assert payload["organization"] is None
    assert sorted((e["code"], e["field"]) for e in payload["userErrors"]) == [
        ("100002", "customerType"),
        ("100002", "dunsNumber"),
        ("100003", "name"),
    ]
    assert (await read(graphql, "100002"))["version"] == 1


async def test_unknown_organization_is_100001(graphql: GraphQL) -> None:
    payload = await update(graphql, "999999", {"description": "x"})
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("100001", "id")]


async def test_a_stale_expected_version_is_refused(graphql: GraphQL) -> None:
    first = await update(graphql, "100002", {"description": "one"}, version=1)
    assert first["organization"]["version"] == 2
    stale = await update(graphql, "100002", {"description": "two"}, version=1)
    assert stale["organization"] is None
    assert [e["code"] for e in stale["userErrors"]] == ["412"]
    assert "version 2" in stale["userErrors"][0]["message"]
    assert (await read(graphql, "100002"))["description"] == "one"


async def test_a_move_dry_run_lists_effects_and_writes_nothing(graphql: GraphQL) -> None:
    west = await graphql.create_organization("West", customerType="OEM")
    payload = await update(graphql, "100002", {"parentOrganizationId": west}, dryRun=True)

    assert payload["userErrors"] == []
    customer_types = [
        (e["organizationId"], e["before"], e["after"])
        for e in payload["effects"]
        if e["field"] == "derivedCustomerType"
    ]
    assert customer_types == [("100002", "Enterprise", "OEM"), ("100003", "Enterprise", "OEM")]
    contracts = [e for e in payload["effects"] if e["field"] == "derivedContract"]
    assert {(e["organizationId"], e["site"], e["before"], e["after"]) for e in contracts} == {
        ("100002", "siteUS", "100010", None),
        ("100003", "siteUS", "100010", None),
    }
    assert (await read(graphql, "100003"))["ancestorOrganizations"] == [
        {"id": "100001"},
        {"id": "100002"},
    ]

    moved = await update(graphql, "100002", {"parentOrganizationId": west})
    assert moved["organization"]["ancestorOrganizations"] == [{"id": west}]
    assert (await read(graphql, "100003"))["ancestorOrganizations"] == [
        {"id": west},
        {"id": "100002"},
    ]


async def test_moving_under_a_descendant_is_a_user_error(graphql: GraphQL) -> None:
    payload = await update(graphql, "100001", {"parentOrganizationId": "100003"})
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("100002", "parentOrganizationId")
    ]


async def test_deactivate_and_reactivate(graphql: GraphQL) -> None:
    deactivate = """mutation($v: Int) { deactivateOrganization(id: "100002", expectedVersion: $v) {
        organization { active version } userErrors { code } } }"""
    reactivate = """mutation { reactivateOrganization(id: "100002") {
        organization { active version } userErrors { code } } }"""
    data = await graphql.data(deactivate, {"v": 1})
    assert data["deactivateOrganization"] == {
        "organization": {"active": False, "version": 2},
        "userErrors": [],
    }
    again = await graphql.data(deactivate, {"v": 1})
    assert again["deactivateOrganization"]["userErrors"] == [{"code": "412"}]
    assert (await read(graphql, "100002"))["active"] is False  # still readable
    assert (await read(graphql, "100003"))["active"] is True

    child = await graphql.data(
        'mutation { createOrganization(input: {name: "Kid", parentOrganizationId: "100002"})'
        " { userErrors { code field } } }"
    )
    assert child["createOrganization"]["userErrors"] == [
        {"code": "100002", "field": "parentOrganizationId"}
    ]
    data = await graphql.data(reactivate)
    assert data["reactivateOrganization"]["organization"] == {"active": True, "version": 3}


async def test_concurrent_updates_with_one_expected_version_one_wins(graphql: GraphQL) -> None:
    results = await asyncio.gather(
        *(update(graphql, "100002", {"description": f"writer {n}"}, version=1) for n in range(2))
    )
    codes = sorted(tuple(e["code"] for e in r["userErrors"]) for r in results)
    assert codes == [(), ("412",)]
    winner = next(r for r in results if not r["userErrors"])
    assert (await read(graphql, "100002"))["description"] == winner["organization"]["description"]


async def test_only_admins_update(anonymous_client: httpx.AsyncClient) -> None:
    response = await anonymous_client.post(
        "/graphql",
        json={"query": 'mutation { deactivateOrganization(id: "100002") { userErrors { code } } }'},
    )
    body = response.json()
    assert body["data"] == {"deactivateOrganization": None}
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


CREATE = """
mutation Create($input: CreateOrganizationInput!) {
  createOrganization(input: $input) { organization { id } userErrors { code field } }
}
"""

TEXT_WITH_NUL = [
    ({"billingAddressId": "\u0000"}, "billingAddressId"),
    ({"shippingAddressId": "a\u0000"}, "shippingAddressId"),
    ({"parentOrganizationId": "1\u0000"}, "parentOrganizationId"),
    ({"paymentMethods": ["\u0000"]}, "paymentMethods[0]"),
    ({"shippingMethods": ["x\u0000"]}, "shippingMethods[0]"),
]


@pytest.mark.parametrize(("input", "field"), TEXT_WITH_NUL)
async def test_a_reference_that_is_not_valid_text_is_refused(
    graphql: GraphQL, input: dict[str, Any], field: str
) -> None:
    """Written in the document: the transport refuses a NUL in variables (graphql.request_body),
    and a dynamic property's name cannot be written in a literal at all."""
    version = (await read(graphql, "100001"))["version"]
    updated = await graphql.data(inlined(UPDATE, {"id": "100001", "input": input}))
    payload = updated["updateOrganization"]
    assert payload["organization"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("100002", field)]
    created = (await graphql.data(inlined(CREATE, {"input": {"name": "Nul", **input}})))[
        "createOrganization"
    ]
    assert created["organization"] is None
    assert [(e["code"], e["field"]) for e in created["userErrors"]] == [("100002", field)]
    assert (await read(graphql, "100001"))["version"] == version
