"""A contact stored before the email rule (core.common.emails) may hold an email the rule
refuses today. The rule judges what the caller sets: a change that leaves the email out, or
sends the stored one back as it is (a client that reads the profile and writes it all back),
is taken; an email the caller changes, even to another spelling of the same stored
look-alike, is judged. REST and GraphQL alike."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from people_support import PROFILES, SAMPLE
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from graphql_client import GraphQL

#: Emails an older orgql stored (its rule: one "@" and a dot in the domain, no whitespace).
LEGACY = {
    "zero-width space": "lee\u200b@example.com",
    "fullwidth letters": "\uff4c\uff45\uff45@example.com",
    "empty domain label": "lee@example..com",
}
LEE = "120900"

UPDATE = """mutation($id: ID!, $input: UpdateContactInput!) {
  updateContact(id: $id, input: $input) {
    contact { email firstName } userErrors { code field } } }"""


@pytest.fixture(params=LEGACY.values(), ids=LEGACY.keys())
async def legacy_email(request: pytest.FixtureRequest, engine: AsyncEngine) -> str:
    """A member of Sample whose email an older orgql stored, inserted as it was then."""
    email: str = request.param
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO profiles (id, email, first_name, receive_email, active,"
                " parent_organization_id) VALUES (:id, :email, 'Lee', false, true, :org)"
            ),
            {"id": LEE, "email": email, "org": SAMPLE},
        )
        await connection.execute(
            text("INSERT INTO organization_members (organization_id, profile_id) VALUES (:o, :p)"),
            {"o": SAMPLE, "p": LEE},
        )
    return email


def _answer(response: httpx.Response) -> tuple[int, Any]:
    body = response.json()
    if response.status_code != 200:
        return response.status_code, (body["errorCode"], body.get("o:errorPath"))
    return 200, (body["email"], body["firstName"])


async def test_a_rest_update_leaving_the_legacy_email_out_is_taken(
    client: httpx.AsyncClient, legacy_email: str
) -> None:
    answer = await client.put(f"{PROFILES}/{LEE}", json={"firstName": "Leo"})

    assert _answer(answer) == (200, (legacy_email, "Leo"))


async def test_a_rest_update_sending_the_legacy_email_back_unchanged_is_taken(
    client: httpx.AsyncClient, legacy_email: str
) -> None:
    stored = (await client.get(f"{PROFILES}/{LEE}")).json()
    body = {key: stored[key] for key in ("email", "firstName", "lastName", "receiveEmail")}

    answer = await client.put(f"{PROFILES}/{LEE}", json={**body, "firstName": "Leo"})

    assert _answer(answer) == (200, (legacy_email, "Leo"))


async def test_a_rest_update_setting_the_legacy_email_in_another_spelling_is_refused(
    client: httpx.AsyncClient, legacy_email: str
) -> None:
    answer = await client.put(f"{PROFILES}/{LEE}", json={"email": legacy_email.upper()})

    assert _answer(answer) == (400, ("100002", "email"))
    assert _answer(await client.get(f"{PROFILES}/{LEE}")) == (200, (legacy_email, "Lee"))


@pytest.mark.parametrize(
    "changes",
    [{"firstName": "Leo"}, {"email": "<stored>", "firstName": "Leo"}],
    ids=["email left out", "email sent back unchanged"],
)
async def test_a_graphql_update_keeping_the_legacy_email_is_taken(
    graphql: GraphQL, legacy_email: str, changes: dict[str, str]
) -> None:
    given = {key: legacy_email if value == "<stored>" else value for key, value in changes.items()}

    answer = await graphql.data(UPDATE, {"id": LEE, "input": given})

    assert answer["updateContact"] == {
        "contact": {"email": legacy_email, "firstName": "Leo"},
        "userErrors": [],
    }


async def test_a_graphql_update_setting_the_legacy_email_in_another_spelling_is_refused(
    graphql: GraphQL, legacy_email: str
) -> None:
    answer = await graphql.data(UPDATE, {"id": LEE, "input": {"email": legacy_email.upper()}})

    assert answer["updateContact"] == {
        "contact": None,
        "userErrors": [{"code": "100002", "field": "email"}],
    }


FLIP = """mutation($id: ID!) {
  %s(id: $id) { contact { email active } userErrors { code } } }"""


async def test_a_legacy_contact_is_deactivated_and_reactivated(
    graphql: GraphQL, legacy_email: str
) -> None:
    names = ("deactivateContact", "reactivateContact")
    flips = [(await graphql.data(FLIP % name, {"id": LEE}))[name] for name in names]

    assert flips == [
        {"contact": {"email": legacy_email, "active": False}, "userErrors": []},
        {"contact": {"email": legacy_email, "active": True}, "userErrors": []},
    ]
