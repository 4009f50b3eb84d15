"""GraphQL inputs share the core's bounds on lists and key sets (core/common/validation.py
MAX_ITEMS): past them, the variables are refused before graphql-core coerces them (400
VARIABLES_TOO_LARGE naming the variable and the path inside it, graphql.variable_bounds),
never a 503 from the driver's limit of 32,767 bind parameters. A stored integer past 64 bits
cannot poison later answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from graphql_client import CREATE_ORGANIZATION, GraphQL
from orgql.core.common.validation import MAX_ITEMS

OVER_DRIVER_LIMIT = 32_768

UPDATE_SITE_PROPERTIES = """
mutation Update($input: [SiteOrganizationPropertiesInput!]!) {
  updateSiteOrganizationProperties(id: "100001", input: $input) {
    userErrors { code message field }
  }
}
"""

UPDATE_ORGANIZATION = """
mutation Update($input: UpdateOrganizationInput!) {
  updateOrganization(id: "100001", input: $input) {
    organization { id }
    userErrors { code message field }
  }
}
"""

CREATE_WEBHOOK = """
mutation Create($input: CreateWebhookSubscriptionInput!) {
  createWebhookSubscription(input: $input) { userErrors { code message field } }
}
"""


def _ids(count: int) -> list[str]:
    return [f"x{index}" for index in range(count)]


async def _refusal(graphql: GraphQL, query: str, variables: Mapping[str, Any]) -> str:
    """The message of the request's refusal, which must be the variables' bound."""
    response = await graphql.client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 400, response.text
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "VARIABLES_TOO_LARGE"}
    message: str = error["message"]
    return message


CREATE_CASES: dict[str, tuple[dict[str, Any], str]] = {
    "members": ({"members": _ids(OVER_DRIVER_LIMIT)}, "members"),
    "paymentMethods": ({"paymentMethods": _ids(OVER_DRIVER_LIMIT)}, "paymentMethods"),
    "shippingMethods": ({"shippingMethods": _ids(OVER_DRIVER_LIMIT)}, "shippingMethods"),
    "dynamicProperties": (
        {"dynamicProperties": dict.fromkeys(_ids(OVER_DRIVER_LIMIT), 1)},
        "dynamicProperties",
    ),
}


@pytest.mark.parametrize(("fields", "field"), CREATE_CASES.values(), ids=CREATE_CASES.keys())
async def test_create_organization_refuses_a_list_past_the_bound(
    graphql: GraphQL, fields: dict[str, Any], field: str
) -> None:
    variables = {"input": {"name": "Many", **fields}}

    message = await _refusal(graphql, CREATE_ORGANIZATION, variables)

    held = "keys" if field == "dynamicProperties" else "items"
    assert message == (
        f"variable $input.{field} holds {OVER_DRIVER_LIMIT} {held},"
        f" more than the limit of {MAX_ITEMS}"
    )


async def test_update_organization_refuses_dynamic_properties_past_the_bound(
    graphql: GraphQL,
) -> None:
    dynamic = dict.fromkeys(_ids(OVER_DRIVER_LIMIT), 1)

    message = await _refusal(
        graphql, UPDATE_ORGANIZATION, {"input": {"dynamicProperties": dynamic}}
    )

    assert message.startswith("variable $input.dynamicProperties holds 32768 keys")


async def test_update_site_properties_refuses_a_list_past_the_bound(graphql: GraphQL) -> None:
    entries = [
        {"site": f"s{index}", "properties": {"approvalRequired": False}}
        for index in range(MAX_ITEMS + 1)
    ]

    message = await _refusal(graphql, UPDATE_SITE_PROPERTIES, {"input": entries})

    assert message == f"variable $input holds {MAX_ITEMS + 1} items, more than the limit of 1000"


async def test_update_site_properties_takes_a_list_at_the_bound(graphql: GraphQL) -> None:
    # Coerced and read by the core: its own rule answers, not the bound.
    entries = [
        {"site": f"s{index}", "properties": {"approvalRequired": False}}
        for index in range(MAX_ITEMS)
    ]

    data = await graphql.data(UPDATE_SITE_PROPERTIES, {"input": entries})

    errors = data["updateSiteOrganizationProperties"]["userErrors"]
    assert {error["code"] for error in errors} == {"100109"}  # no such B2B sites


async def test_create_webhook_refuses_event_types_past_the_bound(graphql: GraphQL) -> None:
    new = {"url": "https://hooks.example.com/in", "eventTypes": _ids(OVER_DRIVER_LIMIT)}

    message = await _refusal(graphql, CREATE_WEBHOOK, {"input": new})

    assert message.startswith("variable $input.eventTypes holds 32768 items")


@pytest.fixture
async def number_property(engine: AsyncEngine) -> str:
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO dynamic_property_definitions (id, label, data_type, default_value)"
                " VALUES ('quantity', 'Quantity', 'number', 'null')"
            )
        )
    return "quantity"


async def test_a_number_property_past_64_bits_is_refused(
    graphql: GraphQL, number_property: str
) -> None:
    dynamic = {number_property: 10**30}

    data = await graphql.data(
        CREATE_ORGANIZATION, {"input": {"name": "Huge", "dynamicProperties": dynamic}}
    )

    [error] = data["createOrganization"]["userErrors"]
    assert (error["code"], error["field"]) == ("100002", number_property)


async def test_a_stored_number_past_64_bits_is_still_answered(
    graphql: GraphQL, number_property: str, engine: AsyncEngine
) -> None:
    # Written before the rule above, or by hand: the answer must not fail on it.
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE organizations SET dynamic_properties ="
                " '{\"quantity\": 1000000000000000000000000000000}' WHERE id = '100001'"
            )
        )

    data = await graphql.data('{ organization(id: "100001") { dynamicProperties } }')

    assert data == {"organization": {"dynamicProperties": {number_property: 10**30}}}
