"""A hostile account admin (core.people.authority, core.access.permissions): what reaches
beyond the accounts they manage is refused, and a refusal tells nothing a missing id would
not."""

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
    events_of,
    grant,
    role,
)
from sqlalchemy.ext.asyncio import AsyncEngine

UPDATE = """mutation($id: ID!, $input: UpdateContactInput!) {
  updateContact(id: $id, input: $input) { contact { email } userErrors { code } } }"""
CREATE = """mutation($input: CreateContactInput!) {
  createContact(input: $input) { contact { repositoryId } userErrors { code field } } }"""
MEMBERS = """mutation($id: ID!, $profiles: [ID!]!) {
  updateOrganizationMembers(id: $id, profileIds: $profiles) {
    members { repositoryId } userErrors { code field message } } }"""


async def run(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def refused(body: dict[str, Any], field: str) -> None:
    assert body["data"] == {field: None}, body
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]


@pytest.fixture
async def shelly(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> AsyncIterator[httpx.AsyncClient]:
    """The demo shopper: admin of Sample."""
    async with shopper_client(SHELLY) as client:
        yield client


async def other_account(client: httpx.AsyncClient) -> str:
    response = await client.post(ORGANIZATIONS, json={"name": "Other"})
    assert response.status_code == 200, response.text
    other: str = response.json()["id"]
    return other


async def shared_contact(client: httpx.AsyncClient, other: str) -> dict[str, Any]:
    """A contact of Sample (its parent) who is also an admin of another account."""
    contact = await create_contact(client, "shared@example.com", customerContactId="C-1")
    response = await client.post(
        f"{PROFILES}/{contact['id']}/appendSecondaryOrganizations",
        json={"secondaryOrganizations": [{"id": other}]},
    )
    assert response.status_code == 200, response.text
    assert (await grant(client, contact["id"], role("admin", other))).status_code == 200
    return contact


@pytest.mark.parametrize(
    ("mutation", "change"),
    [
        ("updateContact", {"email": "mallory@example.com"}),
        ("updateContact", {"customerContactId": "MALLORY"}),
        ("deactivateContact", None),
        ("reactivateContact", None),
    ],
)
async def test_the_identity_of_a_contact_of_another_account_is_not_a_parents_admins_to_change(
    shelly: httpx.AsyncClient,
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    mutation: str,
    change: dict[str, Any] | None,
) -> None:
    # Shelly manages Sample, the contact's parent, not Other, where the contact is an admin:
    # their email (or external id) is how the identity provider's token names them, so
    # changing it to her own would hand her their profile and their roles in Other; their
    # activity is their access to Other (the merchant's deactivation is not hers to undo).
    other = await other_account(client)
    contact = await shared_contact(client, other)
    active = mutation != "reactivateContact"
    if not active:
        response = await client.put(f"{PROFILES}/{contact['id']}", json={"active": False})
        assert response.status_code == 200, response.text
    events = await events_of(engine)

    if change is None:
        query = f"mutation($id: ID!) {{ {mutation}(id: $id) {{ userErrors {{ code }} }} }}"
        body = await run(shelly, query, id=contact["id"])
    else:
        body = await run(shelly, UPDATE, id=contact["id"], input=change)

    refused(body, mutation)
    after = (await client.get(f"{PROFILES}/{contact['id']}")).json()
    assert (after["email"], after["customerContactId"], after["active"]) == (
        "shared@example.com",
        "C-1",
        active,
    )
    assert await events_of(engine) == events


async def test_a_parents_admin_still_renames_a_contact_of_another_account(
    shelly: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    other = await other_account(client)
    contact = await shared_contact(client, other)

    body = await run(shelly, UPDATE, id=contact["id"], input={"firstName": "Sam"})

    assert body["data"]["updateContact"]["userErrors"] == []


async def test_the_contacts_identity_is_changed_by_an_admin_of_all_its_accounts(
    shelly: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    other = await other_account(client)
    contact = await shared_contact(client, other)
    response = await client.post(
        f"{PROFILES}/{SHELLY}/appendSecondaryOrganizations",
        json={"secondaryOrganizations": [{"id": other}]},
    )
    assert response.status_code == 200, response.text
    assert (await grant(client, SHELLY, role("admin", other))).status_code == 200

    body = await run(shelly, UPDATE, id=contact["id"], input={"email": "moved@example.com"})

    assert body["data"]["updateContact"] == {
        "contact": {"email": "moved@example.com"},
        "userErrors": [],
    }


async def test_members_answer_a_stranger_exactly_as_a_missing_profile(
    shelly: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    stranger = await create_contact(client, "stranger@example.com", parent=EAST)

    with_stranger = await run(shelly, MEMBERS, id=SAMPLE, profiles=[SHELLY, stranger["id"], "0"])
    with_nobody = await run(shelly, MEMBERS, id=SAMPLE, profiles=[SHELLY, "nobody", "0"])

    def errors(body: dict[str, Any]) -> list[str]:
        return [e["field"] for e in body["data"]["updateOrganizationMembers"]["userErrors"]]

    assert errors(with_nobody) == ["profileIds[1]", "profileIds[2]"]
    assert errors(with_stranger) == errors(with_nobody)


async def test_the_roles_of_a_deactivated_lending_account_manage_nothing_below_it(
    shelly: httpx.AsyncClient, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    # Sample lends its roles to East; the merchant deactivates Sample (East stays active):
    # Shelly, Sample's admin, no longer manages Sample, nor East through it.
    lent = await client.put(f"{ORGANIZATIONS}/{SAMPLE}", json={"rolesApplyToDivisions": True})
    assert lent.status_code == 200, lent.text
    off = await client.put(f"{ORGANIZATIONS}/{SAMPLE}", json={"active": False})
    assert off.status_code == 200, off.text
    assert (await client.get(f"{ORGANIZATIONS}/{EAST}")).json()["active"] is True
    events = await events_of(engine)

    body = await run(shelly, CREATE, input={"email": "e@example.com", "parentOrganizationId": EAST})

    refused(body, "createContact")
    assert await events_of(engine) == events


async def test_a_mutations_contact_shows_a_shopper_only_the_accounts_they_are_a_member_of(
    shelly: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    # The contact's parent is Other, an account Shelly is no member of; she adds them to
    # Sample's roles: the answer names neither Other nor the contact's roles there.
    other = await other_account(client)
    contact = await create_contact(client, "outsider@example.com", parent=other)
    response = await client.post(
        f"{PROFILES}/{contact['id']}/appendSecondaryOrganizations",
        json={"secondaryOrganizations": [{"id": SAMPLE}]},
    )
    assert response.status_code == 200, response.text
    assert (await grant(client, contact["id"], role("admin", other))).status_code == 200
    query = """mutation($id: ID!, $roles: [RoleInput!]!) {
      grantRoles(contactId: $id, roles: $roles) {
        contact { parentOrganization { id name } secondaryOrganizations { id name }
                  roles { function organizationId } }
        userErrors { code } } }"""

    body = await run(
        shelly, query, id=contact["id"], roles=[{"function": "BUYER", "organizationId": SAMPLE}]
    )

    assert body["data"]["grantRoles"] == {
        "contact": {
            "parentOrganization": None,
            "secondaryOrganizations": [{"id": SAMPLE, "name": "Sample"}],
            "roles": [{"function": "buyer", "organizationId": SAMPLE}],
        },
        "userErrors": [],
    }


async def test_a_refusal_does_not_name_the_contacts_parent_in_another_account(
    shelly: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    other = await other_account(client)
    contact = await create_contact(client, "outsider@example.com", parent=other)
    response = await client.post(
        f"{PROFILES}/{contact['id']}/appendSecondaryOrganizations",
        json={"secondaryOrganizations": [{"id": SAMPLE}]},
    )
    assert response.status_code == 200, response.text

    body = await run(shelly, UPDATE, id=contact["id"], input={"firstName": "Mallory"})

    refused(body, "updateContact")
    assert other not in body["errors"][0]["message"]
    assert (await client.get(f"{PROFILES}/{contact['id']}")).json()["firstName"] is None


async def test_organizations_answer_another_account_exactly_as_a_missing_one(
    shelly: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    # One missing organization beside another account's: the answer is the same as beside
    # a second missing one, so it tells nothing of whether the other account exists.
    other = await other_account(client)

    def created(secondary: str) -> dict[str, Any]:
        return {
            "email": "probe@example.com",
            "parentOrganizationId": SAMPLE,
            "secondaryOrganizationIds": ["nope", secondary],
        }

    with_other = await run(shelly, CREATE, input=created(other))
    with_nothing = await run(shelly, CREATE, input=created("nothing"))

    expected = [
        {"code": "100001", "field": "secondaryOrganizationIds[0]"},
        {"code": "100001", "field": "secondaryOrganizationIds[1]"},
    ]
    assert with_nothing["data"]["createContact"]["userErrors"] == expected
    assert with_other["data"]["createContact"]["userErrors"] == expected
