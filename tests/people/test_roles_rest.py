"""Roles over REST: listOrganizationRoles, addRoles, removeRoles, and the last approver rule
(100083) through every way a contact stops being an approver."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from people_support import (
    EAST,
    ORGANIZATIONS,
    PROFILES,
    SAMPLE,
    SHELLY,
    create_contact,
    events_of,
    grant,
    history_of,
    require_approval,
    revoke,
    role,
)
from sqlalchemy.ext.asyncio import AsyncEngine


async def test_an_organization_lists_its_five_roles_with_their_holders(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(f"{ORGANIZATIONS}/{SAMPLE}/organizationalRoles")

    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["function"] for item in items] == [
        "admin",
        "buyer",
        "approver",
        "accountAddressManager",
        "profileAddressManager",
    ]
    assert items[0]["relativeTo"] == {"id": SAMPLE}
    assert items[0]["profiles"] == [
        {
            "id": SHELLY,
            "repositoryId": SHELLY,
            "firstName": "Shelly",
            "lastName": "Smith",
            "email": "shelly.smith@example.com",
            "active": True,
        }
    ]
    assert all(item["profiles"] == [] for item in items[1:])
    missing = await client.get(f"{ORGANIZATIONS}/nowhere/organizationalRoles")
    assert (missing.status_code, missing.json()["errorCode"]) == (404, "100001")


async def test_a_granted_role_shows_on_the_contact_and_the_organization(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    contact = await create_contact(client, "ann@example.com")

    response = await grant(client, contact["id"], role("approver"), role("buyer"))

    assert response.status_code == 200
    assert [(r["function"], r["relativeTo"]) for r in response.json()["roles"]] == [
        ("buyer", {"id": SAMPLE}),
        ("approver", {"id": SAMPLE}),
    ]
    roles = (await client.get(f"{ORGANIZATIONS}/{SAMPLE}/organizationalRoles")).json()["items"]
    approvers = next(item for item in roles if item["function"] == "approver")
    assert [p["id"] for p in approvers["profiles"]] == [contact["id"]]
    again = await grant(client, contact["id"], role("approver"))  # held already: no change
    assert again.status_code == 200
    granted = [e for e in await events_of(engine) if e[0] == "role.granted"]
    assert [(e[2]["function"], e[2]["profileId"]) for e in granted] == [
        ("approver", contact["id"]),
        ("buyer", contact["id"]),
    ]
    held = [
        row
        for row in await history_of(engine, "profile_role")
        if row.entity_id.endswith(f":{contact['id']}")
    ]
    assert [(row.operation, row.organization_id) for row in held] == [
        ("insert", SAMPLE),
        ("insert", SAMPLE),
    ]


async def test_a_role_is_held_only_where_the_contact_is_a_member(
    client: httpx.AsyncClient,
) -> None:
    contact = await create_contact(client, "bo@example.com")

    response = await grant(client, contact["id"], role("approver", EAST))

    assert response.status_code == 400
    assert response.json()["errorCode"] == "100002"
    assert response.json()["o:errorPath"] == "roles[0].relativeTo.id"


async def test_bad_role_requests_are_refused(client: httpx.AsyncClient) -> None:
    contact = await create_contact(client, "cy@example.com")
    url = f"{PROFILES}/{contact['id']}/addRoles"

    unknown_function = await client.post(url, json={"roles": [role("boss")]})
    unknown_organization = await client.post(url, json={"roles": [role("buyer", "nowhere")]})
    no_roles = await client.post(url, json={})
    unknown_profile = await grant(client, "nobody", role("buyer"))

    assert (unknown_function.status_code, unknown_function.json()["errorCode"]) == (400, "100002")
    assert unknown_function.json()["o:errorPath"] == "roles[0].function"
    assert (unknown_organization.status_code, unknown_organization.json()["errorCode"]) == (
        400,
        "100001",
    )
    assert (no_roles.status_code, no_roles.json()["o:errorPath"]) == (400, "roles")
    assert (unknown_profile.status_code, unknown_profile.json()["errorCode"]) == (404, "22002")


async def test_an_approver_lets_approval_be_required(client: httpx.AsyncClient) -> None:
    refused = await require_approval(client)
    assert (refused.status_code, refused.json()["errorCode"]) == (400, "100083")
    contact = await create_contact(client, "dee@example.com")
    await grant(client, contact["id"], role("approver"))

    accepted = await require_approval(client)

    assert accepted.status_code == 200
    assert accepted.json()["siteOrganizationProperties"][0]["properties"]["approvalRequired"]


async def test_the_last_approver_keeps_the_role_while_approval_is_required(
    client: httpx.AsyncClient,
) -> None:
    contact = await create_contact(client, "eve@example.com")
    await grant(client, contact["id"], role("approver"))
    await require_approval(client)

    response = await revoke(client, contact["id"], role("approver"))

    assert response.status_code == 409
    assert response.json()["errorCode"] == "100083"
    still = (await client.get(f"{PROFILES}/{contact['id']}")).json()["roles"]
    assert [r["function"] for r in still] == ["approver"]


async def test_the_last_approver_can_neither_be_deactivated_nor_leave(
    client: httpx.AsyncClient,
) -> None:
    contact = await create_contact(client, "fay@example.com", parent=EAST)
    url = f"{PROFILES}/{contact['id']}"
    await client.post(
        f"{url}/appendSecondaryOrganizations", json={"secondaryOrganizations": [{"id": SAMPLE}]}
    )
    await grant(client, contact["id"], role("approver"))
    await require_approval(client)

    deactivated = await client.put(url, json={"active": False})
    removed = await client.post(
        f"{url}/removeSecondaryOrganizations", json={"secondaryOrganizations": [{"id": SAMPLE}]}
    )
    replaced = await client.post(
        f"{url}/replaceSecondaryOrganizations", json={"secondaryOrganizations": []}
    )

    for response in (deactivated, removed, replaced):
        assert response.status_code == 409
        assert response.json()["errorCode"] == "100083"
    assert (await client.get(url)).json()["active"] is True


async def test_a_second_approver_lets_the_first_go(client: httpx.AsyncClient) -> None:
    first = await create_contact(client, "gus@example.com")
    second = await create_contact(client, "hal@example.com")
    for contact in (first, second):
        await grant(client, contact["id"], role("approver"))
    await require_approval(client)

    response = await revoke(client, first["id"], role("approver"))

    assert response.status_code == 200
    assert response.json()["roles"] == []
    last = await revoke(client, second["id"], role("approver"))
    assert (last.status_code, last.json()["errorCode"]) == (409, "100083")


async def test_an_inactive_approver_does_not_count(client: httpx.AsyncClient) -> None:
    contact = await create_contact(client, "ida@example.com")
    await grant(client, contact["id"], role("approver"))
    await client.put(f"{PROFILES}/{contact['id']}", json={"active": False})

    response = await require_approval(client)

    assert (response.status_code, response.json()["errorCode"]) == (400, "100083")


async def test_only_an_admin_may_read_or_change_roles(
    anonymous_client: httpx.AsyncClient,
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    async with shopper_client(SHELLY) as shopper:
        for caller in (anonymous_client, shopper):
            for response in (
                await caller.get(f"{ORGANIZATIONS}/{SAMPLE}/organizationalRoles"),
                await grant(caller, SHELLY, role("approver")),
                await revoke(caller, SHELLY, role("admin")),
            ):
                assert response.status_code == 401
