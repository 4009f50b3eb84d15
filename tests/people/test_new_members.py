"""Contacts made members by other operations: createOrganization's ``members`` and an
approved registration request. A contact without a parent organization gets the new one;
each membership (and the requester's roles) is an event."""

from __future__ import annotations

import httpx
from people_support import ORGANIZATIONS, PROFILES, SAMPLE, create_contact, events_of
from sqlalchemy.ext.asyncio import AsyncEngine


async def test_a_new_organizations_members_join_it(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    orphan = await create_contact(client, "orphan@example.com", parent=None)
    placed = await create_contact(client, "placed@example.com")

    created = await client.post(
        ORGANIZATIONS, json={"name": "Joiners", "members": [orphan["id"], placed["id"]]}
    )

    assert created.status_code == 200
    new = created.json()["id"]
    adopted = (await client.get(f"{PROFILES}/{orphan['id']}")).json()
    kept = (await client.get(f"{PROFILES}/{placed['id']}")).json()
    assert adopted["parentOrganization"]["id"] == new
    assert kept["parentOrganization"]["id"] == SAMPLE
    assert [org["id"] for org in kept["secondaryOrganizations"]] == [new]
    told = [(kind, org, data) for kind, org, data in await events_of(engine) if org == new]
    assert told == [
        ("membership.added", new, {"organizationId": new, "profileId": orphan["id"]}),
        ("membership.added", new, {"organizationId": new, "profileId": placed["id"]}),
        (
            "contact.parentOrganizationChanged",
            new,
            {"id": orphan["id"], "fromOrganizationId": None, "toOrganizationId": new},
        ),
    ]
