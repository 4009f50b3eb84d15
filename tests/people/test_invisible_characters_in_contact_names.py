"""A contact's first and last name are seen whole (core.common.characters): one holding a
zero-width space, a direction override or a control looks like another person's name. Creating
or changing a contact to such a name is refused (100002 at the key, 400), REST and GraphQL
alike; a contact stored before the rule takes every other change, with its names left out or
sent back as they are."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from people_support import PROFILES, SAMPLE, SHELLY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from graphql_client import GraphQL

UNSEEN = {
    "zero-width space": "Ada\u200b",
    "right-to-left override": "\u202eAda",
    "byte order mark": "A\ufeffda",
    "newline": "Ada\nLovelace",
}

CREATE = """mutation($input: CreateContactInput!) {
  createContact(input: $input) { contact { id } userErrors { code field } } }"""
UPDATE = """mutation($id: ID!, $input: UpdateContactInput!) {
  updateContact(id: $id, input: $input) {
    contact { firstName lastName partyId } userErrors { code field } } }"""


def _refusal(response: httpx.Response) -> tuple[int, str, str | None]:
    body = response.json()
    return response.status_code, body["errorCode"], body.get("o:errorPath")


@pytest.mark.parametrize("name", UNSEEN.values(), ids=UNSEEN.keys())
@pytest.mark.parametrize("key", ["firstName", "lastName"])
async def test_rest_create_and_update_refuse_the_name(
    client: httpx.AsyncClient, key: str, name: str
) -> None:
    created = await client.post(PROFILES, json={"email": "ada@example.com", key: name})
    changed = await client.put(f"{PROFILES}/{SHELLY}", json={key: name})

    assert (_refusal(created), _refusal(changed)) == ((400, "100002", key), (400, "100002", key))
    assert (await client.get(f"{PROFILES}/{SHELLY}")).json()[key] != name


async def test_graphql_create_and_update_refuse_every_such_name(graphql: GraphQL) -> None:
    answers: dict[str, Any] = {}
    for label, name in UNSEEN.items():
        created = await graphql.data(
            CREATE, {"input": {"email": "ada@example.com", "firstName": "Ada", "lastName": name}}
        )
        changed = await graphql.data(UPDATE, {"id": SHELLY, "input": {"firstName": name}})
        answers[label] = (created["createContact"], changed["updateContact"])

    refused = (
        {"contact": None, "userErrors": [{"code": "100002", "field": "lastName"}]},
        {"contact": None, "userErrors": [{"code": "100002", "field": "firstName"}]},
    )
    assert answers == dict.fromkeys(UNSEEN, refused)


async def test_names_a_reader_sees_whole_are_taken(client: httpx.AsyncClient) -> None:
    body = {"email": "jose@example.com", "firstName": "José María", "lastName": "\uff2e\uff55"}

    response = await client.post(PROFILES, json=body)

    assert response.status_code == 201, response.text
    assert (response.json()["firstName"], response.json()["lastName"]) == (
        "José María",
        "\uff2e\uff55",
    )


LEE = "120900"
LEGACY = ("Lee\u200b", "\u202eSmith")


@pytest.fixture
async def legacy_contact(engine: AsyncEngine) -> tuple[str, str]:
    """A member of Sample whose names an older orgql stored, inserted as they were then."""
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO profiles (id, email, first_name, last_name, receive_email, active,"
                " parent_organization_id)"
                " VALUES (:id, 'lee@example.com', :first, :last, false, true, :org)"
            ),
            {"id": LEE, "first": LEGACY[0], "last": LEGACY[1], "org": SAMPLE},
        )
        await connection.execute(
            text("INSERT INTO organization_members (organization_id, profile_id) VALUES (:o, :p)"),
            {"o": SAMPLE, "p": LEE},
        )
    return LEGACY


async def test_a_rest_update_sending_the_legacy_names_back_unchanged_is_taken(
    client: httpx.AsyncClient, legacy_contact: tuple[str, str]
) -> None:
    stored = (await client.get(f"{PROFILES}/{LEE}")).json()
    body = {key: stored[key] for key in ("email", "firstName", "lastName", "receiveEmail")}

    response = await client.put(f"{PROFILES}/{LEE}", json={**body, "partyId": "P-1"})

    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["firstName"], answer["lastName"], answer["partyId"]) == (*legacy_contact, "P-1")


@pytest.mark.parametrize(
    "given",
    [{"partyId": "P-1"}, {"firstName": LEGACY[0], "lastName": LEGACY[1], "partyId": "P-1"}],
    ids=["names left out", "names sent back unchanged"],
)
async def test_a_graphql_update_keeping_the_legacy_names_is_taken(
    graphql: GraphQL, legacy_contact: tuple[str, str], given: dict[str, str]
) -> None:
    answer = await graphql.data(UPDATE, {"id": LEE, "input": given})

    first, last = legacy_contact
    assert answer["updateContact"] == {
        "contact": {"firstName": first, "lastName": last, "partyId": "P-1"},
        "userErrors": [],
    }


async def test_an_update_changing_a_legacy_name_to_another_unseen_one_is_refused(
    client: httpx.AsyncClient, legacy_contact: tuple[str, str]
) -> None:
    response = await client.put(f"{PROFILES}/{LEE}", json={"firstName": "LEE\u200b"})

    assert _refusal(response) == (400, "100002", "firstName")


#: Names whose first character is a combining mark: nothing to sit on, drawn alone.
MARKED = {
    "two acute accents": "\u0301\u0301",
    "enclosing circle": "\u20dd",
    "accent first": "\u0308Ada",
}


@pytest.mark.parametrize("name", MARKED.values(), ids=MARKED.keys())
async def test_rest_create_and_update_refuse_a_name_starting_with_a_mark(
    client: httpx.AsyncClient, graphql: GraphQL, name: str
) -> None:
    created = await client.post(PROFILES, json={"email": "ada@example.com", "lastName": name})
    changed = await client.put(f"{PROFILES}/{SHELLY}", json={"firstName": name})
    by_graphql = await graphql.data(
        CREATE, {"input": {"email": "ida@example.com", "firstName": name}}
    )
    changed_by_graphql = await graphql.data(UPDATE, {"id": SHELLY, "input": {"lastName": name}})

    assert (_refusal(created), _refusal(changed)) == (
        (400, "100002", "lastName"),
        (400, "100002", "firstName"),
    )
    assert "lastName starts with a combining mark (U+" in created.json()["message"]
    assert (by_graphql["createContact"], changed_by_graphql["updateContact"]) == (
        {"contact": None, "userErrors": [{"code": "100002", "field": "firstName"}]},
        {"contact": None, "userErrors": [{"code": "100002", "field": "lastName"}]},
    )


async def test_a_legacy_name_starting_with_a_mark_sent_back_unchanged_is_taken(
    engine: AsyncEngine, graphql: GraphQL
) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE profiles SET first_name = :name WHERE id = :id"),
            {"name": "\u0301Shelly", "id": SHELLY},
        )

    answer = await graphql.data(
        UPDATE, {"id": SHELLY, "input": {"firstName": "\u0301Shelly", "partyId": "P-1"}}
    )

    assert answer["updateContact"]["userErrors"] == []
    assert answer["updateContact"]["contact"]["firstName"] == "\u0301Shelly"
