"""A shopper sees the organizations below a member organization whose roles apply to
divisions (core.organizations.membership), the same on every transport; above it, only
breadcrumbs (id and name); with the setting off, nothing of them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.access.principals import Principal, Role
from orgql.core.events import audience as audiences
from orgql.core.events.audience import LiveEvent
from orgql.core.events.outbox import EventType
from orgql.db import history_models, models
from orgql.db.event_models import OutboxEvent

SAMPLE, EAST, BRANCH = "100001", "100002", "100003"  # demo: Sample > Sample East > 100003
SHELLY = "110000"  # a member (admin) of Sample
STORE = "/ccstore/v1/organizations"
ONE = """query($id: ID!) { organization(id: $id) {
  repositoryId rolesApplyToDivisions ancestorOrganizations { repositoryId name } } }"""
PAGE = "{ organizations(first: 100) { totalCount edges { node { repositoryId } } } }"
SET = """mutation($id: ID!, $on: Boolean!) {
  updateOrganization(id: $id, input: {rolesApplyToDivisions: $on}) {
    organization { rolesApplyToDivisions } userErrors { code } } }"""


async def run(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def lend(client: httpx.AsyncClient, organization_id: str, on: bool) -> None:
    data = await run(client, SET, id=organization_id, on=on)
    assert data["updateOrganization"] == {
        "organization": {"rolesApplyToDivisions": on},
        "userErrors": [],
    }


@pytest.fixture
async def shelly(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> AsyncIterator[httpx.AsyncClient]:
    async with shopper_client(SHELLY) as client:
        yield client


async def test_a_division_is_seen_only_while_the_parents_roles_apply_to_it(
    client: httpx.AsyncClient, shelly: httpx.AsyncClient
) -> None:
    off = await run(shelly, ONE, id=BRANCH)
    await lend(client, SAMPLE, True)
    on = await run(shelly, ONE, id=BRANCH)
    await lend(client, SAMPLE, False)
    off_again = await run(shelly, ONE, id=BRANCH)

    assert off == off_again == {"organization": None}
    assert on == {
        "organization": {
            "repositoryId": BRANCH,
            "rolesApplyToDivisions": False,
            "ancestorOrganizations": [
                {"repositoryId": SAMPLE, "name": "Sample"},
                {"repositoryId": EAST, "name": "Sample East"},
            ],
        }
    }


async def test_the_page_holds_the_whole_subtree_of_a_lending_membership(
    client: httpx.AsyncClient, shelly: httpx.AsyncClient, session: AsyncSession
) -> None:
    org = models.Organization
    below = await session.scalar(
        select(func.count()).select_from(org).where(org.path.contains([SAMPLE]))
    )

    off = await run(shelly, PAGE)
    await lend(client, SAMPLE, True)
    on = await run(shelly, PAGE)

    assert off["organizations"]["totalCount"] == 1
    assert on["organizations"]["totalCount"] == 1 + int(below or 0)
    ids = {edge["node"]["repositoryId"] for edge in on["organizations"]["edges"]}
    assert {SAMPLE, EAST, BRANCH} <= ids


async def test_the_store_read_answers_a_division_from_above_and_keeps_breadcrumbs_above_it(
    client: httpx.AsyncClient, shopper_client: Callable[[str], httpx.AsyncClient]
) -> None:
    created = await client.post(
        "/ccadmin/v1/profiles",
        json={"email": "east.admin@example.com", "parentOrganization": {"id": EAST}},
    )
    east_admin = created.json()["id"]
    async with shopper_client(east_admin) as shopper:
        refused = await shopper.get(f"{STORE}/{BRANCH}")
        response = await client.put(
            f"/ccadmin/v1/organizations/{EAST}", json={"rolesApplyToDivisions": True}
        )
        assert response.status_code == 200, response.text
        allowed = await shopper.get(f"{STORE}/{BRANCH}")
        above = await shopper.get(f"{STORE}/{SAMPLE}")

    assert (refused.status_code, refused.json()["errorCode"]) == (404, "100001")
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["ancestorOrganizations"] == [
        {"id": SAMPLE, "repositoryId": SAMPLE, "name": "Sample"},  # a breadcrumb
        {"id": EAST, "repositoryId": EAST, "name": "Sample East", "active": True},  # theirs
    ]
    assert (above.status_code, above.json()["errorCode"]) == (404, "100001")


async def test_a_subscriber_receives_the_changes_of_divisions_by_their_path(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await lend(client, SAMPLE, True)
    audience = await audiences.load(session, Principal(Role.SHOPPER, SHELLY))
    assert audience is not None

    def change(organization_id: str, path: tuple[str, ...]) -> LiveEvent:
        return LiveEvent(
            1,
            "e",
            EventType.ORGANIZATION_UPDATED,
            organization_id,
            datetime.now(UTC),
            {"changed": ["name"]},
            organization_path=path,
            organization_active=True,
        )

    below = change(BRANCH, (SAMPLE, EAST))
    assert audience.members == {SAMPLE}
    assert audience.receives(below) == below
    assert audience.receives(change("elsewhere", ("999999",))) is None
    turned = LiveEvent(
        2,
        "f",
        EventType.ORGANIZATION_UPDATED,
        SAMPLE,
        datetime.now(UTC),
        {"changed": ["rolesApplyToDivisions"]},
    )
    assert audience.follow(turned)  # read again; narrowed until then
    assert audience.receives(below) is None


async def test_changing_the_setting_is_an_update_in_history_and_events(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await lend(client, EAST, True)

    history = history_models.OrganizationHistory
    rows = list(
        await session.scalars(
            select(history).where(history.entity_kind == "organization", history.entity_id == EAST)
        )
    )
    changed = [r for r in rows if r.before and r.after and r.before != r.after]
    assert [
        (r.before["roles_apply_to_divisions"], r.after["roles_apply_to_divisions"]) for r in changed
    ] == [(False, True)]
    assert changed[0].actor.startswith("admin:")
    event = OutboxEvent
    found = list(
        await session.scalars(
            select(event.payload).where(
                event.type == "organization.updated", event.organization_id == EAST
            )
        )
    )
    assert [payload["changed"] for payload in found] == [["rolesApplyToDivisions"]]
