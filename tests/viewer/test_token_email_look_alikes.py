"""A shopper token's verified email is never judged by the email rule (core.common.emails):
it creates nothing, it only names the profile (ORGQL_SHOPPER_IDENTITY_MATCH=email) and the
registration requests (core.viewer) that hold it in the same letters (emails.same_email).
So an email with an invisible character, or a trailing dot, names no one else's records:
not the profile nor the requests of the address it looks like, and a row an older orgql
stored with such an email is not named by the address it looks like either."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from viewer_support import SAMPLE, SHELLY_EMAIL, VIEWER, add_profile, graphql

BY_EMAIL = {"shopper_identity_claim": "email", "shopper_identity_match": "email"}
NOBODY_SEES = {"profile": None, "organizations": []}
MINE = "{ viewer { organizationRequests { repositoryId } } }"
#: Shelly's email with something invisible in it, or a trailing dot.
INVISIBLE = {
    "zero-width space": "shelly.smith\u200b@example.com",
    "word joiner": "shelly.smith@exam\u2060ple.com",
    "soft hyphen": "shelly.smith@exam\u00adple.com",
    "trailing dot": "shelly.smith@example.com.",
}


@pytest.mark.parametrize("email", INVISIBLE.values(), ids=INVISIBLE.keys())
async def test_a_verified_email_with_an_invisible_character_names_no_profile(
    storefront: Callable[..., Any], email: str
) -> None:
    async with (
        storefront(**BY_EMAIL) as shop,
        shop.shopper("idp-1", email=email, email_verified=True) as client,
    ):
        answer = await graphql(client, VIEWER)

    assert answer == {"data": {"viewer": NOBODY_SEES}}


async def test_a_legacy_profile_with_an_invisible_character_is_not_the_plain_addresss(
    storefront: Callable[..., Any], session: AsyncSession
) -> None:
    await add_profile(session, "120901", "ada\u200b@acme.example", member_of=(SAMPLE,))
    async with (
        storefront(**BY_EMAIL) as shop,
        shop.shopper("idp-2", email="ada@acme.example", email_verified=True) as client,
    ):
        answer = await graphql(client, VIEWER)

    assert answer == {"data": {"viewer": NOBODY_SEES}}


async def _legacy_request(engine: AsyncEngine, request_id: str, email: str) -> None:
    """A request in review, inserted as an older orgql stored it."""
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO organization_requests (id, name, site_id, profile_email,"
                " profile_first_name, profile_last_name)"
                " VALUES (:id, :id, 'siteUS', :email, 'A', 'B')"
            ),
            {"id": request_id, "email": email},
        )


@pytest.mark.parametrize("email", INVISIBLE.values(), ids=INVISIBLE.keys())
async def test_requests_are_named_by_their_email_in_the_same_characters_only(
    storefront: Callable[..., Any], engine: AsyncEngine, email: str
) -> None:
    await _legacy_request(engine, "R-PLAIN", SHELLY_EMAIL)
    await _legacy_request(engine, "R-LOOK-ALIKE", email)
    async with storefront() as shop:  # sub = profile id; the token's email names requests
        async with shop.shopper("110000") as shelly:  # her profile's email
            hers = await graphql(shelly, MINE)
        async with shop.shopper("idp-3", email=SHELLY_EMAIL, email_verified=True) as plain:
            by_plain = await graphql(plain, MINE)
        async with shop.shopper("idp-4", email=email, email_verified=True) as look_alike:
            by_look_alike = await graphql(look_alike, MINE)

    assert [
        [row["repositoryId"] for row in answer["data"]["viewer"]["organizationRequests"]]
        for answer in (hers, by_plain, by_look_alike)
    ] == [["R-PLAIN"], ["R-PLAIN"], ["R-LOOK-ALIKE"]]
