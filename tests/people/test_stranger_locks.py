"""A shopper's mutation of an account they are not a member of is answered exactly as one
of a missing id (100001), and its check takes no lock on that account's rows: it neither
waits for a transaction of that account (which would tell, by a 503 or by the wait, that
the account exists and is busy) nor makes one of theirs wait.

Two real connections, no timing: a transaction of the stranger's account holds its row (or
a member's row) while the shopper's mutation runs on an app whose lock timeout is 100 ms;
a lock wait there answers 503."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import httpx
import pytest
from people_support import EAST, ORGANIZATIONS, SAMPLE, SHELLY, create_contact, grant, role
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from graphql_client import SAMPLE_ADDRESS_LINES
from orgql.app import create_app
from orgql.db import models
from orgql.db.engine import make_sessionmaker
from orgql.settings import Settings

MISSING = "999999"

MEMBERS = """mutation($id: ID!, $profiles: [ID!]!) {
  updateOrganizationMembers(id: $id, profileIds: $profiles) {
    members { repositoryId } userErrors { code field message } } }"""

ADD_ADDRESS = """mutation($org: ID!, $input: OrganizationAddressInput!) {
  addOrganizationAddress(organizationId: $org, input: $input) {
    address { addressType } userErrors { code field message } } }"""

LINES = SAMPLE_ADDRESS_LINES


@pytest.fixture
async def impatient_shopper(
    database_url: str,
    identity_provider: Any,  # conftest.IdentityProvider
    client_for: Callable[..., httpx.AsyncClient],
) -> AsyncIterator[Callable[[str], httpx.AsyncClient]]:
    """Clients (``async with``) of an app whose statements wait 100 ms at most for a lock,
    signed in as the shopper given."""
    settings = Settings(
        database_url=database_url,
        db_statement_timeout_seconds=30,
        db_lock_timeout_seconds=0.1,
        shopper_issuer=identity_provider.issuer,
        shopper_audience=identity_provider.audience,
        shopper_public_key=identity_provider.public_pem,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state:

        def make(profile_id: str) -> httpx.AsyncClient:
            live: Mapping[str, Any] = state or {}
            return client_for(app, live, token=identity_provider.token(profile_id))

        yield make


async def stranger(client: httpx.AsyncClient) -> str:
    """An admin of an account of their own, which has nothing to do with Sample's."""
    created = await client.post(ORGANIZATIONS, json={"name": "Stranger Co"})
    assert created.status_code == 200, created.text
    organization = created.json()["id"]
    contact = (await create_contact(client, "stranger@example.com", parent=organization))["id"]
    assert (await grant(client, contact, role("admin", organization))).status_code == 200
    return contact


async def test_a_strangers_members_update_waits_for_no_lock_of_the_account(
    engine: AsyncEngine,
    client: httpx.AsyncClient,
    impatient_shopper: Callable[[str], httpx.AsyncClient],
) -> None:
    caller = await stranger(client)

    async def members(organization_id: str) -> httpx.Response:
        variables = {"id": organization_id, "profiles": []}
        async with impatient_shopper(caller) as shopper:
            return await shopper.post("/graphql", json={"query": MEMBERS, "variables": variables})

    async with make_sessionmaker(engine)() as busy, busy.begin():
        # A transaction of Sample's holds one of its members (as a change of that contact).
        profile = models.Profile
        await busy.execute(select(profile.id).where(profile.id == SHELLY).with_for_update())
        answer = await members(SAMPLE)
        await busy.rollback()
    missing = await members(MISSING)

    assert answer.status_code == missing.status_code == 200, answer.text
    refused = answer.json()["data"]["updateOrganizationMembers"]
    assert refused["members"] is None
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("100001", "id")]
    expected = missing.json()["data"]["updateOrganizationMembers"]["userErrors"]
    assert refused["userErrors"] == [
        {**e, "message": e["message"].replace(MISSING, SAMPLE)} for e in expected
    ]


async def test_a_member_of_a_parent_that_lends_nothing_waits_for_no_lock_of_a_division(
    engine: AsyncEngine,
    impatient_shopper: Callable[[str], httpx.AsyncClient],
) -> None:
    # Shelly is an admin of Sample, whose roles do not apply to its divisions (the default):
    # East is an account she is not a member of, answered as a missing one.
    async def add(organization_id: str) -> httpx.Response:
        variables = {"org": organization_id, "input": {"addressType": "Dock", "address": LINES}}
        async with impatient_shopper(SHELLY) as shopper:
            return await shopper.post(
                "/graphql", json={"query": ADD_ADDRESS, "variables": variables}
            )

    async with make_sessionmaker(engine)() as busy, busy.begin():
        organization = models.Organization
        await busy.execute(select(organization.id).where(organization.id == EAST).with_for_update())
        answer = await add(EAST)
        await busy.rollback()
    missing = await add(MISSING)

    assert answer.status_code == missing.status_code == 200, answer.text
    refused = answer.json()["data"]["addOrganizationAddress"]
    assert refused["address"] is None
    assert [e["code"] for e in refused["userErrors"]] == ["100001"]
    expected = missing.json()["data"]["addOrganizationAddress"]["userErrors"]
    assert refused["userErrors"] == [
        {**e, "message": e["message"].replace(MISSING, EAST)} for e in expected
    ]


UPDATE_CONTACT = """mutation($id: ID!, $input: UpdateContactInput!) {
  updateContact(id: $id, input: $input) { contact { id } userErrors { code field message } } }"""
REVOKE = """mutation($id: ID!, $roles: [RoleInput!]!) {
  revokeRoles(contactId: $id, roles: $roles) {
    contact { id } userErrors { code field message } } }"""


@pytest.mark.parametrize(
    ("name", "document", "variables"),
    [
        ("updateContact", UPDATE_CONTACT, {"input": {"firstName": "Eve"}}),
        ("revokeRoles", REVOKE, {"roles": [{"function": "ADMIN", "organizationId": SAMPLE}]}),
    ],
)
async def test_a_strangers_change_of_a_contact_waits_for_no_lock_of_the_contact(
    engine: AsyncEngine,
    client: httpx.AsyncClient,
    impatient_shopper: Callable[[str], httpx.AsyncClient],
    name: str,
    document: str,
    variables: dict[str, Any],
) -> None:
    caller = await stranger(client)

    async def change(profile_id: str) -> httpx.Response:
        async with impatient_shopper(caller) as shopper:
            body = {"query": document, "variables": {**variables, "id": profile_id}}
            return await shopper.post("/graphql", json=body)

    async with make_sessionmaker(engine)() as busy, busy.begin():
        # A transaction of Sample's holds its contact's row (as a change of that contact).
        profile = models.Profile
        await busy.execute(select(profile.id).where(profile.id == SHELLY).with_for_update())
        answer = await change(SHELLY)
        await busy.rollback()
    missing = await change(MISSING)

    assert answer.status_code == missing.status_code == 200, (answer.text, missing.text)
    refused = answer.json()["data"][name]
    assert refused["contact"] is None
    argument = "contactId" if name == "revokeRoles" else "id"  # what names the contact
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("22002", argument)]
    expected = missing.json()["data"][name]["userErrors"]
    assert refused["userErrors"] == [
        {**e, "message": e["message"].replace(MISSING, SHELLY)} for e in expected
    ]
