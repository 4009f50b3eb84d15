"""A shopper follows their own registration requests (``viewer { organizationRequests }``,
core.viewer.service.organization_requests): those submitted with their profile's email or the
email their identity provider verified, or linked to their profile; never another's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from viewer_support import SHELLY, add_profile, graphql

from orgql.graphql.global_ids import decode

SUBMIT = """
mutation($input: SubmitOrganizationRequestInput!) {
  submitOrganizationRequest(input: $input) { id userErrors { code message field } }
}
"""
APPROVE = """
mutation($id: ID!) { approveOrganizationRequest(id: $id) { userErrors { code } } }
"""
REJECT = """
mutation($id: ID!, $input: RejectOrganizationRequestInput) {
  rejectOrganizationRequest(id: $id, input: $input) { userErrors { code } }
}
"""
MINE = """
{ viewer { organizationRequests {
    repositoryId name status requesterComments approverComments organizationId
} } }
"""
BY_EMAIL = {"shopper_identity_claim": "email", "shopper_identity_match": "email"}
ADA = "ada@acme.example"


async def _submit(client: httpx.AsyncClient, name: str, email: str) -> str:
    submitted = {
        "name": name,
        "profile": {"email": email, "firstName": "Ada", "lastName": "Byron"},
        "organization": {},
        "requesterComments": "Please",
    }
    answer = await graphql(client, SUBMIT, {"input": submitted})
    payload = answer["data"]["submitOrganizationRequest"]
    assert payload["userErrors"] == [], payload
    request_id: str = payload["id"]
    return request_id


def _vendor_id(global_id: str) -> str:
    ref = decode(global_id)
    return ref.vendor_id if ref is not None else global_id


def _request(request_id: str, name: str, status: str, **values: Any) -> dict[str, Any]:
    return {
        "repositoryId": request_id,
        "name": name,
        "status": status,
        "requesterComments": "Please",
        "approverComments": None,
        "organizationId": None,
        **values,
    }


async def test_a_shopper_without_a_profile_follows_their_request_to_its_approval(
    storefront: Callable[..., Any],
) -> None:
    async with storefront(**BY_EMAIL) as shop:
        async with shop.anonymous() as visitor:
            request_id = _vendor_id(await _submit(visitor, "Acme", "Ada@Acme.example "))
        async with shop.shopper("idp-ada", email=ADA, email_verified=True) as ada:
            before = await graphql(ada, MINE)
            async with shop.admin() as admin:
                approved = await graphql(admin, APPROVE, {"id": request_id})
            after = await graphql(ada, MINE)
        # Signing in again (a new token): the profile the approval created is theirs.
        async with shop.shopper("idp-ada", email=ADA, email_verified=True, jti="second") as ada:
            accounts = await graphql(ada, "{ viewer { organizations { roles } } }")

    assert before == {
        "data": {"viewer": {"organizationRequests": [_request(request_id, "Acme", "REVIEW")]}}
    }
    assert approved["data"]["approveOrganizationRequest"]["userErrors"] == []
    (seen,) = after["data"]["viewer"]["organizationRequests"]
    assert seen == _request(request_id, "Acme", "APPROVED", organizationId=seen["organizationId"])
    assert seen["organizationId"] is not None
    assert accounts == {"data": {"viewer": {"organizations": [{"roles": ["ADMIN", "BUYER"]}]}}}


async def test_a_shopper_never_sees_anothers_request(storefront: Callable[..., Any]) -> None:
    async with storefront(**BY_EMAIL) as shop:
        async with shop.anonymous() as visitor:
            await _submit(visitor, "Other Co", "someone.else@example.com")
        async with shop.shopper("idp-ada", email=ADA, email_verified=True) as ada:
            answer = await graphql(ada, MINE)

    assert answer == {"data": {"viewer": {"organizationRequests": []}}}


@pytest.mark.parametrize("configured", [BY_EMAIL, {}], ids=["by email", "by id"])
@pytest.mark.parametrize("verified", [False, None], ids=["false", "absent"])
async def test_an_email_the_token_does_not_say_is_verified_names_no_request(
    storefront: Callable[..., Any], configured: dict[str, str], verified: bool | None
) -> None:
    async with storefront(**configured) as shop:
        async with shop.anonymous() as visitor:
            await _submit(visitor, "Acme", ADA)
        async with shop.shopper("idp-ada", email=ADA, email_verified=verified) as ada:
            answer = await graphql(ada, MINE)

    assert answer == {"data": {"viewer": {"organizationRequests": []}}}


async def test_a_request_made_with_the_profiles_email_is_the_profiles_newest_first(
    storefront: Callable[..., Any],
) -> None:
    async with storefront() as shop:  # sub = profile id; the token carries no email
        async with shop.anonymous() as visitor:
            first = _vendor_id(await _submit(visitor, "Shelly One", "SHELLY.smith@example.com"))
            second = _vendor_id(await _submit(visitor, "Shelly Two", "shelly.smith@example.com"))
        async with shop.admin() as admin:
            await graphql(admin, REJECT, {"id": first, "input": {"approverComments": "Duplicate"}})
        async with shop.shopper(SHELLY) as shelly:
            answer = await graphql(shelly, MINE)

    assert answer == {
        "data": {
            "viewer": {
                "organizationRequests": [
                    _request(second, "Shelly Two", "REVIEW"),
                    _request(first, "Shelly One", "REJECTED", approverComments="Duplicate"),
                ]
            }
        }
    }


async def test_reading_ones_requests_is_one_statement(
    storefront: Callable[..., Any], statement_counter: Any
) -> None:
    async with storefront() as shop, shop.shopper(SHELLY) as shelly:
        await graphql(shelly, "{ sites { repositoryId } }")
        statement_counter.reset()
        await graphql(shelly, MINE)

    assert statement_counter.count == 1


async def test_a_verified_look_alike_of_the_requests_email_does_not_name_it(
    storefront: Callable[..., Any],
) -> None:
    async with storefront() as shop:  # sub = profile id; the token's email names requests
        async with shop.anonymous() as visitor:
            await _submit(visitor, "Mia Co", "mia@acme.example")
        # Its dotted capital I is "i" to lower(): another mailbox, verified by its owner.
        async with shop.shopper("idp-x", email="m\u0130a@acme.example", email_verified=True) as x:
            answer = await graphql(x, MINE)

    assert answer == {"data": {"viewer": {"organizationRequests": []}}}


async def test_a_request_made_with_a_look_alike_of_the_profiles_email_is_not_the_profiles(
    storefront: Callable[..., Any], session: AsyncSession
) -> None:
    async with storefront() as shop:
        async with shop.anonymous() as visitor:  # no profile has either email yet
            await _submit(visitor, "Not Mia", "m\u0130a@acme.example")
        await add_profile(session, "120016", "mia@acme.example")
        async with shop.shopper("120016") as mia:
            answer = await graphql(mia, MINE)

    assert answer == {"data": {"viewer": {"organizationRequests": []}}}
