"""Contacts over REST: POST/GET/PUT /ccadmin/v1/profiles[/{id}], the look-ups, and their
errors; what each change records (history) and emits (events)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from people_support import (
    PROFILES,
    SAMPLE,
    SHELLY,
    create_contact,
    events_of,
    history_of,
)
from sqlalchemy.ext.asyncio import AsyncEngine


async def test_a_created_contact_answers_with_its_values_and_organizations(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        PROFILES,
        json={
            "firstName": "Ada",
            "lastName": "Lovelace",
            "email": " Ada@Example.com ",
            "customerContactId": "CRM-1",
            "receiveEmail": "yes",
            "parentOrganization": {"id": SAMPLE},
            "secondaryOrganizations": [{"id": "100002"}],
        },
    )

    assert response.status_code == 201
    body = response.json()
    profile_id = body["id"]
    assert body == {
        "id": profile_id,
        "repositoryId": profile_id,
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": "Ada@Example.com",
        "customerContactId": "CRM-1",
        "partyId": None,
        "partyNumber": None,
        "receiveEmail": "yes",
        "active": True,
        "parentOrganization": {"id": SAMPLE, "repositoryId": SAMPLE, "name": "Sample"},
        "secondaryOrganizations": [
            {"id": "100002", "repositoryId": "100002", "name": "Sample East"}
        ],
        "roles": [],
        "links": [{"rel": "self", "href": f"http://localhost:9080{PROFILES}/{profile_id}"}],
    }
    assert (await client.get(f"{PROFILES}/{profile_id}")).json() == body
    members = (await client.get(f"/ccadmin/v1/organizations/{SAMPLE}")).json()["members"]
    assert {"repositoryId": profile_id} in members


async def test_an_email_is_taken_whatever_its_case(client: httpx.AsyncClient) -> None:
    await create_contact(client, "grace@example.com")

    response = await client.post(PROFILES, json={"email": "GRACE@example.COM"})

    assert response.status_code == 409
    assert response.json()["errorCode"] == "22003"
    assert response.json()["o:errorPath"] == "email"
    existing = await client.put(f"{PROFILES}/{SHELLY}", json={"email": "Grace@Example.com"})
    assert existing.status_code == 409
    assert existing.json()["errorCode"] == "22003"


async def test_bad_contact_input_is_refused_with_every_problem(client: httpx.AsyncClient) -> None:
    response = await client.post(
        PROFILES, json={"email": "not an address", "firstName": 7, "colour": "red"}
    )

    assert response.status_code == 400
    problems = {(e["errorCode"], e.get("o:errorPath")) for e in response.json()["errors"]}
    assert problems == {
        ("100002", "colour"),
        ("100002", "email"),
        ("100002", "firstName"),
    }
    missing = await client.post(PROFILES, json={"firstName": "Nobody"})
    assert (missing.status_code, missing.json()["o:errorPath"]) == (400, "email")
    too_long = await client.post(PROFILES, json={"email": "a@example.com", "lastName": "x" * 255})
    assert (too_long.status_code, too_long.json()["errorCode"]) == (400, "00004")


async def test_an_unknown_organization_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        PROFILES,
        json={"email": "lost@example.com", "secondaryOrganizations": [{"id": "nowhere"}]},
    )

    assert response.status_code == 400
    assert response.json()["errorCode"] == "100001"
    assert response.json()["o:errorPath"] == "secondaryOrganizations[0].id"
    assert (await client.get(PROFILES, params={"email": "lost@example.com"})).json()[
        "totalResults"
    ] == 0


async def test_an_unknown_profile_is_404(client: httpx.AsyncClient) -> None:
    for response in (
        await client.get(f"{PROFILES}/nobody"),
        await client.put(f"{PROFILES}/nobody", json={"firstName": "X"}),
    ):
        assert response.status_code == 404
        assert response.json()["errorCode"] == "22002"


async def test_contacts_are_looked_up_by_email_and_external_id(client: httpx.AsyncClient) -> None:
    first = await create_contact(client, "one@example.com", customerContactId="EXT-7")
    second = await create_contact(client, "two@example.com", customerContactId="EXT-7")

    by_email = (await client.get(PROFILES, params={"email": "ONE@example.com"})).json()
    by_external = (await client.get(PROFILES, params={"customerContactId": "EXT-7"})).json()
    paged = (await client.get(PROFILES, params={"limit": 1, "offset": 1})).json()

    assert [item["id"] for item in by_email["items"]] == [first["id"]]
    assert [item["id"] for item in by_external["items"]] == [first["id"], second["id"]]
    assert by_external["totalResults"] == 2
    assert (paged["limit"], paged["offset"], paged["totalResults"]) == (1, 1, 3)
    assert len(paged["items"]) == 1
    refused = await client.get(PROFILES, params={"limit": 9999})
    assert (refused.status_code, refused.json()["errorCode"]) == (400, "100002")


async def test_an_update_changes_only_what_it_names(client: httpx.AsyncClient) -> None:
    created = await create_contact(client, "kim@example.com", firstName="Kim", lastName="Lee")

    response = await client.put(
        f"{PROFILES}/{created['id']}", json={"lastName": "Park", "receiveEmail": True}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["firstName"], body["lastName"], body["receiveEmail"]) == ("Kim", "Park", "yes")
    bad = await client.put(f"{PROFILES}/{created['id']}", json={"active": "perhaps"})
    assert (bad.status_code, bad.json()["errorCode"]) == (400, "100002")


async def test_a_deactivated_contact_stays_readable_and_can_come_back(
    client: httpx.AsyncClient,
) -> None:
    created = await create_contact(client, "pat@example.com")
    url = f"{PROFILES}/{created['id']}"

    deactivated = await client.put(url, json={"active": False})
    reactivated = await client.put(url, json={"active": True})

    assert deactivated.json()["active"] is False
    assert reactivated.json()["active"] is True


async def test_changes_are_recorded_in_history_and_emitted_as_events(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    created = await create_contact(client, "lee@example.com", firstName="Lee")
    profile_id = created["id"]
    await client.put(f"{PROFILES}/{profile_id}", json={"firstName": "Leigh"})
    await client.put(f"{PROFILES}/{profile_id}", json={"active": False})

    assert await events_of(engine) == [
        ("contact.created", SAMPLE, {"id": profile_id, "parentOrganizationId": SAMPLE}),
        ("membership.added", SAMPLE, {"organizationId": SAMPLE, "profileId": profile_id}),
        ("contact.updated", SAMPLE, {"id": profile_id, "changed": ["firstName"]}),
        ("contact.deactivated", SAMPLE, {"id": profile_id}),
    ]
    history = [row for row in await history_of(engine, "profile") if row.entity_id == profile_id]
    assert [row.operation for row in history] == ["insert", "update", "update"]
    assert history[1].before is not None
    assert history[1].after is not None
    assert (history[1].before["first_name"], history[1].after["first_name"]) == ("Lee", "Leigh")
    assert {row.actor for row in history} == {"admin:test-suite"}
    assert {row.organization_id for row in history} == {SAMPLE}


async def test_only_an_admin_may_read_or_change_contacts(
    anonymous_client: httpx.AsyncClient,
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    async with shopper_client(SHELLY) as shopper:
        for caller in (anonymous_client, shopper):
            for response in (
                await caller.get(f"{PROFILES}/{SHELLY}"),
                await caller.get(PROFILES),
                await caller.post(PROFILES, json={"email": "sneaky@example.com"}),
                await caller.put(f"{PROFILES}/{SHELLY}", json={"firstName": "X"}),
            ):
                assert response.status_code == 401
                assert response.json()["errorCode"] == "401"


async def test_an_email_is_found_as_it_was_stored_whatever_its_letters(
    client: httpx.AsyncClient,
) -> None:
    # Python's and PostgreSQL's lower() differ on some letters (a final sigma, a dotted
    # capital I): the look-up's key must be the database's, as the unique key is.
    for email in ("ΣΟΦΙΑΣ@example.gr", "İNCİ@example.com"):
        created = await create_contact(client, email)

        found = (await client.get(PROFILES, params={"email": email})).json()

        assert [item["id"] for item in found["items"]] == [created["id"]], email
