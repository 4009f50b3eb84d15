"""Every list and every set of keys in a request is bounded (core/common/validation.py MAX_ITEMS):
more is a 400 naming the field, refused before any per-item work, far below the 32,767 bind
parameters asyncpg takes in one statement (past which a request was answered 503 "the
database is not accepting connections")."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from graphql_client import GraphQL
from orgql.core.common.errors import MAX_DETAILS, QUOTED_CHARACTERS
from orgql.core.common.validation import MAX_ITEMS
from orgql.db import models
from rest.builders import ORGANIZATIONS, secondary_address
from rest.request_builders import STORE_REQUESTS, request_document, typed_address

#: The first count asyncpg refuses as bind parameters of one statement.
OVER_DRIVER_LIMIT = 32_768


def _ids(count: int, prefix: str = "x") -> list[str]:
    return [f"{prefix}{index}" for index in range(count)]


def _error(response: httpx.Response) -> tuple[int, str, str | None, str]:
    body = response.json()
    return response.status_code, body["errorCode"], body.get("o:errorPath"), body["message"]


def _many_keys(count: int) -> dict[str, int]:
    return {f"k{index}": index for index in range(count)}


SITE_PROPERTIES = f"{ORGANIZATIONS}/100001/updateSiteOrganizationProperties"

CASES: dict[str, tuple[str, str, dict[str, Any], str, str]] = {
    "members": (
        "POST",
        ORGANIZATIONS,
        {"name": "Many members", "members": _ids(OVER_DRIVER_LIMIT)},
        "members",
        "100002",
    ),
    "paymentMethods": (
        "POST",
        ORGANIZATIONS,
        {"name": "Many payments", "paymentMethods": _ids(OVER_DRIVER_LIMIT)},
        "paymentMethods",
        "100002",
    ),
    "shippingMethods": (
        "POST",
        ORGANIZATIONS,
        {"name": "Many shippings", "shippingMethods": _ids(OVER_DRIVER_LIMIT)},
        "shippingMethods",
        "100002",
    ),
    "secondaryAddresses": (
        "POST",
        ORGANIZATIONS,
        {
            "name": "Many addresses",
            "secondaryAddresses": [secondary_address(f"t{i}") for i in range(MAX_ITEMS + 1)],
        },
        "secondaryAddresses",
        "100002",
    ),
    "dynamic properties on create": (
        "POST",
        ORGANIZATIONS,
        {"name": "Many keys", **_many_keys(OVER_DRIVER_LIMIT)},
        "dynamicProperties",
        "100002",
    ),
    "dynamic properties on update": (
        "PUT",
        f"{ORGANIZATIONS}/100001",
        _many_keys(OVER_DRIVER_LIMIT),
        "dynamicProperties",
        "100002",
    ),
    "paymentMethods on update": (
        "PUT",
        f"{ORGANIZATIONS}/100001",
        {"paymentMethods": _ids(OVER_DRIVER_LIMIT)},
        "paymentMethods",
        "100002",
    ),
    "siteOrganizationProperties": (
        "POST",
        SITE_PROPERTIES,
        {
            "siteOrganizationProperties": [
                {"site": {"id": f"s{i}"}, "properties": {"approvalRequired": False}}
                for i in range(MAX_ITEMS + 1)
            ]
        },
        "siteOrganizationProperties",
        "100110",
    ),
    "site properties keys": (
        "POST",
        SITE_PROPERTIES,
        {
            "siteOrganizationProperties": [
                {"site": {"id": "siteUS"}, "properties": _many_keys(OVER_DRIVER_LIMIT)}
            ]
        },
        "siteOrganizationProperties[0].properties",
        "100110",
    ),
    "webhook eventTypes": (
        "POST",
        "/ccadmin/v1/webhookSubscriptions",
        {"url": "https://hooks.example.com/in", "eventTypes": _ids(OVER_DRIVER_LIMIT)},
        "eventTypes",
        "100002",
    ),
    "webhook body keys": (
        "POST",
        "/ccadmin/v1/webhookSubscriptions",
        {"url": "https://hooks.example.com/in", **_many_keys(OVER_DRIVER_LIMIT)},
        None,
        "100002",
    ),
}


@pytest.mark.parametrize(
    ("method", "path", "body", "field", "code"), CASES.values(), ids=CASES.keys()
)
async def test_a_list_or_key_set_past_the_bound_is_a_400_naming_the_field(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    body: dict[str, Any],
    field: str | None,
    code: str,
) -> None:
    response = await client.request(method, path, json=body)

    status, error_code, error_path, message = _error(response)
    assert (status, error_code, error_path) == (400, code, field)
    assert f"at most {MAX_ITEMS} are allowed" in message


async def test_a_list_at_the_bound_is_taken(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    methods = list(await session.scalars(select(models.PaymentMethod.id)))
    doc = {"name": "Bound payments", "paymentMethods": (methods * MAX_ITEMS)[:MAX_ITEMS]}

    response = await client.post(ORGANIZATIONS, json=doc)

    assert response.status_code == 200, response.text
    assert response.json()["paymentMethods"] == methods


async def test_thirty_thousand_unknown_keys_are_one_problem_not_thirty_thousand(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(ORGANIZATIONS, json={"name": "Keys", **_many_keys(30_000)})

    body = response.json()
    assert response.status_code == 400
    assert [e["o:errorPath"] for e in body["errors"]] == ["dynamicProperties"]
    assert body["message"] == (
        f"dynamicProperties holds 30000 items; at most {MAX_ITEMS} are allowed"
    )


async def test_an_error_lists_a_bounded_number_of_problems(client: httpx.AsyncClient) -> None:
    response = await client.post(ORGANIZATIONS, json={"name": "Keys", **_many_keys(MAX_ITEMS)})

    errors = response.json()["errors"]
    assert response.status_code == 400
    assert len(errors) == MAX_DETAILS + 1
    assert errors[0]["message"] == "unknown property 'k0'"
    assert errors[-1] == {
        "errorCode": "100002",
        "message": f"and {MAX_ITEMS - MAX_DETAILS} more problems",
        "status": "400",
    }


async def test_a_storefront_request_with_too_many_addresses_is_a_400(
    anonymous_client: httpx.AsyncClient,
) -> None:
    addresses = [typed_address(f"t{i}") for i in range(MAX_ITEMS + 1)]
    document = request_document(secondaryAddresses=addresses)

    response = await anonymous_client.post(STORE_REQUESTS, json=document)

    body = response.json()
    assert response.status_code == 400
    assert body["o:errorPath"] == "organization.secondaryAddresses"


async def test_a_storefront_request_with_too_many_address_types_is_a_400(
    anonymous_client: httpx.AsyncClient,
) -> None:
    address = typed_address("Main", *_ids(OVER_DRIVER_LIMIT))
    document = request_document(secondaryAddresses=[address])

    response = await anonymous_client.post(STORE_REQUESTS, json=document)

    body = response.json()
    assert response.status_code == 400
    assert body["o:errorPath"] == "organization.secondaryAddresses[0].address.types"


async def test_a_storefront_request_naming_many_address_types_is_checked_in_one_statement(
    anonymous_client: httpx.AsyncClient,
) -> None:
    # Each list within its bound, together past the driver's parameter limit: the address
    # types are looked up as one bound array, so the answer is "unknown type", not a 503.
    addresses = [typed_address(f"t{i}", *_ids(MAX_ITEMS, prefix=f"a{i}-")) for i in range(40)]
    document = request_document(secondaryAddresses=addresses)

    response = await anonymous_client.post(STORE_REQUESTS, json=document)

    body = response.json()
    assert response.status_code == 400, response.text
    assert body["errorCode"] == "180104"
    assert body["message"] == "Invalid address type ID a0-0"


#: A value far longer than any message quotes (core.common.errors.quoted).
LONG_VALUE = "y" * 5_000


async def test_an_unknown_long_id_or_site_is_quoted_cut_short(client: httpx.AsyncClient) -> None:
    """A message quotes a caller's value to QUOTED_CHARACTERS characters, not whole: the
    answer to an id or a site of kilobytes stays small."""
    cut = f"{LONG_VALUE[:QUOTED_CHARACTERS]!r}..."

    by_id = await client.get(f"{ORGANIZATIONS}/{LONG_VALUE}")
    on_site = await client.get(f"{ORGANIZATIONS}/100001", headers={"x-ccsite": LONG_VALUE})

    assert _error(by_id) == (404, "100001", "id", f"Organization {cut} does not exist")
    assert _error(on_site) == (400, "100002", "x-ccsite", f"Site {cut} does not exist")


async def test_a_graphql_site_argument_is_quoted_cut_short(graphql: GraphQL) -> None:
    result = await graphql.post(
        'query($site: ID) { organization(id: "100001") {'
        " effectiveSiteProperties(site: $site) { approvalRequired } } }",
        {"site": LONG_VALUE},
    )

    (error,) = result["errors"]
    assert error["message"] == f"Site {LONG_VALUE[:QUOTED_CHARACTERS]!r}... does not exist"
    assert error["extensions"]["code"] == "100002"


async def test_an_invalid_id_of_any_size_is_quoted_cut_short(client: httpx.AsyncClient) -> None:
    """An id that is no text (a list of a hundred kilobytes here) is quoted as any value is:
    its repr cut to QUOTED_CHARACTERS characters."""
    huge = [LONG_VALUE] * 20

    response = await client.post(ORGANIZATIONS, json={"name": "Huge id", "members": [huge]})

    status, code, field, message = _error(response)
    assert (status, code, field) == (400, "22002", "members[0]")  # the profile code
    assert message == f"members holds an invalid id: {repr(huge)[:QUOTED_CHARACTERS]}..."
