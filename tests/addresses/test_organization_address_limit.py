"""An organization holds a bounded number of addresses entered by hand (core.addresses.limits):
an add past it is refused (190102) on REST and GraphQL, for the merchant admin and for the
account's accountAddressManager alike, changing nothing; two concurrent adds at one below it
do not both succeed; synced addresses take none of the room."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
from address_limit_support import (
    ADD,
    ADDRESSES,
    FULL_MESSAGE,
    LIMIT,
    SAMPLE,
    contact_with,
    fill,
    fill_to,
    graphql,
    manual_count,
    office,
    stored_state,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from database_checks import wait_until_waiting_on_locks
from orgql.db import models
from orgql.db.engine import make_sessionmaker

Shopper = Callable[[str], httpx.AsyncClient]
#: GraphQL's refusal names no argument (REST's o:errorPath is the full list, no argument).
REFUSED = [{"code": "190102", "message": FULL_MESSAGE, "field": None}]


async def test_an_add_past_the_limit_is_a_409_that_changes_nothing(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await fill_to(engine, "100002", LIMIT - 1)
    last = await client.post(ADDRESSES.format("100002"), json=office("Last"))
    assert last.status_code == 201, last.text
    before = await stored_state(engine, "100002")

    refused = await client.post(ADDRESSES.format("100002"), json=office("One more"))

    error = {
        "errorCode": "190102",
        "message": FULL_MESSAGE,
        "status": "409",
        "o:errorPath": "secondaryAddresses",
    }
    assert (refused.status_code, refused.json()) == (409, {**error, "errors": [error]})
    assert await stored_state(engine, "100002") == before
    assert await manual_count(engine, "100002") == LIMIT


async def test_deleting_an_address_makes_room_for_one_more(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    first, *_ = await fill_to(engine, "100002", LIMIT)

    deleted = await client.delete(f"{ADDRESSES.format('100002')}/{first}")
    added = await client.post(ADDRESSES.format("100002"), json=office("In its place"))
    again = await client.post(ADDRESSES.format("100002"), json=office("Past it"))

    assert deleted.status_code == 204
    assert added.status_code == 201, added.text
    assert again.status_code == 409
    assert await manual_count(engine, "100002") == LIMIT


async def test_synced_addresses_take_none_of_the_room(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await fill(engine, "100002", LIMIT + 10, source="financial")
    await fill_to(engine, "100002", LIMIT - 1)

    added = await client.post(ADDRESSES.format("100002"), json=office("Typed in"))
    refused = await client.post(ADDRESSES.format("100002"), json=office("Past it"))

    assert added.status_code == 201, added.text
    assert refused.status_code == 409
    assert refused.json()["errorCode"] == "190102"


async def test_an_admin_over_graphql_is_answered_a_user_error(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await fill_to(engine, SAMPLE, LIMIT)
    before = await stored_state(engine, SAMPLE)

    body = await graphql(client, ADD, org=SAMPLE, input=office("One more"))

    assert body == {"data": {"addOrganizationAddress": {"address": None, "userErrors": REFUSED}}}
    assert await stored_state(engine, SAMPLE) == before


async def test_an_account_address_manager_is_refused_as_the_admin_is(
    client: httpx.AsyncClient, engine: AsyncEngine, shopper_client: Shopper
) -> None:
    manager = await contact_with(client, "addresses@example.com", "accountAddressManager")
    await fill_to(engine, SAMPLE, LIMIT - 1)

    async with shopper_client(manager) as shopper:
        last = await graphql(shopper, ADD, org=SAMPLE, input=office("Last"))
        before = await stored_state(engine, SAMPLE)
        refused = await graphql(shopper, ADD, org=SAMPLE, input=office("One more"))

    assert last["data"]["addOrganizationAddress"]["userErrors"] == []
    assert refused == {"data": {"addOrganizationAddress": {"address": None, "userErrors": REFUSED}}}
    assert await stored_state(engine, SAMPLE) == before


async def test_of_two_concurrent_adds_at_one_below_the_limit_one_is_refused(
    client: httpx.AsyncClient, engine: AsyncEngine, shopper_client: Shopper
) -> None:
    # A third transaction holds the organization's row while both adds start, so that both
    # have read nothing yet when it lets go: each then counts under the row's lock in turn.
    manager = await contact_with(client, "race@example.com", "accountAddressManager")
    await fill_to(engine, SAMPLE, LIMIT - 1)
    organization = models.Organization
    async with shopper_client(manager) as shopper, make_sessionmaker(engine)() as blocker:
        await blocker.begin()
        await blocker.execute(
            select(organization.id).where(organization.id == SAMPLE).with_for_update()
        )
        by_admin = asyncio.create_task(
            client.post(ADDRESSES.format(SAMPLE), json=office("Admin's"))
        )
        by_shopper = asyncio.create_task(graphql(shopper, ADD, org=SAMPLE, input=office("Mine")))
        await wait_until_waiting_on_locks(engine, 2)
        await blocker.rollback()
        admin_answer, shopper_answer = await asyncio.gather(by_admin, by_shopper)

    shopper_errors = shopper_answer["data"]["addOrganizationAddress"]["userErrors"]
    outcomes = sorted(
        [
            "added" if admin_answer.status_code == 201 else admin_answer.json()["errorCode"],
            "added" if shopper_errors == [] else shopper_errors[0]["code"],
        ]
    )
    assert outcomes == ["190102", "added"], (admin_answer.text, shopper_answer)
    assert await manual_count(engine, SAMPLE) == LIMIT


async def test_many_concurrent_adds_stop_at_the_limit(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await fill_to(engine, "100002", LIMIT - 3)
    organization = models.Organization
    async with make_sessionmaker(engine)() as blocker:
        await blocker.begin()
        await blocker.execute(
            select(organization.id).where(organization.id == "100002").with_for_update()
        )
        racing = [
            asyncio.create_task(client.post(ADDRESSES.format("100002"), json=office(f"Dock {n}")))
            for n in range(6)
        ]
        await wait_until_waiting_on_locks(engine, len(racing))
        await blocker.rollback()
        answers = await asyncio.gather(*racing)

    assert sorted(answer.status_code for answer in answers) == [201, 201, 201, 409, 409, 409]
    assert await manual_count(engine, "100002") == LIMIT
