"""A default address chosen while the address is being deleted: the choice reads the address
under the foreign key's lock (core.organizations.references.referenced_address), so it
either waits for the deletion and refuses the address as unknown (100053 / 100054), or
comes first and the deletion, waiting for it, clears the reference it set. Never the
deferred foreign key failing at commit (a 500).

Two real connections, no timing: one holds the other side's transaction open until the
request under test waits for its lock. Demo tree: 100001 > 100002 > 100003."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from database_checks import WAIT_LIMIT_SECONDS, wait_until_waiting_on_locks
from graphql_client import SAMPLE_ADDRESS_LINES
from orgql.core.organizations import service as organizations
from orgql.core.organizations import updates as organization_updates
from orgql.core.organizations.changes import parse_changes
from orgql.db.engine import make_sessionmaker
from orgql.db.event_models import OutboxEvent

ORGANIZATIONS = "/ccadmin/v1/organizations"
EAST, PURCHASING = "100002", "100003"
#: The root's default addresses, which 100003 inherits when it sets none.
ROOTS = "150001"
UPDATE = """mutation($id: ID!, $input: UpdateOrganizationInput!) {
  updateOrganization(id: $id, input: $input) { userErrors { code field } } }"""


@pytest.fixture
async def address(client: httpx.AsyncClient) -> str:
    """An address of 100002, which 100003 (its child) may choose as a default."""
    answer = await client.post(
        f"{ORGANIZATIONS}/{EAST}/secondaryAddresses",
        json={"addressType": "Dock", "address": SAMPLE_ADDRESS_LINES},
    )
    assert answer.status_code == 201, answer.text
    address_id: str = answer.json()["repositoryId"]
    return address_id


@asynccontextmanager
async def deletion_held(engine: AsyncEngine, address_id: str) -> AsyncIterator[AsyncSession]:
    """A transaction that has deleted the address and not committed yet."""
    async with make_sessionmaker(engine)() as deleter, deleter.begin():
        await deleter.execute(text("DELETE FROM addresses WHERE id = :id"), {"id": address_id})
        yield deleter


async def during_the_deletion(
    engine: AsyncEngine, address_id: str, request: Awaitable[httpx.Response]
) -> httpx.Response:
    """``request`` started while the deletion is held; the deletion commits once the
    request waits for its lock."""
    async with deletion_held(engine, address_id) as deleter:
        started = asyncio.ensure_future(request)
        await wait_until_waiting_on_locks(engine, 1)
        await deleter.commit()
    return await started


async def test_a_rest_update_choosing_an_address_being_deleted_is_refused_with_100053(
    engine: AsyncEngine, client: httpx.AsyncClient, address: str
) -> None:
    answer = await during_the_deletion(
        engine,
        address,
        client.put(
            f"{ORGANIZATIONS}/{PURCHASING}", json={"billingAddress": {"repositoryId": address}}
        ),
    )

    assert answer.status_code == 400, answer.text
    assert (answer.json()["errorCode"], answer.json()["o:errorPath"]) == (
        "100053",
        "billingAddress.repositoryId",
    )
    read = (await client.get(f"{ORGANIZATIONS}/{PURCHASING}")).json()
    assert (read["billingAddress"], read["derivedBillingAddress"]["repositoryId"]) == (None, ROOTS)


async def test_a_graphql_update_choosing_an_address_being_deleted_is_a_user_error(
    engine: AsyncEngine, client: httpx.AsyncClient, address: str
) -> None:
    variables = {"id": PURCHASING, "input": {"shippingAddressId": address}}
    answer = await during_the_deletion(
        engine, address, client.post("/graphql", json={"query": UPDATE, "variables": variables})
    )

    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "data": {
            "updateOrganization": {"userErrors": [{"code": "100054", "field": "shippingAddressId"}]}
        }
    }


async def test_a_create_choosing_an_ancestors_address_being_deleted_is_refused(
    engine: AsyncEngine, client: httpx.AsyncClient, address: str
) -> None:
    document: dict[str, Any] = {
        "name": "Dock Office",
        "parentOrganization": {"id": EAST},
        "shippingAddress": {"repositoryId": address},
    }
    answer = await during_the_deletion(engine, address, client.post(ORGANIZATIONS, json=document))

    assert answer.status_code == 400, answer.text
    assert (answer.json()["errorCode"], answer.json()["o:errorPath"]) == (
        "100054",
        "shippingAddress.repositoryId",
    )
    listed = (await client.get(ORGANIZATIONS, params={"q": 'name eq "Dock Office"'})).json()
    assert listed["items"] == []


async def test_a_deletion_after_the_choice_waits_for_it_and_clears_the_reference(
    engine: AsyncEngine, client: httpx.AsyncClient, address: str
) -> None:
    changes = parse_changes({"billingAddress": {"repositoryId": address}}, {})
    async with make_sessionmaker(engine)() as chooser, chooser.begin():
        await organization_updates.update(chooser, PURCHASING, changes)
        deletion = asyncio.ensure_future(
            client.delete(f"{ORGANIZATIONS}/{EAST}/secondaryAddresses/{address}")
        )
        # Without the choice's lock, the deletion does not wait: it commits first, and the
        # choice's commit fails the foreign key.
        waiting = asyncio.ensure_future(wait_until_waiting_on_locks(engine, 1))
        done, _ = await asyncio.wait(
            (deletion, waiting), timeout=WAIT_LIMIT_SECONDS, return_when=asyncio.FIRST_COMPLETED
        )
        waiting.cancel()
        assert waiting in done, "the deletion did not wait for the choice's lock"
        await chooser.commit()
    deleted = await deletion

    assert deleted.status_code == 204, deleted.text
    read = (await client.get(f"{ORGANIZATIONS}/{PURCHASING}")).json()
    assert (read["billingAddress"], read["derivedBillingAddress"]["repositoryId"]) == (None, ROOTS)
    # The deletion read who chose the address once the choice had committed: it tells.
    async with engine.connect() as connection:
        told = await connection.scalars(
            select(OutboxEvent.payload)
            .where(OutboxEvent.type == "organization.updated")
            .order_by(OutboxEvent.id)
        )
        updates = [(data["id"], data["version"], data["changed"]) for data in told]
    assert updates[-2:] == [
        (PURCHASING, 2, ["billingAddress"]),
        (PURCHASING, 3, ["billingAddress"]),
    ]


async def test_a_deletion_waits_for_an_update_of_an_organization_that_chose_the_address(
    engine: AsyncEngine, client: httpx.AsyncClient, address: str
) -> None:
    """The deletion locks the organizations that chose the address before the address: an
    update of one of them, which holds its row and then reads the address under the foreign
    key's lock, goes through first. Locked the other way round (the address, then the
    chooser's row for ON DELETE SET NULL) the two waited for each other (a deadlock, 503)."""
    chose = await client.put(
        f"{ORGANIZATIONS}/{PURCHASING}", json={"billingAddress": {"repositoryId": address}}
    )
    assert chose.status_code == 200, chose.text
    changes = parse_changes({"shippingAddress": {"repositoryId": address}}, {})
    async with make_sessionmaker(engine)() as chooser, chooser.begin():
        await organizations.locked(chooser, PURCHASING)  # the update's first lock
        deletion = asyncio.ensure_future(
            client.delete(f"{ORGANIZATIONS}/{EAST}/secondaryAddresses/{address}")
        )
        await wait_until_waiting_on_locks(engine, 1)
        await organization_updates.update(chooser, PURCHASING, changes)
        await chooser.commit()
    deleted = await deletion

    assert deleted.status_code == 204, deleted.text
    read = (await client.get(f"{ORGANIZATIONS}/{PURCHASING}")).json()
    assert (read["billingAddress"], read["shippingAddress"]) == (None, None)
    assert read["derivedBillingAddress"]["repositoryId"] == ROOTS
