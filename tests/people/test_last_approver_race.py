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
    wait_until_waiting_on_locks,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

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
