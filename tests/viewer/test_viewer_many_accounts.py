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

from graphql_client import inlined
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
        # In the document: the transport refuses a NUL in variables (graphql.request_body).
        by_argument = await graphql(client, inlined(CURRENT, {"id": chosen}))
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


#: A stranger's deactivated account, and a division of LAST (which lends nothing).
DEACTIVATED, UNLENT = "139998", "139997"


@pytest.fixture
async def strangers(many: None, session: AsyncSession) -> None:
    session.add(models.Organization(id=DEACTIVATED, name="Gone", active=False))
    session.add(models.Organization(id=UNLENT, name="Unlent", parent_id=LAST, path=[LAST]))
    await session.commit()


@pytest.mark.usefixtures("strangers")
@pytest.mark.parametrize(
    "chosen",
    [
        OUTSIDER,
        "999999",
        DEACTIVATED,
        UNLENT,
        encode("Organization", OUTSIDER),
        encode("Site", "siteUS"),
        "a\x00b",
        "x" * 100_000,
    ],
    ids=[
        "outsider",
        "missing",
        "deactivated",
        "unlent",
        "outsider gid",
        "site gid",
        "nul",
        "100kb",
    ],
)
async def test_the_current_account_of_an_account_not_theirs_is_null_by_header(
    shopper_client: Callable[[str], httpx.AsyncClient], chosen: str
) -> None:
    async with shopper_client(MANY) as client:
        by_header = await graphql(client, CURRENT_ACCOUNT, headers={"X-CCOrganization": chosen})
        missing = await graphql(client, CURRENT_ACCOUNT, {"id": "999999"})

    assert by_header == missing == {"data": {"viewer": {"currentAccount": None}}}


@pytest.mark.usefixtures("strangers")
@pytest.mark.parametrize(
    "chosen",
    [OUTSIDER, DEACTIVATED, UNLENT, encode("Organization", OUTSIDER), "a\x00b", "x" * 100_000],
    ids=["outsider", "deactivated", "unlent", "outsider gid", "nul", "100kb"],
)
async def test_the_current_account_of_an_account_not_theirs_is_null_by_argument(
    shopper_client: Callable[[str], httpx.AsyncClient], chosen: str
) -> None:
    async with shopper_client(MANY) as client:
        # In the document: the transport refuses a NUL in variables (graphql.request_body).
        by_argument = await graphql(client, inlined(CURRENT_ACCOUNT, {"id": chosen}))

    assert by_argument == {"data": {"viewer": {"currentAccount": None}}}


@pytest.mark.usefixtures("many")
async def test_siblings_and_aliases_of_the_current_account_keep_each_account_its_own_roles(
    shopper_client: Callable[[str], httpx.AsyncClient],
    session: AsyncSession,
    statement_counter: Any,
) -> None:
    await _grant_sample_admin(session, MANY)
    fields = "organization { repositoryId } roles permissions"
    query = f"""query($g: ID, $l: ID, $o: ID, $first: ID) {{ viewer {{
        organizations {{ {fields} }}
        currentOrganization(id: $g) {{ repositoryId }}
        g: currentAccount(id: $g) {{ {fields} }}
        l: currentAccount(id: $l) {{ {fields} }}
        o: currentAccount(id: $o) {{ {fields} }}
        first: currentAccount(id: $first) {{ {fields} }}
        g2: currentAccount(id: $g) {{ roles }}
    }} }}"""
    ids = {"g": GRANDCHILD, "l": LAST, "o": OUTSIDER, "first": ACCOUNT_IDS[0]}
    async with shopper_client(MANY) as client:
        await graphql(client, "{ sites { repositoryId } }")  # the token verified first
        statement_counter.reset()
        answer = await graphql(client, query, ids)
        statements = statement_counter.count

    viewer = answer["data"]["viewer"]
    admin = ["READ_ACCOUNT", "MANAGE_CONTACTS", "MANAGE_APPROVALS"]
    assert viewer["currentOrganization"] == {"repositoryId": GRANDCHILD}
    assert viewer["g"] == {
        "organization": {"repositoryId": GRANDCHILD},
        "roles": ["ADMIN"],
        "permissions": admin,
    }
    assert viewer["g2"] == {"roles": ["ADMIN"]}
    assert viewer["l"] == {
        "organization": {"repositoryId": LAST},
        "roles": [],
        "permissions": ["READ_ACCOUNT"],
    }
    assert viewer["o"] is None
    assert viewer["first"] == viewer["organizations"][0]
    assert viewer["first"]["organization"] == {"repositoryId": ACCOUNT_IDS[0]}
    # The accounts; the listed roles (one batch); per alias past the list, its membership;
    # per account past the list, its roles once (GRANDCHILD's shared by g and g2).
    # currentOrganization g, currentAccount g, l, o, g2: five memberships; roles of g, l.
    assert statements == 1 + 1 + 5 + 2


async def test_an_inactive_profile_has_no_current_account(
    shopper_client: Callable[[str], httpx.AsyncClient], session: AsyncSession
) -> None:
    await add_profile(session, "120031", "gone@example.com", member_of=(SAMPLE,), active=False)
    async with shopper_client("120031") as client:
        by_argument = await graphql(client, CURRENT_ACCOUNT, {"id": SAMPLE})
        by_header = await graphql(client, CURRENT_ACCOUNT, headers={"X-CCOrganization": SAMPLE})

    assert by_argument == by_header == {"data": {"viewer": {"currentAccount": None}}}


async def test_anonymous_and_admin_callers_are_refused_the_current_account(
    anonymous_client: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    anonymous = await graphql(anonymous_client, CURRENT_ACCOUNT, {"id": SAMPLE})
    admin = await graphql(client, CURRENT_ACCOUNT, {"id": SAMPLE})

    assert [e["extensions"]["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]
    assert [e["extensions"]["code"] for e in admin["errors"]] == ["FORBIDDEN"]
    assert anonymous["data"] is None
    assert admin["data"] is None
