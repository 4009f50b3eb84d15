"""A shopper's mutations over GraphQL, by the roles they hold (core.people.authority,
core.access.permissions): an account's admin manages its contacts and roles, in its
divisions too when its roles apply to them; anything else is refused with a top-level
FORBIDDEN (the field null, nothing changed) or answered as a missing id."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from people_support import (
    EAST,
    PROFILES,
    SAMPLE,
    SHELLY,
    create_contact,
    events_of,
    grant,
    history_of,
    role,
)
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from orgql.db import models

CREATE = """mutation($input: CreateContactInput!) {
  createContact(input: $input) { contact { repositoryId } userErrors { code field } } }"""
UPDATE = """mutation($id: ID!, $input: UpdateContactInput!) {
  updateContact(id: $id, input: $input) { contact { firstName } userErrors { code } } }"""
DEACTIVATE = """mutation($id: ID!) {
  deactivateContact(id: $id) { contact { active } userErrors { code } } }"""
GRANT = """mutation($id: ID!, $roles: [RoleInput!]!) {
  grantRoles(contactId: $id, roles: $roles) { contact { repositoryId } userErrors { code } } }"""
APPEND = """mutation($id: ID!, $orgs: [ID!]!) {
  appendSecondaryOrganizations(contactId: $id, organizationIds: $orgs) {
    contact { repositoryId } userErrors { code field } } }"""
MEMBERS = """mutation($id: ID!, $profiles: [ID!]!) {
  updateOrganizationMembers(id: $id, profileIds: $profiles) {
    members { repositoryId } userErrors { code field } } }"""


async def run(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def refused(body: dict[str, Any], field: str) -> None:
    """A top-level FORBIDDEN, the mutation field null."""
    assert body["data"] == {field: None}, body
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]


async def profile_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(models.Profile)) or 0)


async def lend(client: httpx.AsyncClient, organization_id: str, on: bool = True) -> None:
    response = await client.put(
        f"/ccadmin/v1/organizations/{organization_id}", json={"rolesApplyToDivisions": on}
    )
    assert response.status_code == 200, response.text
    assert response.json()["rolesApplyToDivisions"] is on


@pytest.fixture
async def shelly(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> AsyncIterator[httpx.AsyncClient]:
    """The demo shopper: admin of Sample."""
    async with shopper_client(SHELLY) as client:
        yield client


async def test_an_accounts_admin_creates_a_contact_there_named_in_history(
    shelly: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    body = await run(
        shelly, CREATE, input={"email": "new@example.com", "parentOrganizationId": SAMPLE}
    )

    payload = body["data"]["createContact"]
    assert payload["userErrors"] == []
    created = payload["contact"]["repositoryId"]
    history = [row for row in await history_of(engine, "profile") if row.entity_id == created]
    assert {row.actor for row in history} == {f"shopper:{SHELLY}"}


async def test_a_member_without_the_admin_role_is_refused_and_nothing_changes(
    client: httpx.AsyncClient,
    shopper_client: Callable[[str], httpx.AsyncClient],
    session: AsyncSession,
    engine: AsyncEngine,
) -> None:
    buyer = await create_contact(client, "buyer@example.com")
    assert (await grant(client, buyer["id"], role("buyer"))).status_code == 200
    count, events = await profile_count(session), await events_of(engine)

    async with shopper_client(buyer["id"]) as shopper:
        created = await run(
            shopper, CREATE, input={"email": "x@example.com", "parentOrganizationId": SAMPLE}
        )
        updated = await run(shopper, UPDATE, id=SHELLY, input={"firstName": "Mallory"})
        granted = await run(
            shopper, GRANT, id=buyer["id"], roles=[{"function": "ADMIN", "organizationId": SAMPLE}]
        )

    refused(created, "createContact")
    refused(updated, "updateContact")
    refused(granted, "grantRoles")
    assert await profile_count(session) == count
    assert await events_of(engine) == events
    shelly_now = (await client.get(f"{PROFILES}/{SHELLY}")).json()
    assert shelly_now["firstName"] == "Shelly"
    assert [
        r["function"] for r in (await client.get(f"{PROFILES}/{buyer['id']}")).json()["roles"]
    ] == ["buyer"]


async def test_an_account_the_shopper_is_not_a_member_of_is_answered_as_missing(
    shelly: httpx.AsyncClient, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    outsider = await create_contact(client, "east@example.com", parent=EAST)
    count = await profile_count(session)

    created = await run(
        shelly, CREATE, input={"email": "y@example.com", "parentOrganizationId": EAST}
    )
    missing = await run(
        shelly, CREATE, input={"email": "y@example.com", "parentOrganizationId": "nope"}
    )
    updated = await run(shelly, UPDATE, id=outsider["id"], input={"firstName": "Z"})
    nobody = await run(shelly, UPDATE, id="nobody", input={"firstName": "Z"})

    assert created["data"]["createContact"]["userErrors"] == [
        {"code": "100001", "field": "parentOrganizationId"}
    ]
    assert (
        missing["data"]["createContact"]["userErrors"]
        == created["data"]["createContact"]["userErrors"]
    )
    assert updated["data"]["updateContact"] == nobody["data"]["updateContact"]
    assert updated["data"]["updateContact"]["userErrors"] == [{"code": "22002"}]
    assert await profile_count(session) == count


async def test_a_parents_admin_acts_in_a_division_only_when_its_roles_apply_to_them(
    shelly: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    division_contact = await create_contact(client, "east.buyer@example.com", parent=EAST)
    variables = {
        "id": division_contact["id"],
        "roles": [{"function": "BUYER", "organizationId": EAST}],
    }

    before = await run(shelly, GRANT, **variables)
    await lend(client, SAMPLE)
    after = await run(shelly, GRANT, **variables)
    await lend(client, SAMPLE, on=False)
    again = await run(shelly, GRANT, **variables)

    assert before["data"]["grantRoles"]["userErrors"] == [{"code": "22002"}]
    assert after["data"]["grantRoles"] == {
        "contact": {"repositoryId": division_contact["id"]},
        "userErrors": [],
    }
    assert again["data"]["grantRoles"]["userErrors"] == [{"code": "22002"}]


async def test_a_shopper_may_not_deactivate_themselves(
    shelly: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    body = await run(shelly, DEACTIVATE, id=SHELLY)

    refused(body, "deactivateContact")
    assert (await client.get(f"{PROFILES}/{SHELLY}")).json()["active"] is True


async def test_an_admin_deactivates_another_contact_of_the_account(
    shelly: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    colleague = await create_contact(client, "colleague@example.com")

    body = await run(shelly, DEACTIVATE, id=colleague["id"])

    assert body["data"]["deactivateContact"] == {"contact": {"active": False}, "userErrors": []}


async def test_an_inactive_contact_is_refused_as_if_a_stranger(
    shelly: httpx.AsyncClient, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    response = await client.put(f"{PROFILES}/{SHELLY}", json={"active": False})
    assert response.status_code == 200, response.text
    count = await profile_count(session)

    body = await run(
        shelly, CREATE, input={"email": "z@example.com", "parentOrganizationId": SAMPLE}
    )

    assert body["data"]["createContact"]["userErrors"] == [
        {"code": "100001", "field": "parentOrganizationId"}
    ]
    assert await profile_count(session) == count


async def test_a_deactivated_account_is_not_managed(
    shelly: httpx.AsyncClient, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    response = await client.put(f"/ccadmin/v1/organizations/{SAMPLE}", json={"active": False})
    assert response.status_code == 200, response.text
    count = await profile_count(session)

    body = await run(
        shelly, CREATE, input={"email": "z@example.com", "parentOrganizationId": SAMPLE}
    )

    refused(body, "createContact")
    assert await profile_count(session) == count


async def test_memberships_need_the_admin_role_in_every_organization_changed(
    shelly: httpx.AsyncClient, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    colleague = await create_contact(client, "member@example.com")
    stranger = await create_contact(client, "stranger@example.com", parent=EAST)
    events = await events_of(engine)

    into_east = await run(shelly, APPEND, id=colleague["id"], orgs=[EAST])
    pulled = await run(
        shelly, MEMBERS, id=SAMPLE, profiles=[SHELLY, colleague["id"], stranger["id"]]
    )

    assert into_east["data"]["appendSecondaryOrganizations"]["userErrors"] == [
        {"code": "100001", "field": "organizationIds[0]"}
    ]
    assert pulled["data"]["updateOrganizationMembers"]["userErrors"] == [
        {"code": "22002", "field": "profileIds[2]"}
    ]
    assert await events_of(engine) == events


async def test_the_merchant_admin_still_may_do_everything(client: httpx.AsyncClient) -> None:
    body = await run(client, CREATE, input={"email": "m@example.com", "parentOrganizationId": EAST})

    assert body["data"]["createContact"]["userErrors"] == []


async def test_a_member_without_the_role_is_refused_before_their_input_is_read(
    client: httpx.AsyncClient, shopper_client: Callable[[str], httpx.AsyncClient]
) -> None:
    buyer = await create_contact(client, "curious.buyer@example.com")
    assert (await grant(client, buyer["id"], role("buyer"))).status_code == 200
    broken = {"email": "not an email", "lastName": "x" * 500}

    async with shopper_client(buyer["id"]) as shopper:
        created = await run(shopper, CREATE, input={**broken, "parentOrganizationId": SAMPLE})
        updated = await run(shopper, UPDATE, id=SHELLY, input=broken)

    refused(created, "createContact")
    refused(updated, "updateContact")


async def test_broken_input_for_another_account_is_answered_as_for_a_missing_one(
    shelly: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    outsider = await create_contact(client, "east.outsider@example.com", parent=EAST)
    broken = {"email": "not an email"}

    other = await run(shelly, CREATE, input={**broken, "parentOrganizationId": EAST})
    missing = await run(shelly, CREATE, input={**broken, "parentOrganizationId": "nope"})
    stranger = await run(shelly, UPDATE, id=outsider["id"], input=broken)
    nobody = await run(shelly, UPDATE, id="nobody", input=broken)
    own = await run(shelly, CREATE, input={**broken, "parentOrganizationId": SAMPLE})

    assert other["data"] == missing["data"]
    assert other["data"]["createContact"]["userErrors"] == [
        {"code": "100001", "field": "parentOrganizationId"}
    ]
    assert stranger["data"] == nobody["data"]
    assert stranger["data"]["updateContact"]["userErrors"] == [{"code": "22002"}]
    assert own["data"]["createContact"]["userErrors"] == [{"code": "100002", "field": "email"}]
