"""The role rule in the core (core.access.permissions): what a shopper may do in an account,
by the roles they hold there or in an ancestor whose roles apply to divisions."""

from __future__ import annotations

import httpx
import pytest
from people_support import EAST, SAMPLE, SHELLY, create_contact, grant, role
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.access.permissions import Permission, require, standings
from orgql.core.access.principals import ANONYMOUS, SYSTEM, Principal, Role
from orgql.core.common.errors import ErrorKind, OrgqlError
from orgql.db import models
from rest.builders import delegate_approvals

#: Below Sample East (demo data: Sample 100001 > Sample East 100002 > 100003).
EAST_BRANCH = "100003"


def shopper(profile_id: str) -> Principal:
    return Principal(Role.SHOPPER, profile_id)


async def lend_roles_to_divisions(session: AsyncSession, organization_id: str) -> None:
    organization = models.Organization
    await session.execute(
        update(organization)
        .where(organization.id == organization_id)
        .values(roles_apply_to_divisions=True)
    )


async def test_an_admin_manages_contacts_and_reads(session: AsyncSession) -> None:
    found = await standings(session, SHELLY, [SAMPLE])

    assert found[SAMPLE].roles == frozenset({"admin"})
    assert found[SAMPLE].permissions == {
        Permission.READ_ACCOUNT,
        Permission.MANAGE_CONTACTS,
        Permission.MANAGE_APPROVALS,
    }


async def test_a_member_without_roles_only_reads(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    contact = await create_contact(client, "reader@example.com")

    found = await standings(session, contact["id"], [SAMPLE, EAST])

    assert found == {SAMPLE: found[SAMPLE]}
    assert found[SAMPLE].permissions == {Permission.READ_ACCOUNT}
    with pytest.raises(OrgqlError) as refused:
        await require(
            session, shopper(contact["id"]), SAMPLE, Permission.MANAGE_CONTACTS, lock=False
        )
    assert (refused.value.code, refused.value.kind) == ("FORBIDDEN", ErrorKind.FORBIDDEN)


async def test_each_address_manager_role_grants_its_own_permission(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    account = await create_contact(client, "account.addresses@example.com")
    own = await create_contact(client, "own.addresses@example.com")
    await grant(client, account["id"], role("accountAddressManager"))
    await grant(client, own["id"], role("profileAddressManager"))

    account_standing = (await standings(session, account["id"], [SAMPLE]))[SAMPLE]
    own_standing = (await standings(session, own["id"], [SAMPLE]))[SAMPLE]

    assert account_standing.permissions == {
        Permission.READ_ACCOUNT,
        Permission.MANAGE_ACCOUNT_ADDRESSES,
    }
    assert own_standing.permissions == {Permission.READ_ACCOUNT, Permission.MANAGE_OWN_ADDRESSES}


async def test_a_parents_admin_does_not_act_in_its_divisions_by_default(
    session: AsyncSession,
) -> None:
    assert await standings(session, SHELLY, [EAST, EAST_BRANCH]) == {}
    with pytest.raises(OrgqlError) as refused:
        await require(session, shopper(SHELLY), EAST, Permission.MANAGE_CONTACTS, lock=False)
    assert (refused.value.code, refused.value.kind) == ("100001", ErrorKind.NOT_FOUND)


async def test_a_parents_admin_acts_in_every_division_when_its_roles_apply_to_them(
    session: AsyncSession,
) -> None:
    await lend_roles_to_divisions(session, SAMPLE)

    found = await standings(session, SHELLY, [EAST, EAST_BRANCH])

    assert {key: value.roles for key, value in found.items()} == {
        EAST: frozenset({"admin"}),
        EAST_BRANCH: frozenset({"admin"}),
    }
    await require(session, shopper(SHELLY), EAST_BRANCH, Permission.MANAGE_CONTACTS, lock=False)


async def test_a_divisions_roles_do_not_reach_up(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    contact = await create_contact(client, "east.admin@example.com", parent=EAST)
    await grant(client, contact["id"], role("admin", EAST))
    await lend_roles_to_divisions(session, EAST)

    found = await standings(session, contact["id"], [SAMPLE, EAST, EAST_BRANCH])

    assert set(found) == {EAST, EAST_BRANCH}


async def test_an_inactive_contact_stands_nowhere(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    response = await client.put(f"/ccadmin/v1/profiles/{SHELLY}", json={"active": False})
    assert response.status_code == 200, response.text

    assert await standings(session, SHELLY, [SAMPLE]) == {}


async def test_a_deactivated_account_is_read_and_never_managed(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    response = await client.put(f"/ccadmin/v1/organizations/{SAMPLE}", json={"active": False})
    assert response.status_code == 200, response.text

    found = await standings(session, SHELLY, [SAMPLE])

    assert found[SAMPLE].permissions == {Permission.READ_ACCOUNT}


async def test_approvals_are_managed_only_where_the_account_delegates_them(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    with pytest.raises(OrgqlError) as refused:
        await require(
            session,
            shopper(SHELLY),
            SAMPLE,
            Permission.MANAGE_APPROVALS,
            lock=False,
            site_id="siteUS",
        )
    assert refused.value.code == "FORBIDDEN"
    await delegate_approvals(client, SAMPLE)

    await require(
        session, shopper(SHELLY), SAMPLE, Permission.MANAGE_APPROVALS, lock=False, site_id="siteUS"
    )
    with pytest.raises(OrgqlError):
        await require(
            session,
            shopper(SHELLY),
            SAMPLE,
            Permission.MANAGE_APPROVALS,
            lock=False,
            site_id="site1",
        )


async def test_the_merchant_admin_may_do_everything_and_anonymous_nothing(
    session: AsyncSession,
) -> None:
    await require(session, SYSTEM, EAST, Permission.MANAGE_CONTACTS, lock=False)
    with pytest.raises(OrgqlError) as refused:
        await require(session, ANONYMOUS, SAMPLE, Permission.READ_ACCOUNT, lock=False)
    assert refused.value.code == "100001"


async def test_ids_that_cannot_be_stored_stand_nowhere(session: AsyncSession) -> None:
    assert await standings(session, "x\x00", [SAMPLE]) == {}
    assert await standings(session, SHELLY, ["a\x00"]) == {}
