"""End to end, as docs/people.md walks through it: create a contact, make them an approver of
an account, require approval on a site, try to remove the last approver (refused)."""

from __future__ import annotations

import httpx
from people_support import ORGANIZATIONS, PROFILES, SAMPLE


async def test_an_account_requiring_approval_keeps_its_last_approver(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post(
        PROFILES,
        json={
            "firstName": "Alex",
            "lastName": "Approver",
            "email": "alex.approver@example.com",
            "parentOrganization": {"id": SAMPLE},
        },
    )
    assert created.status_code == 201
    alex = created.json()["id"]
    granted = await client.post(
        f"{PROFILES}/{alex}/addRoles",
        json={"roles": [{"function": "approver", "relativeTo": {"id": SAMPLE}}]},
    )
    assert granted.status_code == 200
    required = await client.post(
        f"{ORGANIZATIONS}/{SAMPLE}/updateSiteOrganizationProperties",
        json={
            "siteOrganizationProperties": [
                {"site": {"id": "siteUS"}, "properties": {"approvalRequired": True}}
            ]
        },
    )
    assert required.status_code == 200

    revoked = await client.post(
        f"{PROFILES}/{alex}/removeRoles",
        json={"roles": [{"function": "approver", "relativeTo": {"id": SAMPLE}}]},
    )
    deactivated = await client.put(f"{PROFILES}/{alex}", json={"active": False})

    for refused in (revoked, deactivated):
        assert refused.status_code == 409
        assert refused.json()["errorCode"] == "100083"
    roles = (await client.get(f"{ORGANIZATIONS}/{SAMPLE}/organizationalRoles")).json()["items"]
    approvers = next(item for item in roles if item["function"] == "approver")
    assert [(p["id"], p["active"]) for p in approvers["profiles"]] == [(alex, True)]
