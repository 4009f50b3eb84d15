"""A caller's value of ten thousand characters is quoted cut short in GraphQL answers too
(core.common.errors.quoted): in userErrors and in the errors of a refused document, the
message names its first characters and stays small, with its usual code. A caller's key in
a userError's ``field`` is cut short alike (core.common.errors.FIELD_CHARACTERS)."""

from __future__ import annotations

from typing import Any

from graphql_client import CREATE_ORGANIZATION, GraphQL
from orgql.core.common.errors import FIELD_CHARACTERS, MAX_DETAILS, QUOTED_CHARACTERS
from orgql.core.common.validation import MAX_ITEMS
from orgql.graphql.caller_text import MESSAGE_CHARACTERS

#: Far longer than any message quotes.
LONG = "y" * 10_000
#: How a message quotes LONG: its first QUOTED_CHARACTERS characters, then "...".
CUT = f"{LONG[:QUOTED_CHARACTERS]!r}..."
#: Longer than any message built around a value cut short.
SHORT_MESSAGE = 400
SAMPLE = "100001"

USER_ERRORS = "userErrors { code message field }"


async def _user_error(graphql: GraphQL, mutation: str, variables: dict[str, Any]) -> dict[str, Any]:
    """The one userError of ``mutation`` (its only root field), checked short."""
    data = await graphql.data(mutation, variables)
    ((_, payload),) = data.items()
    (error,) = payload["userErrors"]
    assert len(error["message"]) < SHORT_MESSAGE
    result: dict[str, Any] = error
    return result


async def test_an_unknown_dynamic_property_is_quoted_cut_short(graphql: GraphQL) -> None:
    error = await _user_error(
        graphql,
        "mutation($values: JSON) { createOrganization(input:"
        f' {{name: "Long key", dynamicProperties: $values}}) {{ {USER_ERRORS} }} }}',
        {"values": {LONG: 1}},
    )

    assert (error["code"], error["message"]) == ("100002", f"unknown property {CUT}")


async def test_a_thousand_long_dynamic_properties_are_answered_small_each_field_cut_short(
    graphql: GraphQL,
) -> None:
    keys = {f"{index:04d}" + "k" * 896: 1 for index in range(MAX_ITEMS)}  # about 900 KB

    response = await graphql.client.post(
        "/graphql",
        json={
            "query": "mutation($values: JSON) { createOrganization(input:"
            f' {{name: "Long keys", dynamicProperties: $values}}) {{ {USER_ERRORS} }} }}',
            "variables": {"values": keys},
        },
    )

    # Each problem shown holds at most a path of FIELD_CHARACTERS and two hundred characters
    # of message and JSON (about 27 KB); with their keys whole: 52 KB.
    assert len(response.content) < (MAX_DETAILS + 1) * (FIELD_CHARACTERS + 200)
    errors = response.json()["data"]["createOrganization"]["userErrors"]
    assert len(errors) == MAX_DETAILS + 1
    for key, error in zip(list(keys)[:MAX_DETAILS], errors, strict=False):
        assert error["field"] == key[: FIELD_CHARACTERS - 3] + "..."


async def test_an_unknown_organization_address_is_quoted_cut_short(graphql: GraphQL) -> None:
    error = await _user_error(
        graphql,
        "mutation($id: ID!) { deleteOrganizationAddress("
        f'organizationId: "{SAMPLE}", addressId: $id) {{ {USER_ERRORS} }} }}',
        {"id": LONG},
    )

    assert error == {
        "code": "190101",
        "message": f"Address {CUT} is not an address of this organization",
        "field": "addressId",
    }


async def test_an_unknown_contact_is_quoted_cut_short(graphql: GraphQL) -> None:
    error = await _user_error(
        graphql,
        'mutation($id: ID!) { updateContact(id: $id, input: {firstName: "Ann"})'
        f" {{ {USER_ERRORS} }} }}",
        {"id": LONG},
    )

    assert error == {"code": "22002", "message": f"Profile {CUT} does not exist", "field": "id"}


async def test_an_unknown_site_to_update_is_quoted_cut_short(graphql: GraphQL) -> None:
    error = await _user_error(
        graphql,
        f'mutation($site: ID!) {{ updateSiteOrganizationProperties(id: "{SAMPLE}",'
        " input: [{site: $site, properties: {approvalRequired: false}}])"
        f" {{ {USER_ERRORS} }} }}",
        {"site": LONG},
    )

    assert error == {
        "code": "100109",
        "message": f"Site {CUT} does not exist",
        "field": "input[0].site",
    }


async def test_an_unknown_webhook_subscription_is_quoted_cut_short(graphql: GraphQL) -> None:
    error = await _user_error(
        graphql,
        f"mutation($id: ID!) {{ deleteWebhookSubscription(id: $id) {{ {USER_ERRORS} }} }}",
        {"id": LONG},
    )

    assert error == {
        "code": "190001",
        "message": f"Webhook subscription {CUT} does not exist",
        "field": "id",
    }


async def test_a_long_fragment_name_on_a_cycle_is_quoted_cut_short(graphql: GraphQL) -> None:
    name = f"F{LONG}"
    query = f"{{ ...{name} }} fragment {name} on Query {{ ...{name} }}"

    response = await graphql.client.post("/graphql", json={"query": query})

    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "FRAGMENT_CYCLE"
    cut = f"{name[:QUOTED_CHARACTERS]!r}..."
    assert error["message"] == f"Cannot spread fragment {cut} within itself."


async def test_an_argument_graphql_refuses_is_quoted_short_by_graphql_core(
    graphql: GraphQL,
) -> None:
    """graphql-core's own messages quote a value through its ``inspect``, which cuts a text
    to 240 characters: they stay small too."""
    result = await graphql.post(
        "query($first: Int) { organizations(first: $first) { totalCount } }", {"first": LONG}
    )

    (error,) = result["errors"]
    assert error["message"].startswith(
        "Variable '$first' has invalid value: Int cannot represent non-integer value: 'yyy"
    )
    assert len(error["message"]) < SHORT_MESSAGE


async def test_a_thousand_long_unknown_input_fields_are_answered_small_naming_each(
    graphql: GraphQL,
) -> None:
    """graphql-core's coercion names each unknown key whole and shows the value: fifty such
    errors (its limit) answered 150 KB to this 900 KB body."""
    # With "name", as many keys as an object of the variables may hold (variable_bounds).
    keys = {f"{index:04d}" + "k" * 896: 1 for index in range(MAX_ITEMS - 1)}

    response = await graphql.client.post(
        "/graphql",
        json={"query": CREATE_ORGANIZATION, "variables": {"input": {"name": "x", **keys}}},
    )

    assert response.status_code == 200
    assert len(response.content) < 30_000
    errors = response.json()["errors"]
    for key, error in zip(list(keys)[:10], errors, strict=False):
        assert len(error["message"]) <= MESSAGE_CHARACTERS
        assert f"not to include unknown field '{key[:QUOTED_CHARACTERS]}'..." in error["message"]


async def test_an_unknown_input_field_holding_a_quote_is_cut_short_too(graphql: GraphQL) -> None:
    key = "it's" + LONG

    result = await graphql.post(CREATE_ORGANIZATION, {"input": {"name": "x", key: 1}})

    (error,) = result["errors"]
    assert len(error["message"]) <= MESSAGE_CHARACTERS
    assert "unknown field 'it's" in error["message"]
