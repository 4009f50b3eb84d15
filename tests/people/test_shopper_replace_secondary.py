"""A shopper's replaceSecondaryOrganizations (core.people.memberships.replace_secondary): it
replaces the contact's secondary organizations among the accounts the shopper is a member
of; a membership in an account they cannot see is out of its reach, left as it is and never
named, as the contact's view leaves it out (docs/roles.md, "Refusals")."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from people_support import (
    EAST,
    ORGANIZATIONS,
    PROFILES,
    SAMPLE,
    SHELLY,
    create_contact,
    grant,
    require_approval,
)
from people_support import role as role_of

#: Below Sample East (demo data: Sample 100001 > Sample East 100002 > 100003): not Shelly's,
#: since Sample's roles do not apply to its divisions.
PURCHASING = "100003"

REPLACE = """mutation($id: ID!, $orgs: [ID!]!) {
  replaceSecondaryOrganizations(contactId: $id, organizationIds: $orgs) {
    contact { secondaryOrganizations { id } } userErrors { code message field } } }"""


async def run(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
async def shelly(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> AsyncIterator[httpx.AsyncClient]:
    """The demo shopper: admin of Sample only."""
    async with shopper_client(SHELLY) as client:
        yield client


async def rival_with_dana(client: httpx.AsyncClient) -> tuple[str, str]:
    """Another tenant's account, and Dana: its contact, a secondary member of Sample and of
    100003 (an account Shelly cannot see)."""
    created = await client.post(ORGANIZATIONS, json={"name": "Rival"})
    assert created.status_code == 200, created.text
    rival = created.json()["id"]
    dana = await create_contact(
        client,
        "dana@rival.com",
        parent=rival,
        secondaryOrganizations=[{"id": SAMPLE}, {"id": PURCHASING}],
    )
    return rival, dana["id"]


async def organizations_of(client: httpx.AsyncClient, profile_id: str) -> tuple[str, list[str]]:
    body = (await client.get(f"{PROFILES}/{profile_id}")).json()
    return body["parentOrganization"]["id"], [o["id"] for o in body["secondaryOrganizations"]]


async def test_a_membership_the_shopper_cannot_see_is_left_as_it_is_and_unnamed(
    client: httpx.AsyncClient, shelly: httpx.AsyncClient
) -> None:
    rival, dana = await rival_with_dana(client)

    body = await run(shelly, REPLACE, id=dana, orgs=[SAMPLE])

    assert body == {
        "data": {
            "replaceSecondaryOrganizations": {
                "contact": {"secondaryOrganizations": [{"id": SAMPLE}]},
                "userErrors": [],
            }
        }
    }
    assert await organizations_of(client, dana) == (rival, [SAMPLE, PURCHASING])


async def test_the_shopper_ends_only_memberships_in_accounts_they_manage(
    client: httpx.AsyncClient, shelly: httpx.AsyncClient
) -> None:
    rival, dana = await rival_with_dana(client)

    body = await run(shelly, REPLACE, id=dana, orgs=[])

    assert body["data"]["replaceSecondaryOrganizations"] == {
        "contact": {"secondaryOrganizations": []},
        "userErrors": [],
    }
    assert await organizations_of(client, dana) == (rival, [PURCHASING])


async def test_an_account_the_shopper_cannot_see_is_named_back_as_a_missing_one(
    client: httpx.AsyncClient, shelly: httpx.AsyncClient
) -> None:
    """Dana's hidden memberships, her parent among them, answer exactly as an id that names
    nothing: the answer tells nothing of whether she is a member there."""
    rival, dana = await rival_with_dana(client)

    body = await run(shelly, REPLACE, id=dana, orgs=[SAMPLE, PURCHASING, rival, "nowhere"])

    assert body["data"]["replaceSecondaryOrganizations"] == {
        "contact": None,
        "userErrors": [
            {
                "code": "100001",
                "message": f"Organization {org!r} does not exist",
                "field": f"organizationIds[{index}]",
            }
            for index, org in [(1, PURCHASING), (2, rival), (3, "nowhere")]
        ],
    }
    assert await organizations_of(client, dana) == (rival, [SAMPLE, PURCHASING])


async def test_a_membership_the_shopper_sees_without_the_admin_role_is_refused(
    client: httpx.AsyncClient, shelly: httpx.AsyncClient
) -> None:
    """Shelly is a buyer of Sample East: she sees Dana's membership there and may not end it."""
    rival, dana = await rival_with_dana(client)
    add = f"{PROFILES}/{SHELLY}/appendSecondaryOrganizations"
    assert (await client.post(add, json={"secondaryOrganizations": [{"id": EAST}]})).is_success
    assert (await grant(client, SHELLY, role_of("buyer", EAST))).status_code == 200
    add = f"{PROFILES}/{dana}/appendSecondaryOrganizations"
    assert (await client.post(add, json={"secondaryOrganizations": [{"id": EAST}]})).is_success

    body = await run(shelly, REPLACE, id=dana, orgs=[SAMPLE])

    assert body["data"] == {"replaceSecondaryOrganizations": None}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert await organizations_of(client, dana) == (rival, [SAMPLE, EAST, PURCHASING])


async def test_the_last_approver_leaving_is_refused_at_the_organization_ids(
    client: httpx.AsyncClient, shelly: httpx.AsyncClient
) -> None:
    rival, dana = await rival_with_dana(client)
    assert (await grant(client, dana, role_of("approver", SAMPLE))).status_code == 200
    assert (await require_approval(client)).status_code == 200

    body = await run(shelly, REPLACE, id=dana, orgs=[])

    payload = body["data"]["replaceSecondaryOrganizations"]
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("100083", "organizationIds")
    ]
    assert await organizations_of(client, dana) == (rival, [SAMPLE, PURCHASING])
