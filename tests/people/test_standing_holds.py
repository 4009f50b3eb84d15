"""A shopper's mutation holds the standing it was allowed by until its transaction ends
(core.access.permissions: the mutation's check locks what it read): a revocation of the
caller's role, membership or activity, or of the lending of the ancestor they act from,
either commits before the check, which sees it, or waits until the mutation has ended. It
does not commit in between, leaving the mutation to commit under authority that is gone.

Two real connections, no timing: the mutation's transaction has passed its check and is
still open while the revocation runs on an app whose lock timeout is 100 ms (it answers 503,
as any lock waited on too long); or the revocation waits, observed in pg_stat_activity."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from people_support import (
    EAST,
    ORGANIZATIONS,
    PROFILES,
    SAMPLE,
    SHELLY,
    create_contact,
    grant,
    revoke,
    role,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from database_checks import wait_until_waiting_on_locks
from graphql_client import SAMPLE_ADDRESS_LINES
from orgql.core.access import permissions
from orgql.core.access.principals import Principal, Role
from orgql.core.common.errors import OrgqlError
from orgql.core.people import authority
from orgql.db import models
from orgql.db.engine import make_sessionmaker

Check = Callable[[AsyncSession], Awaitable[object]]


def shopper(profile_id: str) -> Principal:
    return Principal(Role.SHOPPER, profile_id)


def manages(profile_id: str, organization_id: str) -> Check:
    """A people mutation's check: the admin role of ``profile_id`` in the organization."""
    return lambda session: authority.require_in(
        session, shopper(profile_id), [organization_id], ["id"]
    )


@asynccontextmanager
async def checked(engine: AsyncEngine, check: Check) -> AsyncIterator[AsyncSession]:
    """A mutation's transaction that has passed its standing check, open until the block ends
    (then rolled back)."""
    async with make_sessionmaker(engine)() as session, session.begin():
        await check(session)
        yield session
        await session.rollback()


def waited_too_long(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert response.json()["errorCode"] == "STATEMENT_TIMEOUT"


async def lend(client: httpx.AsyncClient, organization_id: str, on: bool) -> httpx.Response:
    return await client.put(
        f"{ORGANIZATIONS}/{organization_id}", json={"rolesApplyToDivisions": on}
    )


async def test_the_callers_role_is_not_revoked_while_their_mutation_relies_on_it(
    engine: AsyncEngine, impatient_admin: httpx.AsyncClient
) -> None:
    async with checked(engine, manages(SHELLY, SAMPLE)):
        during = await revoke(impatient_admin, SHELLY, role("admin"))
    after = await revoke(impatient_admin, SHELLY, role("admin"))

    waited_too_long(during)
    assert after.status_code == 200, after.text


async def test_a_revocation_waits_for_the_mutation_and_then_goes_through(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    async with checked(engine, manages(SHELLY, SAMPLE)) as mutation:
        revocation = asyncio.create_task(revoke(client, SHELLY, role("admin")))
        await wait_until_waiting_on_locks(engine, 1)
        assert not revocation.done()
        await mutation.commit()
    answer = await revocation

    assert answer.status_code == 200, answer.text
    roles = (await client.get(f"{PROFILES}/{SHELLY}")).json()["roles"]
    assert [r["function"] for r in roles] == []


async def test_the_caller_is_not_deactivated_while_their_mutation_relies_on_it(
    engine: AsyncEngine, impatient_admin: httpx.AsyncClient
) -> None:
    async with checked(engine, manages(SHELLY, SAMPLE)):
        during = await impatient_admin.put(f"{PROFILES}/{SHELLY}", json={"active": False})
    after = await impatient_admin.put(f"{PROFILES}/{SHELLY}", json={"active": False})

    waited_too_long(during)
    assert after.status_code == 200, after.text


async def test_the_callers_membership_is_not_removed_while_their_mutation_relies_on_it(
    engine: AsyncEngine, client: httpx.AsyncClient, impatient_admin: httpx.AsyncClient
) -> None:
    caller = (await create_contact(client, "east.admin@example.com", parent=EAST))["id"]
    sample = {"secondaryOrganizations": [{"id": SAMPLE}]}
    appended = await client.post(
        f"{PROFILES}/{caller}/appendSecondaryOrganizations",
        json={"secondaryOrganizations": [{"id": SAMPLE}]},
    )
    assert appended.status_code == 200, appended.text
    assert (await grant(client, caller, role("admin"))).status_code == 200
    url = f"{PROFILES}/{caller}/removeSecondaryOrganizations"

    async with checked(engine, manages(caller, SAMPLE)):
        during = await impatient_admin.post(url, json=sample)
    after = await impatient_admin.post(url, json=sample)

    waited_too_long(during)
    assert after.status_code == 200, after.text


async def test_the_lending_ancestor_keeps_lending_while_a_mutation_relies_on_it(
    engine: AsyncEngine, client: httpx.AsyncClient, impatient_admin: httpx.AsyncClient
) -> None:
    assert (await lend(client, SAMPLE, True)).status_code == 200

    async with checked(engine, manages(SHELLY, EAST)):
        during = await lend(impatient_admin, SAMPLE, False)
    after = await lend(impatient_admin, SAMPLE, False)

    waited_too_long(during)
    assert after.status_code == 200, after.text


async def test_a_revocation_committed_first_is_seen_by_the_mutations_check(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    async with make_sessionmaker(engine)() as mutation, mutation.begin():
        await mutation.execute(select(models.Profile.id).where(models.Profile.id == SHELLY))
        assert (await revoke(client, SHELLY, role("admin"))).status_code == 200
        with pytest.raises(OrgqlError) as refused:
            await manages(SHELLY, SAMPLE)(mutation)

    assert refused.value.code == permissions.FORBIDDEN


async def test_a_read_of_the_standing_holds_nothing(
    engine: AsyncEngine, impatient_admin: httpx.AsyncClient
) -> None:
    async with make_sessionmaker(engine)() as reader, reader.begin():
        found = await permissions.standings(reader, SHELLY, [SAMPLE])
        during = await revoke(impatient_admin, SHELLY, role("admin"))

    assert found[SAMPLE].roles == {"admin"}
    assert during.status_code == 200, during.text


ADD_ADDRESS = """mutation($org: ID!, $input: OrganizationAddressInput!) {
  addOrganizationAddress(organizationId: $org, input: $input) {
    address { addressType } userErrors { code field } } }"""
LINES = SAMPLE_ADDRESS_LINES


async def test_two_address_changes_of_one_account_wait_in_turn_not_for_each_other(
    engine: AsyncEngine,
    client: httpx.AsyncClient,
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    # Each check locks the account's row, which the mutation then locks to write: held
    # shared by both, each would wait for the other to let go (a deadlock, one 503).
    manager = (await create_contact(client, "addresses@example.com"))["id"]
    assert (await grant(client, manager, role("accountAddressManager"))).status_code == 200

    async def add(nickname: str) -> httpx.Response:
        variables = {"org": SAMPLE, "input": {"addressType": nickname, "address": LINES}}
        return await shopper.post("/graphql", json={"query": ADD_ADDRESS, "variables": variables})

    async with (
        shopper_client(manager) as shopper,
        make_sessionmaker(engine)() as blocker,
        blocker.begin(),
    ):
        organization = models.Organization
        await blocker.execute(
            select(organization.id).where(organization.id == SAMPLE).with_for_update()
        )
        racing = [asyncio.create_task(add(nickname)) for nickname in ("Dock", "Yard")]
        await wait_until_waiting_on_locks(engine, 2)
        await blocker.rollback()
        answers = await asyncio.gather(*racing)

    for answer, nickname in zip(answers, ("Dock", "Yard"), strict=True):
        assert answer.status_code == 200, answer.text
        payload = answer.json()["data"]["addOrganizationAddress"]
        assert payload == {"address": {"addressType": nickname}, "userErrors": []}


MEMBERS = """mutation($id: ID!, $profiles: [ID!]!) {
  updateOrganizationMembers(id: $id, profileIds: $profiles) {
    members { repositoryId } userErrors { code field } } }"""


async def test_a_shoppers_members_update_and_a_revocation_do_not_deadlock(
    engine: AsyncEngine,
    client: httpx.AsyncClient,
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    # A revocation locks its contact's row, then the organization's (the approver rule).
    # The members update locks the leaving contacts' rows before its check locks the
    # organization's; the other way round, the two deadlocked.
    leaving = (await create_contact(client, "leaving@example.com"))["id"]
    members = [
        m["repositoryId"] for m in (await client.get(f"{ORGANIZATIONS}/{SAMPLE}")).json()["members"]
    ]
    kept = [member for member in members if member != leaving]

    async with (
        shopper_client(SHELLY) as shelly,
        make_sessionmaker(engine)() as revocation,
        revocation.begin(),
    ):
        profile, organization = models.Profile, models.Organization
        await revocation.execute(select(profile.id).where(profile.id == leaving).with_for_update())
        update = asyncio.create_task(
            shelly.post(
                "/graphql",
                json={"query": MEMBERS, "variables": {"id": SAMPLE, "profiles": kept}},
            )
        )
        await wait_until_waiting_on_locks(engine, 1)
        await revocation.execute(
            select(organization.id).where(organization.id == SAMPLE).with_for_update()
        )
        await revocation.rollback()
        answer = await update

    assert answer.status_code == 200, answer.text
    payload = answer.json()["data"]["updateOrganizationMembers"]
    assert payload["userErrors"] == []
    assert leaving not in [m["repositoryId"] for m in payload["members"]]
