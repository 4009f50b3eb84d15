"""A caller's value of ten thousand characters is quoted cut short in every REST family's
messages (core.common.errors.quoted): the message names its first characters and stays
small, with the error code and status it always had. A caller's key in an error's path
(``o:errorPath``) is cut short alike (core.common.errors.FIELD_CHARACTERS)."""

from __future__ import annotations

from typing import Any

import httpx

from orgql.core.common.errors import FIELD_CHARACTERS, MAX_DETAILS, QUOTED_CHARACTERS
from orgql.core.common.validation import MAX_ITEMS
from orgql.core.events.outbox import EVENT_TYPES
from rest.builders import ORGANIZATIONS
from rest.request_builders import STORE_REQUESTS, request_document

#: Far longer than any message quotes.
LONG = "y" * 10_000
#: How a message quotes LONG: its first QUOTED_CHARACTERS characters, then "...".
CUT = f"{LONG[:QUOTED_CHARACTERS]!r}..."
#: Longer than any message built around CUT.
SHORT_MESSAGE = 400

PROFILES = "/ccadmin/v1/profiles"
SUBSCRIPTIONS = "/ccadmin/v1/webhookSubscriptions"
SAMPLE = "100001"
#: The demo contact (Shelly Smith), a member and admin of Sample.
SHELLY = "110000"


def _quoted_message(response: httpx.Response, status: int, code: str) -> str:
    """The answer's message, after checking it is ``status``/``code``, short, and quotes
    LONG cut short."""
    body = response.json()
    assert (response.status_code, body["errorCode"]) == (status, code), body["message"][:500]
    message: str = body["message"]
    assert len(message) < SHORT_MESSAGE
    assert CUT in message
    return message


def _contract(**values: Any) -> dict[str, Any]:
    return {
        "displayName": "Long dates",
        "catalogId": "cloudCatalog",
        "priceListGroupId": "defaultPriceGroup",
        **values,
    }


async def test_an_unknown_property_of_an_organization_is_quoted_cut_short(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(ORGANIZATIONS, json={"name": "Long key", LONG: 1})

    assert _quoted_message(response, 400, "100002") == f"unknown property {CUT}"


async def test_a_long_word_of_a_list_filter_is_quoted_cut_short(
    client: httpx.AsyncClient,
) -> None:
    word = LONG[:900]  # q holds at most 1000 characters

    response = await client.get(ORGANIZATIONS, params={"q": f"name {word}"})

    assert response.status_code == 400
    message = response.json()["message"]
    assert len(message) < SHORT_MESSAGE
    assert f"{word[:QUOTED_CHARACTERS]!r}..." in message


async def test_an_unknown_secondary_address_id_is_quoted_cut_short(
    client: httpx.AsyncClient,
) -> None:
    response = await client.delete(f"{ORGANIZATIONS}/{SAMPLE}/secondaryAddresses/{LONG}")

    message = _quoted_message(response, 404, "190101")
    assert message == f"Address {CUT} is not an address of this organization"


async def test_an_unknown_profile_id_is_quoted_cut_short(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{PROFILES}/{LONG}")

    assert _quoted_message(response, 404, "22002") == f"Profile {CUT} does not exist"


async def test_an_unknown_property_of_a_role_is_quoted_cut_short(
    client: httpx.AsyncClient,
) -> None:
    role = {"function": "buyer", "relativeTo": {"id": SAMPLE}, LONG: 1}

    response = await client.post(f"{PROFILES}/{SHELLY}/addRoles", json={"roles": [role]})

    assert _quoted_message(response, 400, "100002") == f"unknown property {CUT}"


async def test_an_unknown_property_of_a_request_is_quoted_cut_short(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(STORE_REQUESTS, json={**request_document(), LONG: 1})

    assert _quoted_message(response, 400, "101001") == f"unknown property {CUT}"


async def test_an_unknown_site_to_update_is_quoted_cut_short(client: httpx.AsyncClient) -> None:
    entry = {"site": {"id": LONG}, "properties": {"approvalRequired": False}}

    response = await client.post(
        f"{ORGANIZATIONS}/{SAMPLE}/updateSiteOrganizationProperties",
        json={"siteOrganizationProperties": [entry]},
    )

    assert _quoted_message(response, 400, "100109") == f"Site {CUT} does not exist"


async def test_a_contract_date_that_is_no_timestamp_is_quoted_cut_short(
    client: httpx.AsyncClient,
) -> None:
    entry = {"site": {"id": "siteUS"}, "properties": {"contract": _contract(startDate=LONG)}}

    response = await client.post(
        f"{ORGANIZATIONS}/{SAMPLE}/updateSiteOrganizationProperties",
        json={"siteOrganizationProperties": [entry]},
    )

    message = _quoted_message(response, 400, "100110")
    assert message == f"startDate is not an ISO 8601 timestamp: {CUT}"


async def test_an_unknown_property_of_a_financial_sync_is_quoted_cut_short(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(f"{ORGANIZATIONS}/{SAMPLE}/syncFinancialData", json={LONG: 1})

    assert _quoted_message(response, 400, "100002") == f"unknown property {CUT}"


async def test_an_unknown_webhook_subscription_is_quoted_cut_short(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(f"{SUBSCRIPTIONS}/{LONG}")

    message = _quoted_message(response, 404, "190001")
    assert message == f"Webhook subscription {CUT} does not exist"


async def test_an_unknown_event_type_is_quoted_cut_short(client: httpx.AsyncClient) -> None:
    """The message lists the known types too (our own names): only the caller's is cut."""
    body = {"url": "https://erp.example.com/hooks", "eventTypes": [LONG]}

    response = await client.post(SUBSCRIPTIONS, json=body)

    assert (response.status_code, response.json()["errorCode"]) == (400, "100002")
    known = ", ".join(sorted(EVENT_TYPES))
    assert response.json()["message"] == f"unknown event type {CUT}; known: {known}"


#: A body of MAX_ITEMS keys of 900 characters each: about 900 KB, under the body limit.
KEY_CHARACTERS = 900
#: Far smaller than such a body, and than its problems with their keys whole (about 54 KB):
#: each of the MAX_DETAILS problems shown, and the count of the rest, holds at most a path of
#: FIELD_CHARACTERS and two hundred characters of message and JSON (about 29 KB in all).
SMALL_ANSWER = (MAX_DETAILS + 1) * (FIELD_CHARACTERS + 200)


def _long_keys(count: int) -> dict[str, int]:
    """``count`` keys of KEY_CHARACTERS characters, each told apart by its first four."""
    return {f"{index:04d}" + "k" * (KEY_CHARACTERS - 4): 1 for index in range(count)}


async def test_a_thousand_long_unknown_keys_are_answered_small_each_path_naming_its_key(
    client: httpx.AsyncClient,
) -> None:
    keys = _long_keys(MAX_ITEMS)

    response = await client.post(ORGANIZATIONS, json={"name": "Long keys", **keys})

    assert (response.status_code, response.json()["errorCode"]) == (400, "100002")
    assert len(response.content) < SMALL_ANSWER
    errors = response.json()["errors"]
    assert len(errors) == MAX_DETAILS + 1
    for key, error in zip(list(keys)[:MAX_DETAILS], errors, strict=False):
        assert len(error["o:errorPath"]) == FIELD_CHARACTERS
        assert error["o:errorPath"].startswith(key[:QUOTED_CHARACTERS])
        assert error["o:errorPath"].endswith("...")


async def test_a_long_unknown_key_of_a_nested_object_is_cut_short_in_its_path(
    client: httpx.AsyncClient,
) -> None:
    entry = {"site": {"id": "siteUS"}, "properties": {LONG: 1}}

    response = await client.post(
        f"{ORGANIZATIONS}/{SAMPLE}/updateSiteOrganizationProperties",
        json={"siteOrganizationProperties": [entry]},
    )

    _quoted_message(response, 400, "100110")
    path = response.json()["o:errorPath"]
    prefix = "siteOrganizationProperties[0].properties."
    assert path == (prefix + LONG)[: FIELD_CHARACTERS - 3] + "..."


async def test_a_long_unknown_property_of_a_financial_sync_is_cut_short_in_its_path(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(f"{ORGANIZATIONS}/{SAMPLE}/syncFinancialData", json={LONG: 1})

    _quoted_message(response, 400, "100002")
    assert response.json()["o:errorPath"] == LONG[: FIELD_CHARACTERS - 3] + "..."
