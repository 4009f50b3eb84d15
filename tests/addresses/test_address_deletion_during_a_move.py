"""An address's deletion and a move of an organization that chose the address (as its own
default billing address, here) run one after the other, in either order, and the outcome is
the same: the organization moved, the address gone, its reference cleared (so the value is
inherited again) and told with ``organization.updated``. The deletion holds off moves
before it locks any row, with or without a subscriber comparing effective values
(core.organizations.move_lock): a move locks the moved organization's row, then its new
parent's; a deletion locks the address's owner, then the organizations that chose the
address. Without the move lock, a move of a chooser under the owner deadlocked with the
deletion (40P01, one of them answered 503).

Real connections, no timing: the test holds a lock from a connection of its own, or one
side's transaction open, until the other side waits for it. Demo tree: 100001 > 100002 >
100003; the address is the root's, chosen by 100003, which moves under the root."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from database_checks import wait_until_waiting_on_locks
from graphql_client import SAMPLE_ADDRESS_LINES
from orgql.core.access.principals import SYSTEM
from orgql.core.addresses import service as addresses
from orgql.core.organizations import service as organizations
from orgql.core.organizations import updates as organization_updates
from orgql.core.organizations.changes import parse_changes
from orgql.db.engine import make_sessionmaker
from orgql.db.event_models import OutboxEvent

ORGANIZATIONS = "/ccadmin/v1/organizations"
ROOT, PURCHASING = "100001", "100003"
#: The root's default billing address, which 100003 inherits once it chooses none.
ROOTS = "150001"
MOVE = {"parentOrganization": {"id": ROOT}}


@pytest.fixture
async def address(client: httpx.AsyncClient) -> str:
    """An address of the root, chosen by 100003 as its own default billing address."""
    answer = await client.post(
        f"{ORGANIZATIONS}/{ROOT}/secondaryAddresses",
        json={"addressType": "Dock", "address": SAMPLE_ADDRESS_LINES},
    )
    assert answer.status_code == 201, answer.text
    address_id: str = answer.json()["repositoryId"]
    chose = await client.put(
        f"{ORGANIZATIONS}/{PURCHASING}", json={"billingAddress": {"repositoryId": address_id}}
    )
    assert chose.status_code == 200, chose.text
    return address_id


def delete(client: httpx.AsyncClient, address_id: str) -> asyncio.Future[httpx.Response]:
    return asyncio.ensure_future(
        client.delete(f"{ORGANIZATIONS}/{ROOT}/secondaryAddresses/{address_id}")
    )


def move(client: httpx.AsyncClient) -> asyncio.Future[httpx.Response]:
    return asyncio.ensure_future(client.put(f"{ORGANIZATIONS}/{PURCHASING}", json=MOVE))


async def assert_moved_and_cleared(
    client: httpx.AsyncClient, engine: AsyncEngine, address_id: str
) -> None:
    read = (await client.get(f"{ORGANIZATIONS}/{PURCHASING}")).json()
    assert (read["parentOrganization"]["id"], read["billingAddress"]) == (ROOT, None)
    assert read["derivedBillingAddress"]["repositoryId"] == ROOTS
    gone = await client.get(f"{ORGANIZATIONS}/{ROOT}/secondaryAddresses/{address_id}")
    assert gone.status_code == 404, gone.text
    async with engine.connect() as connection:
        told = await connection.scalars(
            select(OutboxEvent.payload)
            .where(
                OutboxEvent.type == "organization.updated",
                OutboxEvent.organization_id == PURCHASING,
            )
            .order_by(OutboxEvent.id)
        )
        cleared = [data["version"] for data in told if data["changed"] == ["billingAddress"]]
    # One for the choice, one for the deletion that cleared it.
    assert len(cleared) == 2, cleared
    assert cleared[0] < cleared[1], cleared


async def test_a_deletion_and_a_move_of_its_chooser_under_its_owner_do_not_deadlock(
    engine: AsyncEngine, client: httpx.AsyncClient, address: str
) -> None:
    """Both wait for the root's row, held here: the deletion first, then the move. Once it
    is free, the deletion locks the root and would lock 100003, the chooser; without the
    move lock, the move had already locked 100003 and waited for the root (its new parent,
    FOR SHARE): each waited for the other."""
    async with make_sessionmaker(engine)() as holder, holder.begin():
        await organizations.locked(holder, ROOT)
        deletion = delete(client, address)
        await wait_until_waiting_on_locks(engine, 1)
        moving = move(client)
        await wait_until_waiting_on_locks(engine, 2)
    deleted, moved = await deletion, await moving

    assert (deleted.status_code, moved.status_code) == (204, 200), (deleted.text, moved.text)
    await assert_moved_and_cleared(client, engine, address)


async def test_a_move_waits_for_a_deletion_in_progress(
    engine: AsyncEngine, client: httpx.AsyncClient, address: str
) -> None:
    async with make_sessionmaker(engine)() as deleter, deleter.begin():
        await addresses.remove(deleter, ROOT, address, principal=SYSTEM)
        moving = move(client)
        await wait_until_waiting_on_locks(engine, 1)
    moved = await moving

    assert moved.status_code == 200, moved.text
    await assert_moved_and_cleared(client, engine, address)


async def test_a_deletion_waits_for_a_move_in_progress(
    engine: AsyncEngine, client: httpx.AsyncClient, address: str
) -> None:
    async with make_sessionmaker(engine)() as mover, mover.begin():
        await organization_updates.update(mover, PURCHASING, parse_changes(MOVE, {}))
        deletion = delete(client, address)
        await wait_until_waiting_on_locks(engine, 1)
    deleted = await deletion

    assert deleted.status_code == 204, deleted.text
    await assert_moved_and_cleared(client, engine, address)
