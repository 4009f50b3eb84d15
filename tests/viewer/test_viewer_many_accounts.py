"""A shopper of more accounts than ``viewer.organizations`` lists (core.viewer.service,
MAX_ACCOUNTS = 100): the list is the first 100 by name, and every account of theirs, listed
or not, is theirs to buy for. Demo data: 100001 "Sample", its child 100002 "Sample East" and
grandchild 100003 "Sample East Purchasing"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from viewer_support import SAMPLE, SHELLY, add_profile, graphql

from orgql.core.viewer.service import MAX_ACCOUNTS
from orgql.db import models
from orgql.graphql.global_ids import encode

GRANDCHILD = "100003"
#: A member of "Account 000" .. "Account 100" and of Sample (whose roles apply to its
#: divisions); their parent organization is "Account 100", the 101st by name.
MANY = "120030"
ACCOUNT_IDS = [f"{130000 + n}" for n in range(MAX_ACCOUNTS + 1)]
LAST = ACCOUNT_IDS[-1]
#: An account MANY is not a member of.
OUTSIDER = "139999"
CURRENT = "query($id: ID) { viewer { currentOrganization(id: $id) { repositoryId name } } }"


@pytest.fixture
async def many(session: AsyncSession) -> None:
    session.add_all(
        models.Organization(id=org_id, name=f"Account {n:03d}", active=True)
        for n, org_id in enumerate(ACCOUNT_IDS)
    )
    session.add(models.Organization(id=OUTSIDER, name="Outsider", active=True))
    await session.execute(
        update(models.Organization)
        .where(models.Organization.id == SAMPLE)
        .values(roles_apply_to_divisions=True)
    )
    await session.commit()
    await add_profile(
        session, MANY, "many@example.com", member_of=(*ACCOUNT_IDS, SAMPLE), parent=LAST
    )


@pytest.mark.usefixtures("many")
async def test_the_accounts_listed_are_the_first_100_by_name(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    async with shopper_client(MANY) as client:
        answer = await graphql(client, "{ viewer { organizations { organization { name } } } }")

    names = [o["organization"]["name"] for o in answer["data"]["viewer"]["organizations"]]
    assert names == [f"Account {n:03d}" for n in range(MAX_ACCOUNTS)]


@pytest.mark.usefixtures("many")
@pytest.mark.parametrize("chosen", [LAST, encode("Organization", LAST)])
async def test_an_account_past_the_first_100_by_name_is_the_current_one_when_chosen(
    shopper_client: Callable[[str], httpx.AsyncClient], chosen: str
) -> None:
    async with shopper_client(MANY) as client:
        by_argument = await graphql(client, CURRENT, {"id": chosen})
        by_header = await graphql(client, CURRENT, headers={"X-CCOrganization": chosen})

    last = {"repositoryId": LAST, "name": "Account 100"}
    assert by_argument == by_header == {"data": {"viewer": {"currentOrganization": last}}}


@pytest.mark.usefixtures("many")
async def test_a_division_past_the_first_100_below_a_lending_account_is_the_current_one(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    async with shopper_client(MANY) as client:
        answer = await graphql(client, CURRENT, {"id": GRANDCHILD})

    assert answer["data"]["viewer"]["currentOrganization"] == {
        "repositoryId": GRANDCHILD,
        "name": "Sample East Purchasing",
    }


@pytest.mark.usefixtures("many")
async def test_without_a_choice_a_parent_organization_past_the_first_100_is_the_current_one(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    async with shopper_client(MANY) as client:
        answer = await graphql(client, CURRENT)

    assert answer["data"]["viewer"]["currentOrganization"] == {
        "repositoryId": LAST,
        "name": "Account 100",
    }


@pytest.mark.usefixtures("many")
@pytest.mark.parametrize(
    "chosen",
    [OUTSIDER, "999999", encode("Organization", OUTSIDER), "x" * 300, "a\x00b"],
    ids=["outsider", "missing", "outsider global id", "long", "nul"],
)
async def test_an_account_not_theirs_is_answered_as_a_missing_one_past_the_first_100_too(
    shopper_client: Callable[[str], httpx.AsyncClient], chosen: str
) -> None:
    async with shopper_client(MANY) as client:
        by_argument = await graphql(client, CURRENT, {"id": chosen})
        missing = await graphql(client, CURRENT, {"id": "999999"})

    assert by_argument == missing == {"data": {"viewer": {"currentOrganization": None}}}


async def _statements(
    client: httpx.AsyncClient, counter: Any, chosen: str | None
) -> tuple[dict[str, Any] | None, int]:
    counter.reset()
    answer = await graphql(client, CURRENT, {"id": chosen})
    return answer["data"]["viewer"]["currentOrganization"], counter.count


async def test_the_current_account_of_a_shopper_of_few_accounts_costs_no_statement_more(
    shopper_client: Callable[[str], httpx.AsyncClient], statement_counter: Any
) -> None:
    async with shopper_client(SHELLY) as client:
        await graphql(client, "{ sites { repositoryId } }")  # the token verified first
        theirs = await _statements(client, statement_counter, SAMPLE)
        not_theirs = await _statements(client, statement_counter, GRANDCHILD)
        no_choice = await _statements(client, statement_counter, None)

    # One each: the profile and accounts (the list is whole: an id not in it is not theirs).
    assert theirs == ({"repositoryId": SAMPLE, "name": "Sample"}, 1)
    assert not_theirs == (None, 1)
    assert no_choice == (None, 1)


@pytest.mark.usefixtures("many")
async def test_only_an_account_not_listed_costs_a_statement_more_past_the_first_100(
    shopper_client: Callable[[str], httpx.AsyncClient], statement_counter: Any
) -> None:
    async with shopper_client(MANY) as client:
        await graphql(client, "{ sites { repositoryId } }")  # the token verified first
        listed = await _statements(client, statement_counter, ACCOUNT_IDS[0])
        not_listed = await _statements(client, statement_counter, LAST)
        not_theirs = await _statements(client, statement_counter, OUTSIDER)

    assert listed == ({"repositoryId": ACCOUNT_IDS[0], "name": "Account 000"}, 1)
    assert not_listed == ({"repositoryId": LAST, "name": "Account 100"}, 2)
    assert not_theirs == (None, 2)


@pytest.mark.usefixtures("many")
async def test_an_account_past_the_first_100_is_read_by_id_as_any_of_theirs(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    query = "query($id: ID!) { organization(id: $id) { repositoryId name } }"
    async with shopper_client(MANY) as client:
        answer = await graphql(client, query, {"id": LAST})

    assert answer == {"data": {"organization": {"repositoryId": LAST, "name": "Account 100"}}}


@pytest.mark.usefixtures("many")
async def test_every_account_of_theirs_is_paged_by_the_organizations_connection(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    query = """query($after: String) { organizations(first: 100, after: $after) {
        edges { node { repositoryId } } pageInfo { hasNextPage endCursor } } }"""
    seen: list[str] = []
    after = None
    async with shopper_client(MANY) as client:
        for _ in range(3):
            page = (await graphql(client, query, {"after": after}))["data"]["organizations"]
            seen += [edge["node"]["repositoryId"] for edge in page["edges"]]
            after = page["pageInfo"]["endCursor"]
            if not page["pageInfo"]["hasNextPage"]:
                break

    # By id: Sample and its divisions (lent by Sample), then Account 000 .. Account 100.
    assert seen == [SAMPLE, "100002", GRANDCHILD, *ACCOUNT_IDS]


CURRENT_ACCOUNT = """query($id: ID) { viewer { currentAccount(id: $id) {
    organization { repositoryId } roles permissions } } }"""


async def _grant_sample_admin(session: AsyncSession, profile_id: str) -> None:
    """``profile_id`` holds Sample's admin role (lent to its divisions: the fixture)."""
    admin = await session.scalar(
        select(models.RelativeRole.id).where(
            models.RelativeRole.organization_id == SAMPLE,
            models.RelativeRole.function == "admin",
        )
    )
    session.add(models.ProfileRole(profile_id=profile_id, role_id=admin))
    await session.commit()


@pytest.mark.usefixtures("many")
async def test_the_current_account_past_the_first_100_comes_with_the_roles_held_in_it(
    shopper_client: Callable[[str], httpx.AsyncClient],
    session: AsyncSession,
    statement_counter: Any,
) -> None:
    await _grant_sample_admin(session, MANY)
    async with shopper_client(MANY) as client:
        listed = await graphql(
            client, "{ viewer { organizations { organization { repositoryId } roles } } }"
        )
        statement_counter.reset()
        division = await graphql(client, CURRENT_ACCOUNT, {"id": GRANDCHILD})
        statements = statement_counter.count
        header = await graphql(client, CURRENT_ACCOUNT, headers={"X-CCOrganization": GRANDCHILD})
        without_roles = await graphql(client, CURRENT_ACCOUNT, {"id": LAST})
        not_theirs = await graphql(client, CURRENT_ACCOUNT, {"id": OUTSIDER})

    ids = [o["organization"]["repositoryId"] for o in listed["data"]["viewer"]["organizations"]]
    assert GRANDCHILD not in ids  # past the first 100 by name
    current = division["data"]["viewer"]["currentAccount"]
    assert current["organization"] == {"repositoryId": GRANDCHILD}
    assert current["roles"] == ["ADMIN"]  # Sample's, lent to its divisions
    assert "MANAGE_CONTACTS" in current["permissions"]
    assert header == division
    # The accounts, the membership of the one past them, its roles (once for both fields).
    assert statements == 3
    assert without_roles["data"]["viewer"]["currentAccount"] == {
        "organization": {"repositoryId": LAST},
        "roles": [],
        "permissions": ["READ_ACCOUNT"],  # a member's, with no role
    }
    assert not_theirs == {"data": {"viewer": {"currentAccount": None}}}


async def test_the_current_account_of_a_listed_account_is_its_entry_of_the_list(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    query = (
        "{ viewer { organizations { organization { repositoryId } roles permissions }"
        " currentAccount { organization { repositoryId } roles permissions } } }"
    )
    async with shopper_client(SHELLY) as client:
        answer = await graphql(client, query, headers={"X-CCOrganization": SAMPLE})

    viewer = answer["data"]["viewer"]
    [sample] = [o for o in viewer["organizations"] if o["organization"]["repositoryId"] == SAMPLE]
    assert viewer["currentAccount"] == sample
    assert sample["roles"] == ["ADMIN"]


@pytest.mark.usefixtures("many")
async def test_the_current_account_takes_the_global_id_of_their_account_as_its_argument(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    async with shopper_client(MANY) as client:
        by_global_id = await graphql(client, CURRENT_ACCOUNT, {"id": encode("Organization", LAST)})
        by_vendor_id = await graphql(client, CURRENT_ACCOUNT, {"id": LAST})
        of_a_site = await graphql(client, CURRENT_ACCOUNT, {"id": encode("Site", "siteUS")})

    assert by_global_id == by_vendor_id
    assert by_vendor_id["data"]["viewer"]["currentAccount"]["organization"] == {
        "repositoryId": LAST
    }
    # Another type's global id: refused as currentOrganization's argument refuses it.
    assert [e["extensions"]["code"] for e in of_a_site["errors"]] == ["100002"]
