"""createOrganization: the payload on success, userErrors with OCC codes and input field
names on bad input (createOrganization.txt), and a failed mutation changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from graphql_client import GraphQL, gid

CREATE = """
mutation Create($input: CreateOrganizationInput!, $site: ID) {
  createOrganization(input: $input, site: $site) {
    organization {
      id
      name
      type
      active
      parentOrganization { id }
      ancestorOrganizations { id }
      paymentMethods
      members { id }
      relativeRoles { function }
      secondaryAddresses { addressType address { city } }
      billingAddress { city }
      shippingAddress { city }
      derivedCustomerType
      derivedDunsNumber
      dynamicProperties
      contract(site: $site) { displayName catalog { repositoryId } terms { terms } }
    }
    userErrors { code message field }
  }
}
"""

COUNT = "{ organizations { totalCount } }"


async def _create(
    graphql: GraphQL,
    input: dict[str, Any],
    *,
    site: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    data = await graphql.data(CREATE, {"input": input, "site": site}, headers=headers)
    payload: dict[str, Any] = data["createOrganization"]
    return payload


async def _count(graphql: GraphQL) -> int:
    count: int = (await graphql.data(COUNT))["organizations"]["totalCount"]
    return count


async def test_a_created_organization_comes_back_in_the_payload(
    graphql: GraphQL,
    make_address_input: Callable[..., dict[str, Any]],
    make_contract_input: Callable[..., dict[str, Any]],
) -> None:
    payload = await _create(
        graphql,
        {
            "name": "Sample West",
            "type": "division",
            "parentOrganizationId": "100001",
            "paymentMethods": ["cash"],
            "members": ["110000"],
            "secondaryAddresses": [
                make_address_input("Depot", city="Denver", isDefaultBillingAddress=True)
            ],
            "contract": make_contract_input("West Contract", terms="Net 60"),
            "dynamicProperties": {"dynamicProperty1": "west"},
        },
    )

    organization = payload["organization"]
    assert payload["userErrors"] == []
    assert organization == {
        "id": organization["id"],
        "name": "Sample West",
        "type": "division",
        "active": True,
        "parentOrganization": {"id": gid("100001")},
        "ancestorOrganizations": [{"id": gid("100001")}],
        "paymentMethods": ["cash"],
        "members": [{"id": gid("110000", "Profile")}],
        "relativeRoles": [
            {"function": "admin"},
            {"function": "buyer"},
            {"function": "approver"},
            {"function": "accountAddressManager"},
            {"function": "profileAddressManager"},
        ],
        "secondaryAddresses": [{"addressType": "Depot", "address": {"city": "Denver"}}],
        "billingAddress": {"city": "Denver"},
        "shippingAddress": None,
        "derivedCustomerType": "Enterprise",
        "derivedDunsNumber": "987654321",
        "dynamicProperties": {"dynamicProperty1": "west"},
        "contract": {
            "displayName": "West Contract",
            "catalog": {"repositoryId": "cloudCatalog"},
            "terms": {"terms": "Net 60"},
        },
    }


async def test_a_created_organization_can_be_read_back(graphql: GraphQL) -> None:
    payload = await _create(graphql, {"name": "Sample West", "parentOrganizationId": "100002"})
    new_id = payload["organization"]["id"]

    data = await graphql.data(
        "query One($id: ID!) { organization(id: $id) { name ancestorOrganizations { id } } }",
        {"id": new_id},
    )

    assert data["organization"] == {
        "name": "Sample West",
        "ancestorOrganizations": [{"id": gid("100001")}, {"id": gid("100002")}],
    }


async def test_a_created_organization_is_counted(graphql: GraphQL) -> None:
    before = await _count(graphql)

    await _create(graphql, {"name": "Sample West"})

    assert await _count(graphql) == before + 1


async def test_the_x_ccsite_header_names_the_site_of_the_contract(
    graphql: GraphQL, make_contract_input: Callable[..., dict[str, Any]]
) -> None:
    payload = await _create(
        graphql,
        {"name": "Sample West", "contract": make_contract_input("Site 1 Contract")},
        headers={"x-ccsite": "site1"},
    )
    new_id = payload["organization"]["id"]

    data = await graphql.data(
        """query Sites($id: ID!) {
          organization(id: $id) {
            one: contract(site: "site1") { displayName }
            us: contract(site: "siteUS") { displayName }
          }
        }""",
        {"id": new_id},
    )

    assert data["organization"] == {"one": {"displayName": "Site 1 Contract"}, "us": None}


async def test_without_site_or_header_the_contract_goes_to_the_default_site(
    graphql: GraphQL, make_contract_input: Callable[..., dict[str, Any]]
) -> None:
    payload = await _create(
        graphql, {"name": "Sample West", "contract": make_contract_input("Default Site Contract")}
    )

    data = await graphql.data(
        """query Sites($id: ID!) {
          organization(id: $id) {
            us: contract(site: "siteUS") { displayName }
            one: contract(site: "site1") { displayName }
          }
        }""",
        {"id": payload["organization"]["id"]},
    )

    assert data["organization"] == {"us": {"displayName": "Default Site Contract"}, "one": None}


@pytest.mark.parametrize(
    ("input", "errors"),
    [
        pytest.param(
            {"name": ""},
            [{"code": "100003", "message": "name is required", "field": "name"}],
            id="empty name",
        ),
        pytest.param(
            {"name": "   "},
            [{"code": "100003", "message": "name is required", "field": "name"}],
            id="blank name",
        ),
        pytest.param(
            {"name": " sAMPLE "},
            [
                {
                    "code": "100005",
                    "message": "An organization named 'sAMPLE' already exists",
                    "field": "name",
                }
            ],
            id="duplicate name, other case and spaces",
        ),
        pytest.param(
            {"name": "x" * 255},
            [
                {
                    "code": "00004",
                    "message": "name is 255 characters long; at most 254 are allowed",
                    "field": "name",
                }
            ],
            id="name too long",
        ),
        pytest.param(
            {"name": "Sample West", "paymentMethods": ["card", "bitcoin"]},
            [
                {
                    "code": "100118",
                    "message": "Unknown payment method 'bitcoin'",
                    "field": "paymentMethods[1]",
                }
            ],
            id="unknown payment method",
        ),
        pytest.param(
            {
                "name": "Sample West",
                "contract": {
                    "displayName": "West Contract",
                    "catalogId": "noSuchCatalog",
                    "priceListGroupId": "defaultPriceGroup",
                },
            },
            [
                {
                    "code": "100064",
                    "message": "Unknown catalog 'noSuchCatalog'",
                    "field": "contract.catalogId",
                }
            ],
            id="unknown catalog",
        ),
        pytest.param(
            {"name": "Sample West", "members": ["999999"]},
            [{"code": "22002", "message": "Unknown profile '999999'", "field": "members[0]"}],
            id="unknown member",
        ),
    ],
)
async def test_bad_input_gives_user_errors_with_occ_codes(
    graphql: GraphQL, input: dict[str, Any], errors: list[dict[str, str]]
) -> None:
    payload = await _create(graphql, input)

    assert payload == {"organization": None, "userErrors": errors}


async def test_every_problem_is_reported_at_once(graphql: GraphQL) -> None:
    payload = await _create(
        graphql, {"name": "Sample West", "members": ["999999"], "paymentMethods": ["bitcoin"]}
    )

    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("22002", "members[0]"),
        ("100118", "paymentMethods[0]"),
    ]


async def test_an_unknown_parent_is_reported_at_the_input_field(graphql: GraphQL) -> None:
    payload = await _create(graphql, {"name": "Orphan", "parentOrganizationId": "999999"})

    assert payload["userErrors"] == [
        {
            "code": "100002",
            "message": "Parent organization '999999' does not exist",
            "field": "parentOrganizationId",
        }
    ]


async def test_an_unknown_site_argument_is_named_site(graphql: GraphQL) -> None:
    """The core names the site ``x-ccsite`` (REST's header); given as the argument, ``site``."""
    created = await _create(graphql, {"name": "Sample West"}, site="nowhere")
    updated = await graphql.data(
        """mutation { updateOrganization(id: "100002", site: "nowhere",
          input: {approvalRequired: true}) { organization { id } userErrors { code field } } }"""
    )

    assert created == {
        "organization": None,
        "userErrors": [
            {"code": "100002", "message": "Site 'nowhere' does not exist", "field": "site"}
        ],
    }
    assert updated["updateOrganization"]["userErrors"] == [{"code": "100002", "field": "site"}]


async def test_an_unknown_site_header_is_a_user_error(graphql: GraphQL) -> None:
    payload = await _create(graphql, {"name": "Sample West"}, headers={"x-ccsite": "nowhere"})

    assert payload == {
        "organization": None,
        "userErrors": [
            {"code": "100002", "message": "Site 'nowhere' does not exist", "field": "x-ccsite"}
        ],
    }


@pytest.mark.parametrize(
    "input",
    [
        pytest.param({"name": ""}, id="empty name"),
        pytest.param({"name": "Sample"}, id="duplicate name"),
        pytest.param({"name": "Sample West", "members": ["999999"]}, id="unknown member"),
        pytest.param(
            {
                "name": "Sample West",
                "secondaryAddresses": [{"addressType": "Depot", "address": {"city": "Denver"}}],
            },
            id="incomplete address",
        ),
    ],
)
async def test_a_failed_create_changes_nothing(graphql: GraphQL, input: dict[str, Any]) -> None:
    before = await _count(graphql)

    payload = await _create(graphql, input)

    assert payload["organization"] is None
    assert payload["userErrors"] != []
    assert await _count(graphql) == before


async def test_of_two_concurrent_creates_of_one_name_one_fails_with_100005(
    graphql: GraphQL,
) -> None:
    before = await _count(graphql)

    payloads = await asyncio.gather(
        *(_create(graphql, {"name": "Twice", "parentOrganizationId": "100001"}) for _ in range(2))
    )

    codes = sorted(e["code"] for p in payloads for e in p["userErrors"])
    assert codes == ["100005"]
    assert sum(p["organization"] is not None for p in payloads) == 1
    assert await _count(graphql) == before + 1


async def test_a_missing_name_is_a_graphql_validation_error(graphql: GraphQL) -> None:
    result = await graphql.post(CREATE, {"input": {"type": "division"}})

    assert result["data"] is None
    assert [e["message"] for e in result["errors"]] == [
        "Variable '$input' has invalid value: Expected value of type"
        " 'CreateOrganizationInput' to include required field 'name', found: {'type': 'division'}."
    ]


@pytest.mark.parametrize("value", [[1, 2], "text", 7], ids=["list", "string", "number"])
async def test_dynamic_properties_that_are_not_an_object_are_a_user_error(
    graphql: GraphQL, value: object
) -> None:
    """They were ignored: the organization was created without them and nothing said so."""
    created = await _create(graphql, {"name": "Dynamic", "dynamicProperties": value})
    updated = await graphql.post(
        'mutation($input: UpdateOrganizationInput!) { updateOrganization(id: "100001",'
        " input: $input) { organization { id } userErrors { code field } } }",
        {"input": {"description": "changed", "dynamicProperties": value}},
    )

    expected = {"code": "100002", "field": "dynamicProperties"}
    assert created["organization"] is None
    assert [{k: e[k] for k in expected} for e in created["userErrors"]] == [expected]
    assert updated["data"]["updateOrganization"] == {"organization": None, "userErrors": [expected]}
