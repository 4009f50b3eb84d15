"""Each contact mutation, as an account's admin (allowed) and as a member holding any other
role (refused with FORBIDDEN, nothing changed): core.people.authority."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from people_support import EAST, PROFILES, SAMPLE, SHELLY, create_contact, events_of, grant, role
from sqlalchemy.ext.asyncio import AsyncEngine

#: mutation name -> (document, variables from the colleague's id); the colleague is a contact
#: of Sample holding the approver role, a member of Sample East too (secondary).
OPERATIONS: dict[str, tuple[str, Callable[[str], dict[str, Any]]]] = {
    "createContact": (
        """mutation($input: CreateContactInput!) { createContact(input: $input) {
             userErrors { code } } }""",
        lambda _: {"input": {"email": "fresh@example.com", "parentOrganizationId": SAMPLE}},
    ),
    "updateContact": (
        """mutation($id: ID!) { updateContact(id: $id, input: {firstName: "Renamed"}) {
             userErrors { code } } }""",
        lambda c: {"id": c},
    ),
    "deactivateContact": (
        "mutation($id: ID!) { deactivateContact(id: $id) { userErrors { code } } }",
        lambda c: {"id": c},
    ),
    "reactivateContact": (
        "mutation($id: ID!) { reactivateContact(id: $id) { userErrors { code } } }",
        lambda c: {"id": c},
    ),
    "grantRoles": (
        """mutation($id: ID!) { grantRoles(contactId: $id,
             roles: [{function: BUYER, organizationId: "100001"}]) { userErrors { code } } }""",
        lambda c: {"id": c},
    ),
    "revokeRoles": (
        """mutation($id: ID!) { revokeRoles(contactId: $id,
             roles: [{function: APPROVER, organizationId: "100001"}]) { userErrors { code } } }""",
        lambda c: {"id": c},
    ),
    "removeSecondaryOrganizations": (
        """mutation($id: ID!) { removeSecondaryOrganizations(contactId: $id,
             organizationIds: ["100001"]) { userErrors { code } } }""",
        lambda c: {"id": c},
    ),
    "updateOrganizationMembers": (
        """mutation($id: ID!) { updateOrganizationMembers(id: "100001",
             profileIds: ["110000", $id]) { userErrors { code } } }""",
        lambda c: {"id": c},
    ),
}


async def _colleague(client: httpx.AsyncClient) -> str:
    """A contact of Sample East, a member of Sample too, approver there."""
    contact = await create_contact(client, "colleague@example.com", parent=EAST)
    response = await client.post(
        f"{PROFILES}/{contact['id']}/appendSecondaryOrganizations",
        json={"secondaryOrganizations": [{"id": SAMPLE}]},
    )
    assert response.status_code == 200, response.text
    assert (await grant(client, contact["id"], role("approver"))).status_code == 200
    profile_id: str = contact["id"]
    return profile_id


@pytest.mark.parametrize("function", ["buyer", "approver", "accountAddressManager"])
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
async def test_a_member_without_the_admin_role_is_refused_every_contact_mutation(
    client: httpx.AsyncClient,
    shopper_client: Callable[[str], httpx.AsyncClient],
    engine: AsyncEngine,
    function: str,
    operation: str,
) -> None:
    colleague = await _colleague(client)
    shopper = await create_contact(client, f"{function.lower()}@example.com")
    assert (await grant(client, shopper["id"], role(function))).status_code == 200
    before = (await client.get(f"{PROFILES}/{colleague}")).json()
    events = await events_of(engine)
    document, variables = OPERATIONS[operation]

    async with shopper_client(shopper["id"]) as caller:
        response = await caller.post(
            "/graphql", json={"query": document, "variables": variables(colleague)}
        )

    body = response.json()
    assert body["data"] == {operation: None}, body
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert await events_of(engine) == events
    assert (await client.get(f"{PROFILES}/{colleague}")).json() == before


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
async def test_the_accounts_admin_runs_every_contact_mutation(
    client: httpx.AsyncClient,
    shopper_client: Callable[[str], httpx.AsyncClient],
    operation: str,
) -> None:
    colleague = await _colleague(client)
    document, variables = OPERATIONS[operation]
    if operation in ("updateContact", "deactivateContact", "reactivateContact"):
        # Managed in its parent organization: Shelly is an admin of Sample, the parent's
        # parent, whose roles must apply to its divisions.
        response = await client.put(
            f"/ccadmin/v1/organizations/{SAMPLE}", json={"rolesApplyToDivisions": True}
        )
        assert response.status_code == 200, response.text

    async with shopper_client(SHELLY) as caller:
        response = await caller.post(
            "/graphql", json={"query": document, "variables": variables(colleague)}
        )

    assert response.json() == {"data": {operation: {"userErrors": []}}}
