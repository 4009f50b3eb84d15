"""An organization's name is seen whole (core.common.characters): a name holding a character a
reader does not see (a zero-width space, a BOM, a direction override, a control) looks like
another name yet is not one to the unique key, so ``Sample\u200b`` would sit beside Sample.
Creating or renaming to one is refused (100002 at ``name``, 400), REST and GraphQL alike. A
name stored before the rule still takes every other change, and is taken back as it is.
Spaces of any kind around a name are trimmed before it is compared; fullwidth letters are
letters, not rewritten."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from graphql_client import GraphQL
from rest.builders import ORGANIZATIONS

#: The demo's root organization, named "Sample".
SAMPLE = "100001"
#: Names that look like "Sample" to a reader.
UNSEEN = {
    "zero-width space": "Sample\u200b",
    "byte order mark": "\ufeffSample",
    "right-to-left override": "Sam\u202eple",
    "word joiner": "Sam\u2060ple",
    "soft hyphen": "Sam\u00adple",
    "zero-width joiner": "Sample\u200d",
    "zero-width non-joiner between Latin letters": "Sam\u200cple",
    "zero-width joiner between Arabic letters": "\u0645\u200d\u0645",
    # An alef joins on no left: a non-joiner after it keeps nothing apart, and draws nothing.
    "zero-width non-joiner after an alef": "\u0627\u200c\u0628",
    "braille blank": "Sample\u2800",
    "variation selector": "Sample\ufe0f",
    "Hangul filler": "Sample\u3164",
    "tab inside": "Sam\tple",
    "line separator": "Sam\u2028ple",
    "private use": "Sample\ue000",
}

CREATE = """mutation($name: String!) {
  createOrganization(input: {name: $name}) {
    organization { name } userErrors { code field message } } }"""
UPDATE = """mutation($id: ID!, $input: UpdateOrganizationInput!) {
  updateOrganization(id: $id, input: $input) {
    organization { name description } userErrors { code field } } }"""


def _refusal(response: httpx.Response) -> tuple[int, str, str | None]:
    body = response.json()
    return response.status_code, body["errorCode"], body.get("o:errorPath")


#: How REST refuses such a name: (status, error code, error path).
REFUSED = (400, "100002", "name")
#: How GraphQL refuses it: (the organization created, its user errors, the update's answer).
GRAPHQL_REFUSED = (
    None,
    [("100002", "name")],
    {"organization": None, "userErrors": [{"code": "100002", "field": "name"}]},
)


async def _rest_create_and_rename(
    client: httpx.AsyncClient, name: str
) -> tuple[httpx.Response, httpx.Response]:
    """Over REST, an organization created named ``name``, and Sample East renamed to it."""
    created = await client.post(ORGANIZATIONS, json={"name": name})
    renamed = await client.put(f"{ORGANIZATIONS}/100002", json={"name": name})
    return created, renamed


async def _graphql_create_and_rename(graphql: GraphQL, names: dict[str, str]) -> dict[str, Any]:
    """Over GraphQL, for each of ``names``, an organization created named so and Sample East
    renamed so: the organization created, its (code, field) user errors, the update's answer."""
    answers: dict[str, Any] = {}
    for key, name in names.items():
        created = (await graphql.data(CREATE, {"name": name}))["createOrganization"]
        renamed = await graphql.data(UPDATE, {"id": "100002", "input": {"name": name}})
        answers[key] = (
            created["organization"],
            [(e["code"], e["field"]) for e in created["userErrors"]],
            renamed["updateOrganization"],
        )
    return answers


@pytest.mark.parametrize("name", UNSEEN.values(), ids=UNSEEN.keys())
async def test_rest_create_and_update_refuse_the_name(client: httpx.AsyncClient, name: str) -> None:
    created, renamed = await _rest_create_and_rename(client, name)

    assert (_refusal(created), _refusal(renamed)) == (REFUSED, REFUSED)
    assert "invisible or control character (U+" in created.json()["message"]


async def test_graphql_create_and_update_refuse_every_such_name(graphql: GraphQL) -> None:
    answers = await _graphql_create_and_rename(graphql, UNSEEN)

    assert answers == dict.fromkeys(UNSEEN, GRAPHQL_REFUSED)


async def test_the_message_names_the_unseen_character(graphql: GraphQL) -> None:
    answer = (await graphql.data(CREATE, {"name": "Sample\u200b"}))["createOrganization"]

    assert answer["userErrors"][0]["message"] == (
        "name holds an invisible or control character (U+200B)"
    )


@pytest.mark.parametrize(
    "name",
    ["Sample\u00a0", "\u3000Sample", " sample\u2003", "SAMPLE\u205f"],
    ids=["no-break space", "ideographic space", "em space", "medium mathematical space"],
)
async def test_spaces_of_any_kind_around_a_name_are_trimmed_before_it_is_compared(
    client: httpx.AsyncClient, name: str
) -> None:
    response = await client.post(ORGANIZATIONS, json={"name": name})

    assert _refusal(response) == (409, "100005", "name")


@pytest.mark.parametrize(
    "name",
    [
        "\uff33\uff41\uff4d\uff50\uff4c\uff45",
        "Acme\u00a0Corp",
        "株式会社\u3000山田",
        "Ünïcödé GmbH",
        # A non-joiner between two Arabic-script letters (Persian: it keeps them apart).
        "\u0634\u0631\u06a9\u062a \u0645\u06cc\u200c\u0647\u0646",
        # A joiner and a non-joiner after a virama (Devanagari: a half form, a visible virama).
        "\u0915\u094d\u200d\u0937 \u0915\u094d\u200c\u0937",
    ],
    ids=[
        "fullwidth letters",
        "no-break space inside",
        "ideographic space inside",
        "accents",
        "Persian non-joiner",
        "Devanagari joiners",
    ],
)
async def test_names_a_reader_sees_whole_are_taken_as_given(
    client: httpx.AsyncClient, name: str
) -> None:
    response = await client.post(ORGANIZATIONS, json={"name": name})

    assert (response.status_code, response.json()["name"]) == (200, name)


LEGACY = "Legacy\u200b Corp"


@pytest.fixture
async def legacy_name(engine: AsyncEngine) -> str:
    """Sample East (100002) renamed by an older orgql to a name the rule refuses today."""
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE organizations SET name = :name WHERE id = '100002'"), {"name": LEGACY}
        )
    return LEGACY


async def test_a_rest_update_sending_the_legacy_name_back_unchanged_is_taken(
    client: httpx.AsyncClient, legacy_name: str
) -> None:
    stored = (await client.get(f"{ORGANIZATIONS}/100002")).json()

    response = await client.put(
        f"{ORGANIZATIONS}/100002", json={"name": stored["name"], "description": "Kept"}
    )

    assert response.status_code == 200, response.text
    assert (response.json()["name"], response.json()["description"]) == (legacy_name, "Kept")


@pytest.mark.parametrize(
    "given",
    [{"description": "Kept"}, {"name": LEGACY, "description": "Kept"}],
    ids=["name left out", "name sent back unchanged"],
)
async def test_a_graphql_update_keeping_the_legacy_name_is_taken(
    graphql: GraphQL, legacy_name: str, given: dict[str, str]
) -> None:
    answer = await graphql.data(UPDATE, {"id": "100002", "input": given})

    assert answer["updateOrganization"] == {
        "organization": {"name": legacy_name, "description": "Kept"},
        "userErrors": [],
    }


async def test_an_update_changing_the_legacy_name_to_another_unseen_one_is_refused(
    client: httpx.AsyncClient, graphql: GraphQL, legacy_name: str
) -> None:
    rest = await client.put(f"{ORGANIZATIONS}/100002", json={"name": "LEGACY\u200b CORP"})
    answer = await graphql.data(UPDATE, {"id": "100002", "input": {"name": "Legacy\u200b"}})

    assert _refusal(rest) == REFUSED
    assert answer["updateOrganization"]["userErrors"] == [{"code": "100002", "field": "name"}]
    assert (await client.get(f"{ORGANIZATIONS}/100002")).json()["name"] == legacy_name


async def test_an_update_may_correct_the_legacy_name(graphql: GraphQL, legacy_name: str) -> None:
    answer = await graphql.data(UPDATE, {"id": "100002", "input": {"name": "Legacy Corp"}})

    assert answer["updateOrganization"]["organization"]["name"] == "Legacy Corp"


#: Names whose first character is a combining mark: nothing to sit on, drawn alone.
MARKED = {
    "two acute accents": "\u0301\u0301",
    "enclosing circle": "\u20dd",
    "accent before letters": "\u0301Sample",
    "accent after a trimmed space": " \u0308Sample",
}


@pytest.mark.parametrize("name", MARKED.values(), ids=MARKED.keys())
async def test_rest_create_and_update_refuse_a_name_starting_with_a_mark(
    client: httpx.AsyncClient, name: str
) -> None:
    created, renamed = await _rest_create_and_rename(client, name)

    assert (_refusal(created), _refusal(renamed)) == (REFUSED, REFUSED)
    assert "name starts with a combining mark (U+" in created.json()["message"]


async def test_graphql_create_and_update_refuse_every_name_starting_with_a_mark(
    graphql: GraphQL,
) -> None:
    answers = await _graphql_create_and_rename(graphql, MARKED)

    assert answers == dict.fromkeys(MARKED, GRAPHQL_REFUSED)


async def test_the_message_names_the_leading_mark(graphql: GraphQL) -> None:
    answer = (await graphql.data(CREATE, {"name": "\u20dd"}))["createOrganization"]

    assert answer["userErrors"][0]["message"] == (
        "name starts with a combining mark (U+20DD), not a visible base character"
    )


@pytest.mark.parametrize(
    "name",
    ["Ame\u0301lie", "A\u20dd", "\u0915\u093f", "Sample \u0301"],
    ids=[
        "accent after a letter",
        "circle around a letter",
        "Devanagari vowel sign",
        "after a space",
    ],
)
async def test_marks_after_a_base_character_are_taken(client: httpx.AsyncClient, name: str) -> None:
    response = await client.post(ORGANIZATIONS, json={"name": name})

    assert (response.status_code, response.json()["name"]) == (200, name)


@pytest.mark.parametrize(
    "name",
    [" ", "\u3000", "\u2003", "\u00a0\u3000\u205f", "\u1680"],
    ids=["ASCII space", "ideographic space", "em space", "mixed spaces", "Ogham space mark"],
)
async def test_a_name_of_whitespace_only_of_any_kind_is_blank(
    client: httpx.AsyncClient, graphql: GraphQL, name: str
) -> None:
    created = await client.post(ORGANIZATIONS, json={"name": name})
    renamed = await graphql.data(UPDATE, {"id": "100002", "input": {"name": name}})

    assert (_refusal(created), created.json()["message"]) == (
        (400, "100003", "name"),
        "name is required",
    )
    assert renamed["updateOrganization"]["organization"] is None


MARKED_LEGACY = "\u0301Legacy Corp"


@pytest.fixture
async def legacy_marked_name(engine: AsyncEngine) -> str:
    """Sample East (100002) renamed by an older orgql to a name starting with a mark."""
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE organizations SET name = :name WHERE id = '100002'"),
            {"name": MARKED_LEGACY},
        )
    return MARKED_LEGACY


async def test_a_legacy_name_starting_with_a_mark_sent_back_unchanged_is_taken(
    client: httpx.AsyncClient, graphql: GraphQL, legacy_marked_name: str
) -> None:
    rest = await client.put(
        f"{ORGANIZATIONS}/100002", json={"name": legacy_marked_name, "description": "Kept"}
    )
    answer = await graphql.data(
        UPDATE, {"id": "100002", "input": {"name": legacy_marked_name, "description": "Again"}}
    )
    changed = await client.put(f"{ORGANIZATIONS}/100002", json={"name": "\u0302Legacy Corp"})

    assert rest.status_code == 200, rest.text
    assert answer["updateOrganization"] == {
        "organization": {"name": legacy_marked_name, "description": "Again"},
        "userErrors": [],
    }
    assert _refusal(changed) == REFUSED
