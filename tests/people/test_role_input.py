"""Role input, malformed or empty, over both transports (core.people.input.parse_roles):
each malformed item is 100002 at its own path and changes nothing; an empty list is no
change, answered with the contact's roles as they are. Never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from people_support import PROFILES, SAMPLE, SHELLY, events_of
from sqlalchemy.ext.asyncio import AsyncEngine

GRANT = """mutation($id: ID!, $roles: [RoleInput!]!) {
  grantRoles(contactId: $id, roles: $roles) {
    contact { roles { function } } userErrors { code field } } }"""
REVOKE = GRANT.replace("grantRoles", "revokeRoles")

#: Shelly's roles in the demo data: the admin of Sample.
SHELLYS_ROLES = [{"function": "admin", "relativeTo": {"id": SAMPLE}, "repositoryId": "200000"}]

MALFORMED = [
    ({"function": "buyer", "relativeTo": {}}, "roles[0].relativeTo.id"),
    ({"function": "buyer", "relativeTo": {"id": None}}, "roles[0].relativeTo.id"),
    ({"function": "buyer", "relativeTo": {"id": 100001}}, "roles[0].relativeTo.id"),
    ({"function": "buyer", "relativeTo": {"id": " "}}, "roles[0].relativeTo.id"),
    ({"function": "buyer", "relativeTo": []}, "roles[0].relativeTo"),
    ({"function": "buyer"}, "roles[0].relativeTo"),
    ({"function": [], "relativeTo": {"id": SAMPLE}}, "roles[0].function"),
    ({"function": {}, "relativeTo": {"id": SAMPLE}}, "roles[0].function"),
    ({"function": ["buyer"], "relativeTo": {"id": SAMPLE}}, "roles[0].function"),
    ({"relativeTo": {"id": SAMPLE}}, "roles[0].function"),
]


async def shellys_roles(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await client.get(f"{PROFILES}/{SHELLY}")
    assert response.status_code == 200, response.text
    roles: list[dict[str, Any]] = response.json()["roles"]
    return roles


async def graphql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body["data"]


@pytest.mark.parametrize("operation", ["addRoles", "removeRoles"])
@pytest.mark.parametrize(("item", "path"), MALFORMED)
async def test_a_malformed_role_is_refused_at_its_path_and_changes_nothing(
    client: httpx.AsyncClient, engine: AsyncEngine, operation: str, item: Any, path: str
) -> None:
    events = await events_of(engine)

    response = await client.post(f"{PROFILES}/{SHELLY}/{operation}", json={"roles": [item]})

    assert response.status_code == 400, response.text
    assert (response.json()["errorCode"], response.json()["o:errorPath"]) == ("100002", path)
    assert await shellys_roles(client) == SHELLYS_ROLES
    assert await events_of(engine) == events


async def test_every_malformed_role_of_a_request_is_reported(client: httpx.AsyncClient) -> None:
    roles = [
        {"function": "buyer", "relativeTo": {"id": SAMPLE}},
        {"function": [], "relativeTo": {}},
    ]

    response = await client.post(f"{PROFILES}/{SHELLY}/addRoles", json={"roles": roles})

    assert response.status_code == 400
    assert [error["o:errorPath"] for error in response.json()["errors"]] == [
        "roles[1].function",
        "roles[1].relativeTo.id",
    ]
    assert await shellys_roles(client) == SHELLYS_ROLES


@pytest.mark.parametrize("operation", ["addRoles", "removeRoles"])
async def test_an_empty_list_of_roles_changes_nothing(
    client: httpx.AsyncClient, engine: AsyncEngine, operation: str
) -> None:
    events = await events_of(engine)

    response = await client.post(f"{PROFILES}/{SHELLY}/{operation}", json={"roles": []})

    assert response.status_code == 200, response.text
    assert response.json()["roles"] == SHELLYS_ROLES
    assert await shellys_roles(client) == SHELLYS_ROLES
    assert await events_of(engine) == events


async def test_an_empty_list_of_roles_for_an_unknown_profile_is_still_unknown(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(f"{PROFILES}/nobody/addRoles", json={"roles": []})

    assert (response.status_code, response.json()["errorCode"]) == (404, "22002")


@pytest.mark.parametrize("query", [GRANT, REVOKE])
async def test_an_empty_list_of_roles_changes_nothing_over_graphql(
    client: httpx.AsyncClient,
    shopper_client: Callable[[str], httpx.AsyncClient],
    engine: AsyncEngine,
    query: str,
) -> None:
    events = await events_of(engine)
    field = "grantRoles" if query is GRANT else "revokeRoles"
    unchanged = {"contact": {"roles": [{"function": "admin"}]}, "userErrors": []}

    by_admin = await graphql(client, query, id=SHELLY, roles=[])
    async with shopper_client(SHELLY) as shelly:
        by_shopper = await graphql(shelly, query, id=SHELLY, roles=[])

    assert by_admin == {field: unchanged}
    assert by_shopper == {field: unchanged}
    assert await shellys_roles(client) == SHELLYS_ROLES
    assert await events_of(engine) == events


async def test_a_blank_organization_id_is_a_user_error_over_graphql(
    client: httpx.AsyncClient,
) -> None:
    roles = [{"function": "BUYER", "organizationId": " "}]

    data = await graphql(client, GRANT, id=SHELLY, roles=roles)

    assert data == {
        "grantRoles": {
            "contact": None,
            "userErrors": [{"code": "100002", "field": "roles[0].organizationId"}],
        }
    }
    assert await shellys_roles(client) == SHELLYS_ROLES
