"""A contact's organizations over REST: the vendor's appendSecondaryOrganizations,
removeSecondaryOrganizations, replaceSecondaryOrganizations and updateParentOrganization."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
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
from sqlalchemy.ext.asyncio import AsyncEngine

PURCHASING = "100003"


def orgs(*ids: str) -> dict[str, Any]:
    return {"secondaryOrganizations": [{"id": org} for org in ids]}


async def secondary_ids(client: httpx.AsyncClient, profile_id: str) -> list[str]:
    body = (await client.get(f"{PROFILES}/{profile_id}")).json()
    return [org["id"] for org in body["secondaryOrganizations"]]


async def test_appended_organizations_are_secondary_ones(client: httpx.AsyncClient) -> None:
    contact = await create_contact(client, "al@example.com")
    url = f"{PROFILES}/{contact['id']}/appendSecondaryOrganizations"

    response = await client.post(url, json=orgs(EAST, PURCHASING))

    assert response.status_code == 200
    assert response.json() == {
        "links": [{"rel": "self", "href": f"http://localhost:9080{url}"}],
        "secondaryOrganizations": [{"id": EAST}, {"id": PURCHASING}],
    }
    assert await secondary_ids(client, contact["id"]) == [EAST, PURCHASING]
    again = await client.post(url, json=orgs(EAST, SAMPLE))  # members already: no change
    assert again.status_code == 200
    assert await secondary_ids(client, contact["id"]) == [EAST, PURCHASING]


async def test_a_removed_organization_takes_the_roles_held_there(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    contact = await create_contact(client, "bea@example.com")
    profile_id = contact["id"]
    await client.post(f"{PROFILES}/{profile_id}/appendSecondaryOrganizations", json=orgs(EAST))
    await grant(client, profile_id, role("buyer", EAST))

    response = await client.post(
        f"{PROFILES}/{profile_id}/removeSecondaryOrganizations", json=orgs(EAST)
    )

    assert response.status_code == 200
    assert response.json()["secondaryOrganizations"] == [{"id": EAST}]
    body = (await client.get(f"{PROFILES}/{profile_id}")).json()
    assert (body["secondaryOrganizations"], body["roles"]) == ([], [])
    told = [(kind, data) for kind, _, data in await events_of(engine)][-2:]
    assert [kind for kind, _ in told] == ["role.revoked", "membership.removed"]
    members = [row for row in await history_of(engine, "member") if profile_id in row.entity_id]
    assert [(row.operation, row.organization_id) for row in members][-1] == ("delete", EAST)


async def test_only_secondary_organizations_can_be_removed(client: httpx.AsyncClient) -> None:
    contact = await create_contact(client, "cat@example.com")
    url = f"{PROFILES}/{contact['id']}/removeSecondaryOrganizations"

    parent = await client.post(url, json=orgs(SAMPLE))
    stranger = await client.post(url, json=orgs(EAST))
    empty = await client.post(url, json={"colour": "red"})
    nobody = await client.post(f"{PROFILES}/nobody/removeSecondaryOrganizations", json=orgs(EAST))

    for response in (parent, stranger):
        assert (response.status_code, response.json()["errorCode"]) == (400, "100002")
        assert response.json()["o:errorPath"] == "secondaryOrganizations[0].id"
    assert {e["o:errorPath"] for e in empty.json()["errors"]} == {
        "colour",
        "secondaryOrganizations",
    }
    assert (nobody.status_code, nobody.json()["errorCode"]) == (404, "22002")


async def test_replaced_organizations_are_exactly_those_given(client: httpx.AsyncClient) -> None:
    contact = await create_contact(client, "dan@example.com")
    profile_id = contact["id"]
    await client.post(f"{PROFILES}/{profile_id}/appendSecondaryOrganizations", json=orgs(EAST))

    response = await client.post(
        f"{PROFILES}/{profile_id}/replaceSecondaryOrganizations", json=orgs(PURCHASING, SAMPLE)
    )

    assert response.status_code == 200
    assert response.json()["secondaryOrganizations"] == [{"id": PURCHASING}]
    assert await secondary_ids(client, profile_id) == [PURCHASING]
    unknown = await client.post(
        f"{PROFILES}/{profile_id}/replaceSecondaryOrganizations", json=orgs("nowhere")
    )
    assert (unknown.status_code, unknown.json()["errorCode"]) == (400, "100001")
    assert await secondary_ids(client, profile_id) == [PURCHASING]


async def test_a_new_parent_keeps_the_old_one_as_a_secondary_organization_with_its_roles(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    contact = await create_contact(client, "eli@example.com")
    profile_id = contact["id"]
    await grant(client, profile_id, role("buyer"))
    url = f"{PROFILES}/{profile_id}/updateParentOrganization"

    response = await client.post(url, json={"parentOrganization": {"id": EAST}})

    assert response.status_code == 200
    assert response.json() == {
        "links": [{"rel": "self", "href": f"http://localhost:9080{url}"}],
        "parentOrganization": {"id": EAST},
    }
    body = (await client.get(f"{PROFILES}/{profile_id}")).json()
    assert body["parentOrganization"]["id"] == EAST
    assert [org["id"] for org in body["secondaryOrganizations"]] == [SAMPLE]
    assert [(r["function"], r["relativeTo"]["id"]) for r in body["roles"]] == [("buyer", SAMPLE)]
    changed = [e for e in await events_of(engine) if e[0] == "contact.parentOrganizationChanged"]
    assert changed == [
        (
            "contact.parentOrganizationChanged",
            EAST,
            {"id": profile_id, "fromOrganizationId": SAMPLE, "toOrganizationId": EAST},
        )
    ]


async def test_bad_parent_requests_are_refused(client: httpx.AsyncClient) -> None:
    contact = await create_contact(client, "flo@example.com")
    url = f"{PROFILES}/{contact['id']}/updateParentOrganization"

    unknown = await client.post(url, json={"parentOrganization": {"id": "nowhere"}})
    missing = await client.post(url, json={})

    assert (unknown.status_code, unknown.json()["errorCode"]) == (400, "100001")
    assert unknown.json()["o:errorPath"] == "parentOrganization.id"
    assert (missing.status_code, missing.json()["errorCode"]) == (400, "100002")


async def test_only_an_admin_may_change_a_contacts_organizations(
    anonymous_client: httpx.AsyncClient,
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    async with shopper_client(SHELLY) as shopper:
        for caller in (anonymous_client, shopper):
            for operation in (
                "appendSecondaryOrganizations",
                "removeSecondaryOrganizations",
                "replaceSecondaryOrganizations",
            ):
                response = await caller.post(f"{PROFILES}/{SHELLY}/{operation}", json=orgs(EAST))
                assert response.status_code == 401
            parent = await caller.post(
                f"{PROFILES}/{SHELLY}/updateParentOrganization",
                json={"parentOrganization": {"id": EAST}},
            )
            assert parent.status_code == 401


async def test_an_organizations_members_are_replaced_by_its_update(
    client: httpx.AsyncClient,
) -> None:
    contact = await create_contact(client, "gil@example.com", parent=EAST)
    url = f"/ccadmin/v1/organizations/{SAMPLE}"
    version = (await client.get(url)).headers["etag"]

    response = await client.put(url, json={"members": [contact["id"]]})

    assert response.status_code == 200
    assert response.json()["members"] == [{"repositoryId": contact["id"]}]
    assert response.headers["etag"] != version
    shelly = (await client.get(f"{PROFILES}/{SHELLY}")).json()
    assert (shelly["parentOrganization"], shelly["roles"]) == (None, [])


async def test_bad_members_change_nothing(client: httpx.AsyncClient) -> None:
    url = f"/ccadmin/v1/organizations/{SAMPLE}"
    contact = await create_contact(client, "hex@example.com")
    await grant(client, contact["id"], role("approver"))
    await client.post(
        f"{url}/updateSiteOrganizationProperties",
        json={
            "siteOrganizationProperties": [
                {"site": {"id": "siteUS"}, "properties": {"approvalRequired": True}}
            ]
        },
    )

    unknown = await client.put(url, json={"members": ["nobody"], "description": "Changed"})
    last_approver = await client.put(url, json={"members": [SHELLY]})
    dry_run = await client.put(f"{url}?dryRun=true", json={"members": [SHELLY]})

    assert (unknown.status_code, unknown.json()["errorCode"]) == (400, "22002")
    assert unknown.json()["o:errorPath"] == "members[0]"
    assert (last_approver.status_code, last_approver.json()["errorCode"]) == (409, "100083")
    assert (dry_run.status_code, dry_run.json()["errorCode"]) == (400, "100002")
    after = (await client.get(url)).json()
    assert after["description"] is None
    assert {m["repositoryId"] for m in after["members"]} == {SHELLY, contact["id"]}


async def test_a_dry_run_may_send_back_the_members_get_shows(client: httpx.AsyncClient) -> None:
    """A full-object dry run (GET, change a value, PUT ?dryRun=true) sends ``members`` as GET
    showed them: taken, in any order, as no change; another set is still refused."""
    await create_contact(client, "ivy@example.com", parent=SAMPLE)
    url = f"/ccadmin/v1/organizations/{SAMPLE}"
    shown = (await client.get(url)).json()
    version = (await client.get(url)).headers["etag"]
    members = [m["repositoryId"] for m in shown["members"]]

    same = await client.put(
        f"{url}?dryRun=true", json={"members": members[::-1], "description": "Changed"}
    )
    other = await client.put(f"{url}?dryRun=true", json={"members": members[:-1]})

    assert len(members) > 1
    assert (same.status_code, same.json()["dryRun"]) == (200, True)
    assert (other.status_code, other.json()["errorCode"]) == (400, "100002")
    after = await client.get(url)
    assert (after.headers["etag"], after.json()["description"]) == (version, None)
