"""Two concurrent revocations of the last two approvers of an organization that requires
approval: one succeeds, the other is refused (100083), and one approver remains.

The interleaving is forced, not hoped for: a third transaction holds the organization's row
lock while both requests start; both are observed waiting for it in ``pg_stat_activity``
(so both passed everything before the approver count), then it is released.
"""

from __future__ import annotations

import asyncio

import httpx
from people_support import (
    ORGANIZATIONS,
    SAMPLE,
    create_contact,
    grant,
    require_approval,
    revoke,
    role,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from database_checks import wait_until_waiting_on_locks
from orgql.db import models
from orgql.db.engine import make_sessionmaker


async def test_two_concurrent_revocations_leave_one_approver(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    first = await create_contact(client, "first.approver@example.com")
    second = await create_contact(client, "second.approver@example.com")
    for contact in (first, second):
        assert (await grant(client, contact["id"], role("approver"))).status_code == 200
    assert (await require_approval(client)).status_code == 200

    async with make_sessionmaker(engine)() as blocker, blocker.begin():
        await blocker.execute(
            select(models.Organization.id).where(models.Organization.id == SAMPLE).with_for_update()
        )
        racing = [
            asyncio.create_task(revoke(client, contact["id"], role("approver")))
            for contact in (first, second)
        ]
        await wait_until_waiting_on_locks(engine, 2)
        await blocker.rollback()
    answers = await asyncio.gather(*racing)

    assert sorted(answer.status_code for answer in answers) == [200, 409]
    refused = next(answer for answer in answers if answer.status_code == 409)
    assert refused.json()["errorCode"] == "100083"
    roles = (await client.get(f"{ORGANIZATIONS}/{SAMPLE}/organizationalRoles")).json()["items"]
    approvers = next(item for item in roles if item["function"] == "approver")
    assert len(approvers["profiles"]) == 1


async def test_an_organizations_members_update_and_a_revocation_do_not_deadlock(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    # A revocation locks its contact's row, then the organization's. An update of the
    # organization's members that ends that contact's membership must take the locks in the
    # same order; holding the organization's first, the two deadlocked (one answered 503).
    leaving = await create_contact(client, "leaving.approver@example.com")
    staying = await create_contact(client, "staying.approver@example.com")
    for contact in (leaving, staying):
        assert (await grant(client, contact["id"], role("approver"))).status_code == 200
    assert (await require_approval(client)).status_code == 200
    url = f"{ORGANIZATIONS}/{SAMPLE}"
    members = [m["repositoryId"] for m in (await client.get(url)).json()["members"]]
    kept = [member for member in members if member != leaving["id"]]

    async with make_sessionmaker(engine)() as revocation, revocation.begin():
        profile = models.Profile
        await revocation.execute(
            select(profile.id).where(profile.id == leaving["id"]).with_for_update()
        )
        update = asyncio.create_task(client.put(url, json={"members": kept}))
        await wait_until_waiting_on_locks(engine, 1)
        await revocation.execute(
            select(models.Organization.id).where(models.Organization.id == SAMPLE).with_for_update()
        )
        await revocation.rollback()
    answer = await update

    assert answer.status_code == 200, answer.text
    assert leaving["id"] not in [m["repositoryId"] for m in answer.json()["members"]]
