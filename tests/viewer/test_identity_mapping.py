"""Which profile a shopper token names (core.access.identities): ORGQL_SHOPPER_IDENTITY_CLAIM
names the claim, ORGQL_SHOPPER_IDENTITY_MATCH the profile field (id, email, customerContactId)
it is matched against. Tokens are signed by an identity provider of the test's own, whose
keys the app fetches as a JWKS over loopback HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from viewer_support import SAMPLE, SHELLY, SHELLY_EMAIL, VIEWER, add_profile, graphql

from orgql.db import models
from orgql.db.engine import make_engine, make_sessionmaker
from orgql.settings import Settings

SHELLY_SEES = {
    "profile": {"repositoryId": SHELLY, "email": SHELLY_EMAIL},
    "organizations": [
        {
            "organization": {"repositoryId": SAMPLE, "name": "Sample", "active": True},
            "roles": ["ADMIN"],
            "permissions": ["READ_ACCOUNT", "MANAGE_CONTACTS", "MANAGE_APPROVALS"],
        }
    ],
}
NOBODY_SEES = {"profile": None, "organizations": []}
BY_EMAIL = {"shopper_identity_claim": "email", "shopper_identity_match": "email"}


async def test_by_default_the_tokens_sub_is_the_profile_id(storefront: Callable[..., Any]) -> None:
    async with storefront() as shop, shop.shopper(SHELLY) as client:
        answer = await graphql(client, VIEWER)

    assert answer == {"data": {"viewer": SHELLY_SEES}}


@pytest.mark.parametrize(
    "email", [SHELLY_EMAIL, "Shelly.Smith@EXAMPLE.com", "  shelly.smith@example.com  "]
)
async def test_a_token_email_names_the_profile_with_that_email_whatever_its_case_and_spaces(
    storefront: Callable[..., Any], email: str
) -> None:
    async with (
        storefront(**BY_EMAIL) as shop,
        shop.shopper("idp-user-1", email=email, email_verified=True) as client,
    ):
        answer = await graphql(client, VIEWER)

    assert answer == {"data": {"viewer": SHELLY_SEES}}


@pytest.mark.parametrize(
    "email",
    [
        "shelly.sm\u0130th@example.com",  # dotted capital I: lower() makes it "i"
        "shelly.sm\u0131th@example.com",  # dotless i: upper() makes it "I"
        "\u017fhelly.smith@example.com",  # long s: upper() makes it "S"
        "shelly.smith@example.co\uff4d",  # fullwidth m
    ],
    ids=["dotted capital I", "dotless i", "long s", "fullwidth"],
)
async def test_a_look_alike_of_a_profiles_email_names_no_profile(
    storefront: Callable[..., Any], email: str
) -> None:
    async with (
        storefront(**BY_EMAIL) as shop,
        shop.shopper("idp-user-1", email=email, email_verified=True) as client,
    ):
        answer = await graphql(client, VIEWER)

    assert answer == {"data": {"viewer": NOBODY_SEES}}


async def test_an_email_that_differs_by_a_kelvin_sign_names_no_profile(
    storefront: Callable[..., Any], session: AsyncSession
) -> None:
    await add_profile(session, "120014", "kim@acme.example", member_of=(SAMPLE,))
    async with (
        storefront(**BY_EMAIL) as shop,
        shop.shopper("idp-7", email="\u212aim@acme.example", email_verified=True) as client,
    ):
        answer = await graphql(client, "{ viewer { profile { repositoryId } } }")

    assert answer == {"data": {"viewer": {"profile": None}}}


async def test_an_email_in_another_case_of_the_same_letters_names_the_profile(
    storefront: Callable[..., Any], session: AsyncSession
) -> None:
    await add_profile(session, "120015", "j\u00f6rg@acme.example", member_of=(SAMPLE,))
    async with (
        storefront(**BY_EMAIL) as shop,
        shop.shopper("idp-8", email="J\u00d6RG@ACME.example", email_verified=True) as client,
    ):
        answer = await graphql(client, "{ viewer { profile { repositoryId } } }")

    assert answer == {"data": {"viewer": {"profile": {"repositoryId": "120015"}}}}


@pytest.mark.parametrize("verified", [True, "true"])
async def test_an_email_the_identity_provider_verified_names_the_profile(
    storefront: Callable[..., Any], verified: object
) -> None:
    async with (
        storefront(**BY_EMAIL) as shop,
        shop.shopper("idp-user-1", email=SHELLY_EMAIL, email_verified=verified) as client,
    ):
        answer = await graphql(client, VIEWER)

    assert answer == {"data": {"viewer": SHELLY_SEES}}


@pytest.mark.parametrize("verified", [False, "false", 0, 1, "True", None], ids=repr)
async def test_an_email_the_token_does_not_say_is_verified_names_no_profile(
    storefront: Callable[..., Any], verified: object
) -> None:
    query = '{ viewer { profile { repositoryId } } organization(id: "100001") { name } }'
    async with (
        storefront(**BY_EMAIL) as shop,
        shop.shopper("idp-user-1", email=SHELLY_EMAIL, email_verified=verified) as client,
    ):
        answer = await graphql(client, query)

    assert answer == {"data": {"viewer": {"profile": None}, "organization": None}}


async def test_email_verified_vouches_only_for_the_email_claim(
    storefront: Callable[..., Any],
) -> None:
    # Matching another claim by email: what the token verified is its `email`, not this.
    configured = {"shopper_identity_claim": "preferred_username", "shopper_identity_match": "email"}
    async with (
        storefront(**configured) as shop,
        shop.shopper(
            "idp-3",
            preferred_username=SHELLY_EMAIL,
            email="mallory@evil.example",
            email_verified=True,
        ) as mallory,
        shop.shopper(
            "idp-1", preferred_username=SHELLY_EMAIL, email=SHELLY_EMAIL, email_verified=True
        ) as shelly,
    ):
        impostor = await graphql(mallory, VIEWER)
        owner = await graphql(shelly, VIEWER)

    assert impostor == {"data": {"viewer": NOBODY_SEES}}
    assert owner == {"data": {"viewer": SHELLY_SEES}}


async def test_an_external_contact_id_names_the_profile_carrying_it(
    storefront: Callable[..., Any], session: AsyncSession
) -> None:
    await add_profile(
        session, "120010", "erin@example.com", member_of=(SAMPLE,), customer_contact_id="CRM-7"
    )
    configured = {"shopper_identity_claim": "crm_id", "shopper_identity_match": "customerContactId"}
    async with storefront(**configured) as shop, shop.shopper("idp-9", crm_id="CRM-7") as client:
        answer = await graphql(client, VIEWER)

    assert answer["data"]["viewer"] == {
        "profile": {"repositoryId": "120010", "email": "erin@example.com"},
        "organizations": [
            {
                "organization": {"repositoryId": SAMPLE, "name": "Sample", "active": True},
                "roles": [],
                "permissions": ["READ_ACCOUNT"],
            }
        ],
    }


async def test_an_external_contact_id_two_profiles_carry_names_neither(
    storefront: Callable[..., Any], session: AsyncSession
) -> None:
    await add_profile(session, "120010", "a@example.com", customer_contact_id="CRM-7")
    await add_profile(session, "120011", "b@example.com", customer_contact_id="CRM-7")
    configured = {"shopper_identity_claim": "crm_id", "shopper_identity_match": "customerContactId"}
    async with storefront(**configured) as shop, shop.shopper("idp-9", crm_id="CRM-7") as client:
        answer = await graphql(client, VIEWER)

    assert answer == {"data": {"viewer": NOBODY_SEES}}


async def test_a_token_matching_no_profile_is_a_signed_in_shopper_who_sees_no_account(
    storefront: Callable[..., Any],
) -> None:
    query = """{ viewer { profile { repositoryId } organizations { roles } }
      organizations(first: 5) { totalCount } }"""
    async with (
        storefront(**BY_EMAIL) as shop,
        shop.shopper("idp-user-2", email="nobody@example.com", email_verified=True) as client,
    ):
        answer = await graphql(client, query)
        rest = await client.get(f"/ccstore/v1/organizations/{SAMPLE}")

    assert answer == {
        "data": {
            "viewer": {"profile": None, "organizations": []},
            "organizations": {"totalCount": 0},
        }
    }
    assert rest.status_code == 404  # signed in (not 401), and the account is not theirs


@pytest.mark.parametrize("by_email", [True, False], ids=["by email", "by id"])
async def test_an_inactive_profile_is_matched_by_nothing(
    storefront: Callable[..., Any], session: AsyncSession, by_email: bool
) -> None:
    await add_profile(session, "120012", "gone@example.com", member_of=(SAMPLE,), active=False)
    configured = BY_EMAIL if by_email else {}
    async with (
        storefront(**configured) as shop,
        shop.shopper("120012", email="gone@example.com", email_verified=True) as client,
    ):
        answer = await graphql(client, VIEWER)

    assert answer == {"data": {"viewer": NOBODY_SEES}}


@pytest.mark.parametrize(
    ("claims", "problem"),
    [
        ({"email": None}, "the token has no 'email' claim (ORGQL_SHOPPER_IDENTITY_CLAIM)"),
        ({"email": 42}, "the token's 'email' claim is not a string"),
        ({"email": ["a@example.com"]}, "the token's 'email' claim is not a string"),
        (
            {"email": None, "sub": None},
            "the token has no 'email' claim (ORGQL_SHOPPER_IDENTITY_CLAIM)",
        ),
        ({"email": "a\x00@example.com"}, "the token's 'email' claim cannot be a profile's email"),
        ({"email": "x" * 255}, "the token's 'email' claim cannot be a profile's email"),
    ],
    ids=["missing", "number", "list", "no sub either", "nul", "too long"],
)
async def test_a_token_whose_identity_claim_names_no_one_is_not_accepted(
    storefront: Callable[..., Any], claims: dict[str, Any], problem: str
) -> None:
    async with storefront(**BY_EMAIL) as shop, shop.shopper("idp-4", **claims) as client:
        answer = await graphql(client, "{ viewer { profile { repositoryId } } }")
        rest = await client.get(f"/ccstore/v1/organizations/{SAMPLE}")

    assert answer == {
        "data": None,
        "errors": [
            {
                "message": problem,
                "locations": [{"line": 1, "column": 3}],
                "path": ["viewer"],
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ],
    }
    assert (rest.status_code, rest.json()["message"]) == (401, problem)


@pytest.mark.parametrize("sub", [7, None], ids=["number", "missing"])
async def test_a_sub_that_is_not_a_string_is_not_accepted_by_default(
    storefront: Callable[..., Any], sub: object
) -> None:
    async with storefront() as shop, shop.shopper("placeholder", sub=sub) as client:
        answer = await graphql(client, "{ viewer { profile { repositoryId } } }")

    expected = (
        "the token's 'sub' claim is not a string"
        if sub is not None
        else "the token has no 'sub' claim (ORGQL_SHOPPER_IDENTITY_CLAIM)"
    )
    assert [(e["message"], e["extensions"]["code"]) for e in answer["errors"]] == [
        (expected, "UNAUTHENTICATED")
    ]


async def test_the_profile_a_token_names_is_looked_up_once_while_the_token_is_remembered(
    storefront: Callable[..., Any], session: AsyncSession, statement_counter: Any
) -> None:
    async with (
        storefront(**BY_EMAIL) as shop,
        shop.shopper("idp-5", email=SHELLY_EMAIL, email_verified=True) as client,
    ):
        await graphql(client, "{ sites { repositoryId } }")
        statement_counter.reset()
        await graphql(client, "{ sites { repositoryId } }")
        again = statement_counter.count
        # The email moves to another profile: the remembered token still names Shelly.
        await session.execute(
            models.Profile.__table__.update()
            .where(models.Profile.id == SHELLY)
            .values(email="shelly@elsewhere.example")
        )
        await add_profile(session, "120013", SHELLY_EMAIL)
        answer = await graphql(client, "{ viewer { profile { repositoryId } } }")

    assert again == 1  # the sites: no lookup of the profile
    assert answer == {"data": {"viewer": {"profile": {"repositoryId": SHELLY}}}}


async def test_a_database_that_fails_the_lookup_answers_503_and_nothing_is_remembered(
    storefront: Callable[..., Any], client_for: Callable[..., Any]
) -> None:
    # Nothing listens on port 1 of the loopback: connecting is refused, as by a database
    # that is down. The app's own engine stays up.
    unreachable = make_engine("postgresql+asyncpg://orgql@127.0.0.1:1/none", pool_size=1)
    try:
        async with storefront(**BY_EMAIL) as shop:
            token = shop.token("idp-6", email=SHELLY_EMAIL, email_verified=True)
            down = {**shop.state, "sessionmaker": make_sessionmaker(unreachable)}
            async with client_for(shop.app, down, token=token) as client:
                graphql_answer = await client.post("/graphql", json={"query": VIEWER})
                rest_answer = await client.get(f"/ccstore/v1/organizations/{SAMPLE}")
            async with client_for(shop.app, shop.state, token=token) as client:
                recovered = await graphql(client, VIEWER)
    finally:
        await unreachable.dispose()

    assert graphql_answer.status_code == rest_answer.status_code == 503
    assert graphql_answer.headers["retry-after"] == "5"
    assert graphql_answer.json()["errors"][0]["extensions"] == {"code": "unavailable"}
    assert rest_answer.json()["errorCode"] == "503"
    assert recovered == {"data": {"viewer": SHELLY_SEES}}


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        (
            "ORGQL_SHOPPER_IDENTITY_MATCH",
            "mail",
            "Input should be 'id', 'email' or 'customerContactId'",
        ),
        (
            "ORGQL_SHOPPER_IDENTITY_CLAIM",
            "e mail",
            "ORGQL_SHOPPER_IDENTITY_CLAIM must name a claim",
        ),
        ("ORGQL_SHOPPER_IDENTITY_CLAIM", "", "ORGQL_SHOPPER_IDENTITY_CLAIM must name a claim"),
    ],
)
def test_an_identity_setting_that_cannot_work_stops_the_start(
    monkeypatch: pytest.MonkeyPatch, setting: str, value: str, message: str
) -> None:
    monkeypatch.setenv(setting, value)

    with pytest.raises(ValidationError, match=message):
        Settings()
