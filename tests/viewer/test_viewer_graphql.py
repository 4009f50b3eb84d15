"""``viewer``: the signed-in shopper's profile, their accounts with their roles, and the
account they buy for (core.viewer.service). Demo data: Shelly (110000) is a member of 100001
"Sample" with its admin role; 100002 "Sample East" is its child, 100003 its grandchild."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from viewer_support import SAMPLE, SHELLY, VIEWER, add_profile, graphql

from orgql.db import models
from orgql.graphql.global_ids import encode

EAST = "100002"
GRANDCHILD = "100003"
#: A member of 100001 (no role) and of 100003 (buyer), whose parent organization is 100003.
DANA = "120020"
CURRENT = "query($id: ID) { viewer { currentOrganization(id: $id) { repositoryId name } } }"


@pytest.fixture
async def dana(session: AsyncSession) -> None:
    await add_profile(
        session, DANA, "dana@example.com", member_of=(SAMPLE, GRANDCHILD), parent=GRANDCHILD
    )
    buyer = await session.scalar(
        models.RelativeRole.__table__.select()
        .with_only_columns(models.RelativeRole.id)
        .where(
            models.RelativeRole.organization_id == GRANDCHILD,
            models.RelativeRole.function == "buyer",
        )
    )
    session.add(models.ProfileRole(profile_id=DANA, role_id=buyer))
    await session.commit()


async def test_the_viewer_is_the_shoppers_profile_and_accounts_with_their_roles(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    async with shopper_client(SHELLY) as client:
        answer = await graphql(client, VIEWER)

    assert answer == {
        "data": {
            "viewer": {
                "profile": {"repositoryId": SHELLY, "email": "shelly.smith@example.com"},
                "organizations": [
                    {
                        "organization": {"repositoryId": SAMPLE, "name": "Sample", "active": True},
                        "roles": ["ADMIN"],
                        "permissions": ["READ_ACCOUNT", "MANAGE_CONTACTS", "MANAGE_APPROVALS"],
                    }
                ],
            }
        }
    }


@pytest.mark.usefixtures("dana")
async def test_each_account_is_listed_by_name_with_the_roles_held_in_it(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    query = "{ viewer { organizations { organization { repositoryId name } roles } } }"
    async with shopper_client(DANA) as client:
        answer = await graphql(client, query)

    assert answer["data"]["viewer"]["organizations"] == [
        {"organization": {"repositoryId": SAMPLE, "name": "Sample"}, "roles": []},
        {
            "organization": {"repositoryId": GRANDCHILD, "name": "Sample East Purchasing"},
            "roles": ["BUYER"],
        },
    ]


async def test_the_viewer_with_accounts_and_roles_is_two_statements(
    shopper_client: Callable[[str], httpx.AsyncClient], statement_counter: Any
) -> None:
    async with shopper_client(SHELLY) as client:
        await graphql(client, "{ sites { repositoryId } }")  # the token verified first
        statement_counter.reset()
        answer = await graphql(client, VIEWER)

    assert "errors" not in answer
    assert statement_counter.count == 2  # profile and accounts; roles and permissions


@pytest.mark.usefixtures("dana")
async def test_a_parent_whose_roles_apply_to_divisions_lends_its_members_and_roles_to_them(
    shopper_client: Callable[[str], httpx.AsyncClient], session: AsyncSession
) -> None:
    await session.execute(
        update(models.Organization)
        .where(models.Organization.id == SAMPLE)
        .values(roles_apply_to_divisions=True)
    )
    await session.commit()
    query = "{ viewer { organizations { organization { repositoryId } roles permissions } } }"
    async with shopper_client(SHELLY) as client:
        answer = await graphql(client, query)
    async with shopper_client(DANA) as client:
        dana = await graphql(client, query)

    admin = ["READ_ACCOUNT", "MANAGE_CONTACTS", "MANAGE_APPROVALS"]
    assert answer["data"]["viewer"]["organizations"] == [
        {"organization": {"repositoryId": SAMPLE}, "roles": ["ADMIN"], "permissions": admin},
        {"organization": {"repositoryId": EAST}, "roles": ["ADMIN"], "permissions": admin},
        {"organization": {"repositoryId": GRANDCHILD}, "roles": ["ADMIN"], "permissions": admin},
    ]
    # Dana: a member of Sample without a role there, a buyer of 100003.
    assert dana["data"]["viewer"]["organizations"] == [
        {"organization": {"repositoryId": SAMPLE}, "roles": [], "permissions": ["READ_ACCOUNT"]},
        {"organization": {"repositoryId": EAST}, "roles": [], "permissions": ["READ_ACCOUNT"]},
        {
            "organization": {"repositoryId": GRANDCHILD},
            "roles": ["BUYER"],
            "permissions": ["READ_ACCOUNT"],
        },
    ]


async def test_an_anonymous_caller_has_no_viewer(anonymous_client: httpx.AsyncClient) -> None:
    answer = await graphql(anonymous_client, "{ viewer { profile { email } } }")

    assert [(e["path"], e["extensions"]["code"], e["message"]) for e in answer["errors"]] == [
        (["viewer"], "UNAUTHENTICATED", "a shopper's access token is required")
    ]
    assert answer["data"] is None


async def test_an_admin_token_names_no_profile_and_is_refused_the_viewer(
    client: httpx.AsyncClient,
) -> None:
    answer = await graphql(client, "{ viewer { profile { email } } }")

    assert [(e["path"], e["extensions"]["code"], e["message"]) for e in answer["errors"]] == [
        (
            ["viewer"],
            "FORBIDDEN",
            "viewer is the signed-in shopper: an admin access token names no profile",
        )
    ]


async def test_a_deactivated_account_is_shown_inactive_without_contract_or_payment_values(
    shopper_client: Callable[[str], httpx.AsyncClient], session: AsyncSession
) -> None:
    await session.execute(
        update(models.Organization)
        .where(models.Organization.id == SAMPLE)
        .values(active=False, payment_methods=["card"])
    )
    await session.commit()
    query = """{ viewer { organizations { permissions organization {
        repositoryId active derivedPaymentMethods derivedContract(site: "siteUS") { displayName }
    } } } }"""
    async with shopper_client(SHELLY) as client:
        answer = await graphql(client, query)

    assert answer == {
        "data": {
            "viewer": {
                "organizations": [
                    {
                        "permissions": ["READ_ACCOUNT"],  # read, never managed
                        "organization": {
                            "repositoryId": SAMPLE,
                            "active": False,
                            "derivedPaymentMethods": None,
                            "derivedContract": None,
                        },
                    }
                ]
            }
        }
    }


# ---------------------------------------------------------------- the current account


@pytest.mark.usefixtures("dana")
@pytest.mark.parametrize("chosen", [GRANDCHILD, encode("Organization", GRANDCHILD)])
async def test_the_current_account_is_the_one_the_argument_names(
    shopper_client: Callable[[str], httpx.AsyncClient], chosen: str
) -> None:
    async with shopper_client(DANA) as client:
        answer = await graphql(client, CURRENT, {"id": chosen})

    assert answer == {
        "data": {
            "viewer": {
                "currentOrganization": {
                    "repositoryId": GRANDCHILD,
                    "name": "Sample East Purchasing",
                }
            }
        }
    }


@pytest.mark.usefixtures("dana")
@pytest.mark.parametrize("header", [SAMPLE, encode("Organization", SAMPLE)])
async def test_without_an_argument_the_x_ccorganization_header_names_the_current_account(
    shopper_client: Callable[[str], httpx.AsyncClient], header: str
) -> None:
    async with shopper_client(DANA) as client:
        answer = await graphql(client, CURRENT, headers={"X-CCOrganization": header})
        argument_wins = await graphql(
            client, CURRENT, {"id": GRANDCHILD}, headers={"X-CCOrganization": header}
        )

    assert answer["data"]["viewer"]["currentOrganization"]["repositoryId"] == SAMPLE
    assert argument_wins["data"]["viewer"]["currentOrganization"]["repositoryId"] == GRANDCHILD


@pytest.mark.usefixtures("dana")
async def test_without_a_choice_the_current_account_is_the_profiles_parent_organization(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    async with shopper_client(DANA) as client:
        answer = await graphql(client, CURRENT)

    assert answer["data"]["viewer"]["currentOrganization"] == {
        "repositoryId": GRANDCHILD,
        "name": "Sample East Purchasing",
    }


async def test_without_a_choice_or_a_parent_organization_there_is_no_current_account(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    async with shopper_client(SHELLY) as client:  # Shelly's profile has no parent
        answer = await graphql(client, CURRENT)

    assert answer == {"data": {"viewer": {"currentOrganization": None}}}


@pytest.mark.parametrize(
    "chosen",
    [EAST, GRANDCHILD, "999999", encode("Organization", EAST), encode("Site", "siteUS"), "x" * 300],
    ids=["child", "grandchild", "missing", "child global id", "a site's global id", "long"],
)
async def test_an_account_the_shopper_does_not_belong_to_is_answered_as_a_missing_one(
    shopper_client: Callable[[str], httpx.AsyncClient], chosen: str
) -> None:
    async with shopper_client(SHELLY) as client:
        by_header = await graphql(client, CURRENT, headers={"X-CCOrganization": chosen})
        missing = await graphql(client, CURRENT, {"id": "999999"})

    assert by_header == missing == {"data": {"viewer": {"currentOrganization": None}}}


async def test_the_argument_refuses_the_global_id_of_another_type(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    async with shopper_client(SHELLY) as client:
        answer = await graphql(client, CURRENT, {"id": encode("Site", "siteUS")})

    assert [e["extensions"]["code"] for e in answer["errors"]] == ["100002"]


async def test_the_current_accounts_effective_contract_on_a_site(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    query = """query($site: ID) { viewer { currentOrganization(id: "100001") {
        derivedContract(site: $site) { displayName }
        effectiveSiteProperties(site: $site) { approvalRequired }
    } } }"""
    async with shopper_client(SHELLY) as client:
        us = await graphql(client, query, {"site": "siteUS"})

    assert us == {
        "data": {
            "viewer": {
                "currentOrganization": {
                    "derivedContract": {"displayName": "Sample Master Contract"},
                    "effectiveSiteProperties": {"approvalRequired": False},
                }
            }
        }
    }
