"""A registration request submitted before the email rule (core.common.emails) may hold an
email the rule refuses today. The rule judges what the admin sets: an update that leaves the
email out, or sends the stored one back as it is (a form that writes every field back), is
taken; an email the admin changes, even to another spelling of the stored look-alike, is
judged (101001 at profile.email). REST and GraphQL alike. Approving one whose email no
profile holds would create a profile with it: refused (101001) until the admin corrects it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from legacy_requests import REQUEST, approval_state
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from graphql_client import GraphQL
from rest.request_builders import ADMIN_REQUESTS

#: Emails an older orgql stored (its rule: one "@" and a dot in the domain, no whitespace).
LEGACY = {
    "zero-width space": "ada\u200b@acme.example",
    "fullwidth letters": "\uff41\uff44\uff41@acme.example",
    "empty domain label": "ada@acme..example",
}

UPDATE = """mutation($id: ID!, $input: UpdateOrganizationRequestInput!) {
  updateOrganizationRequest(id: $id, input: $input) {
    organizationRequest { requesterComments profileDraft { email firstName } }
    userErrors { code field } } }"""


@pytest.fixture(params=LEGACY.values(), ids=LEGACY.keys())
async def legacy_email(request: pytest.FixtureRequest, engine: AsyncEngine) -> str:
    """A request in review whose email an older orgql stored, inserted as it was then."""
    email: str = request.param
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO organization_requests (id, name, site_id, organization_draft,"
                " profile_email, profile_first_name, profile_last_name)"
                """ VALUES (:id, 'Acme', 'siteUS', '{"name": "Acme"}', :email, 'Ada', 'Byron')"""
            ),
            {"id": REQUEST, "email": email},
        )
    return email


async def _put(client: httpx.AsyncClient, body: dict[str, Any]) -> tuple[int, Any]:
    response = await client.put(f"{ADMIN_REQUESTS}/{REQUEST}?expand=profile", json=body)
    answer = response.json()
    if response.status_code != 200:
        return response.status_code, (answer["errorCode"], answer.get("o:errorPath"))
    profile = answer["profile"]
    return 200, (profile["email"], profile["firstName"], answer["requesterComments"])


async def test_a_rest_update_leaving_the_legacy_email_out_is_taken(
    client: httpx.AsyncClient, legacy_email: str
) -> None:
    answer = await _put(client, {"requesterComments": "Hi", "profile": {"firstName": "Ida"}})

    assert answer == (200, (legacy_email, "Ida", "Hi"))


async def test_a_rest_update_sending_the_legacy_email_back_unchanged_is_taken(
    client: httpx.AsyncClient, legacy_email: str
) -> None:
    profile = {"email": legacy_email, "firstName": "Ida", "lastName": "Byron"}

    answer = await _put(client, {"name": "Acme", "requesterComments": "Hi", "profile": profile})

    assert answer == (200, (legacy_email, "Ida", "Hi"))


async def test_a_rest_update_setting_the_legacy_email_in_another_spelling_is_refused(
    client: httpx.AsyncClient, legacy_email: str
) -> None:
    answer = await _put(client, {"profile": {"email": legacy_email.upper()}})

    assert answer == (400, ("101001", "profile.email"))


@pytest.mark.parametrize(
    "profile",
    [{"firstName": "Ida"}, {"email": "<stored>", "firstName": "Ida"}],
    ids=["email left out", "email sent back unchanged"],
)
async def test_a_graphql_update_keeping_the_legacy_email_is_taken(
    graphql: GraphQL, legacy_email: str, profile: dict[str, str]
) -> None:
    given = {key: legacy_email if value == "<stored>" else value for key, value in profile.items()}

    answer = await graphql.data(
        UPDATE, {"id": REQUEST, "input": {"requesterComments": "Hi", "profile": given}}
    )

    assert answer["updateOrganizationRequest"] == {
        "organizationRequest": {
            "requesterComments": "Hi",
            "profileDraft": {"email": legacy_email, "firstName": "Ida"},
        },
        "userErrors": [],
    }


async def test_a_graphql_update_setting_the_legacy_email_in_another_spelling_is_refused(
    graphql: GraphQL, legacy_email: str
) -> None:
    answer = await graphql.data(
        UPDATE, {"id": REQUEST, "input": {"profile": {"email": legacy_email.upper()}}}
    )

    assert answer["updateOrganizationRequest"] == {
        "organizationRequest": None,
        "userErrors": [{"code": "101001", "field": "profile.email"}],
    }


APPROVE = """mutation($id: ID!) {
  approveOrganizationRequest(id: $id) {
    organizationRequest { status profile { email } } userErrors { code field message } } }"""


async def test_a_rest_approval_creating_a_profile_with_the_legacy_email_is_refused(
    client: httpx.AsyncClient, engine: AsyncEngine, legacy_email: str
) -> None:
    before = await approval_state(engine)

    response = await client.post(f"{ADMIN_REQUESTS}/{REQUEST}/approve", json={})

    answer = response.json()
    assert (response.status_code, answer["errorCode"], answer["o:errorPath"]) == (
        400,
        "101001",
        "profile.email",
    )
    assert "correct the request's email" in answer["message"]
    assert await approval_state(engine) == before
    assert before[:2] == ("review", None)


async def test_a_graphql_approval_creating_a_profile_with_the_legacy_email_is_refused(
    graphql: GraphQL, engine: AsyncEngine, legacy_email: str
) -> None:
    before = await approval_state(engine)

    answer = (await graphql.data(APPROVE, {"id": REQUEST}))["approveOrganizationRequest"]

    assert answer["organizationRequest"] is None
    [error] = answer["userErrors"]
    assert (error["code"], error["field"]) == ("101001", "profile.email")
    assert "correct the request's email" in error["message"]
    assert await approval_state(engine) == before


async def test_the_approval_is_taken_once_an_update_corrects_the_legacy_email(
    client: httpx.AsyncClient, graphql: GraphQL, legacy_email: str
) -> None:
    refused = await client.post(f"{ADMIN_REQUESTS}/{REQUEST}/approve", json={})
    corrected = await _put(client, {"profile": {"email": "ada@acme.example"}})

    answer = (await graphql.data(APPROVE, {"id": REQUEST}))["approveOrganizationRequest"]

    assert (refused.status_code, corrected) == (400, (200, ("ada@acme.example", "Ada", None)))
    assert answer == {
        "organizationRequest": {"status": "APPROVED", "profile": {"email": "ada@acme.example"}},
        "userErrors": [],
    }


async def test_an_approval_links_a_legacy_profile_holding_the_same_email(
    engine: AsyncEngine, graphql: GraphQL, legacy_email: str
) -> None:
    # It creates no profile: the address is in profiles already, as an older orgql stored it.
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO profiles (id, email, first_name, receive_email, active)"
                " VALUES ('120901', :email, 'Ada', false, true)"
            ),
            {"email": legacy_email},
        )

    answer = (await graphql.data(APPROVE, {"id": REQUEST}))["approveOrganizationRequest"]

    assert answer == {
        "organizationRequest": {"status": "APPROVED", "profile": {"email": legacy_email}},
        "userErrors": [],
    }


async def test_an_approval_trims_a_stored_email_padded_with_spaces(
    engine: AsyncEngine, graphql: GraphQL
) -> None:
    # Spaces around it are no part of the address: the rule judges it trimmed, as it is given.
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO organization_requests (id, name, site_id, organization_draft,"
                " profile_email, profile_first_name, profile_last_name)"
                """ VALUES (:id, 'Acme', 'siteUS', '{"name": "Acme"}', :email, 'Ada', 'Byron')"""
            ),
            {"id": REQUEST, "email": "  ada@acme.example \t"},
        )

    answer = (await graphql.data(APPROVE, {"id": REQUEST}))["approveOrganizationRequest"]

    assert answer == {
        "organizationRequest": {"status": "APPROVED", "profile": {"email": "ada@acme.example"}},
        "userErrors": [],
    }
