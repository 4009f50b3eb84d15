"""GraphQL inputs share the core's bounds on lists and key sets (core/common/validation.py
MAX_ITEMS): past them, a user error naming the field, never a 503 from the driver's limit of
32,767 bind parameters. A stored integer past 64 bits cannot poison later answers."""

from __future__ import annotations

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
    data = await graphql.data(CREATE_ORGANIZATION, {"input": {"name": "Many", **fields}})

    [error] = data["createOrganization"]["userErrors"]
    assert (error["code"], error["field"]) == ("100002", field)
    assert error["message"].endswith(f"at most {MAX_ITEMS} are allowed")


async def test_update_organization_refuses_dynamic_properties_past_the_bound(
    graphql: GraphQL,
) -> None:
    dynamic = dict.fromkeys(_ids(OVER_DRIVER_LIMIT), 1)

    data = await graphql.data(UPDATE_ORGANIZATION, {"input": {"dynamicProperties": dynamic}})

    [error] = data["updateOrganization"]["userErrors"]
    assert (error["code"], error["field"]) == ("100002", "dynamicProperties")


async def test_update_site_properties_refuses_a_list_past_the_bound(graphql: GraphQL) -> None:
    entries = [
        {"site": f"s{index}", "properties": {"approvalRequired": False}}
        for index in range(MAX_ITEMS + 1)
    ]

    data = await graphql.data(UPDATE_SITE_PROPERTIES, {"input": entries})

    [error] = data["updateSiteOrganizationProperties"]["userErrors"]
    assert (error["code"], error["field"]) == ("100110", "input")


async def test_create_webhook_refuses_event_types_past_the_bound(graphql: GraphQL) -> None:
    new = {"url": "https://hooks.example.com/in", "eventTypes": _ids(OVER_DRIVER_LIMIT)}

    data = await graphql.data(CREATE_WEBHOOK, {"input": new})

    [error] = data["createWebhookSubscription"]["userErrors"]
    assert (error["code"], error["field"]) == ("100002", "eventTypes")


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
