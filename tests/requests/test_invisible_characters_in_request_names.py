"""The names of a registration request are seen whole (core.common.characters): the request's
name, its draft organization's name (an organization's name: ``Acme\u200b`` would sit beside
Acme) and the requester's first and last name. Submitting or changing one to a name holding a
character a reader does not see is refused (101001 at its path, 400), REST and GraphQL alike.
A request stored before the rule takes every other change, with its names left out or sent
back as they are; approving it would put such a name into organizations or profiles, so the
approval is refused (101001) and changes nothing until an update corrects it."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from legacy_requests import REQUEST, approval_state
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from graphql_client import GraphQL
from rest.request_builders import (
    ADMIN_REQUESTS,
    STORE_REQUESTS,
    request_document,
    submit,
    typed_address,
)

UNSEEN = "Acme\u200b"


def _with(path: str, value: str) -> dict[str, Any]:
    """The sample submission with ``value`` at ``path`` (``organization.name``...)."""
    document = request_document()
    *parents, key = path.split(".")
    target = document
    for parent in parents:
        target = target[parent]
    target[key] = value
    return document


def _refusal(response: httpx.Response) -> tuple[int, str, str | None]:
    body = response.json()
    return response.status_code, body["errorCode"], body.get("o:errorPath")


PATHS = ("name", "organization.name", "profile.firstName", "profile.lastName")


async def _rest_submit_and_update(
    client: httpx.AsyncClient, path: str, value: str
) -> tuple[httpx.Response, httpx.Response]:
    """Over REST, the sample submitted with ``value`` at ``path``, and a request submitted
    before updated so."""
    request_id = await submit(client)
    change = _with(path, value)
    body = {key: change[key] for key in ("name", "organization", "profile")}
    submitted = await client.post(STORE_REQUESTS, json=change)
    updated = await client.put(f"{ADMIN_REQUESTS}/{request_id}", json=body)
    return submitted, updated


@pytest.mark.parametrize("path", PATHS)
async def test_rest_submit_and_update_refuse_the_name(client: httpx.AsyncClient, path: str) -> None:
    submitted, updated = await _rest_submit_and_update(client, path, UNSEEN)

    assert (_refusal(submitted), _refusal(updated)) == ((400, "101001", path),) * 2
    assert "invisible or control character (U+200B)" in submitted.json()["message"]


SUBMIT = """mutation($input: SubmitOrganizationRequestInput!) {
  submitOrganizationRequest(input: $input) { id userErrors { code field } } }"""
UPDATE = """mutation($id: ID!, $input: UpdateOrganizationRequestInput!) {
  updateOrganizationRequest(id: $id, input: $input) {
    organizationRequest { name requesterComments organizationDraft { name }
      profileDraft { firstName lastName } }
    userErrors { code field } } }"""
PROFILE = {"email": "ada@acme.example", "firstName": "Ada", "lastName": "Byron"}


async def test_graphql_submit_and_update_refuse_every_such_name(
    client: httpx.AsyncClient, graphql: GraphQL
) -> None:
    request_id = await submit(client)
    answers = {}
    for path in PATHS:
        organization = {"name": "Acme"}
        given: dict[str, Any] = {
            "name": "Acme",
            "profile": dict(PROFILE),
            "organization": organization,
        }
        *parents, key = path.split(".")
        (given[parents[0]] if parents else given)[key] = UNSEEN
        submitted = await graphql.data(SUBMIT, {"input": given})
        updated = await graphql.data(UPDATE, {"id": request_id, "input": given})
        answers[path] = (
            submitted["submitOrganizationRequest"],
            updated["updateOrganizationRequest"]["userErrors"],
        )

    assert answers == {
        path: (
            {"id": None, "userErrors": [{"code": "101001", "field": path}]},
            [{"code": "101001", "field": path}],
        )
        for path in PATHS
    }


#: Names an older orgql stored: (request name, organization name, first name, last name).
LEGACY = ("Acme\u200b request", "Acme\u200b", "Ada\u202e", "By\u2060ron")


async def _insert(engine: AsyncEngine, names: tuple[str, str, str, str], **draft: Any) -> None:
    """A request in review stored as an older orgql did: its (request, organization, first,
    last) ``names``, its organization draft holding ``draft`` too."""
    name, organization, first, last = names
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO organization_requests (id, name, site_id, organization_draft,"
                " profile_email, profile_first_name, profile_last_name) VALUES (:id, :name,"
                " 'siteUS', CAST(:draft AS jsonb), 'ada@acme.example', :first, :last)"
            ),
            {
                "id": REQUEST,
                "name": name,
                "draft": json.dumps({"name": organization, **draft}),
                "first": first,
                "last": last,
            },
        )


@pytest.fixture
async def legacy_request(engine: AsyncEngine) -> tuple[str, str, str, str]:
    """A request in review whose names an older orgql stored, inserted as they were then."""
    await _insert(engine, LEGACY)
    return LEGACY


def _names(answer: dict[str, Any]) -> tuple[Any, ...]:
    request = answer["organizationRequest"]
    profile = request["profileDraft"]
    return (
        request["name"],
        request["organizationDraft"]["name"],
        profile["firstName"],
        profile["lastName"],
        request["requesterComments"],
    )


@pytest.mark.parametrize("sent_back", [False, True], ids=["names left out", "names sent back"])
async def test_a_graphql_update_keeping_the_legacy_names_is_taken(
    graphql: GraphQL, legacy_request: tuple[str, str, str, str], sent_back: bool
) -> None:
    name, organization, first, last = legacy_request
    given: dict[str, Any] = {"requesterComments": "Hi", "organization": {"description": "D"}}
    if sent_back:
        given |= {
            "name": name,
            "organization": {"name": organization, "description": "D"},
            "profile": {"firstName": first, "lastName": last},
        }

    answer = (await graphql.data(UPDATE, {"id": REQUEST, "input": given}))[
        "updateOrganizationRequest"
    ]

    assert answer["userErrors"] == []
    assert _names(answer) == (*legacy_request, "Hi")


async def test_a_rest_update_sending_the_legacy_names_back_unchanged_is_taken(
    client: httpx.AsyncClient, legacy_request: tuple[str, str, str, str]
) -> None:
    name, organization, first, last = legacy_request
    body = {
        "name": name,
        "requesterComments": "Hi",
        "organization": {"name": organization, "description": "D"},
        "profile": {"email": "ada@acme.example", "firstName": first, "lastName": last},
    }

    response = await client.put(f"{ADMIN_REQUESTS}/{REQUEST}?expand=profile", json=body)

    assert response.status_code == 200, response.text
    profile = response.json()["profile"]
    assert (profile["firstName"], profile["lastName"]) == (first, last)


async def test_an_update_changing_a_legacy_name_to_another_unseen_one_is_refused(
    client: httpx.AsyncClient, legacy_request: tuple[str, str, str, str]
) -> None:
    body = {"organization": {"name": "ACME\u200b"}, "profile": {"firstName": "Ida\u200b"}}

    response = await client.put(f"{ADMIN_REQUESTS}/{REQUEST}", json=body)

    assert response.status_code == 400
    assert [(e["errorCode"], e["o:errorPath"]) for e in response.json()["errors"]] == [
        ("101001", "profile.firstName"),
        ("101001", "organization.name"),
    ]


APPROVE = """mutation($id: ID!) {
  approveOrganizationRequest(id: $id) {
    organizationRequest { status organization { name } profile { firstName } }
    userErrors { code field message } } }"""


async def _rest_approval(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> tuple[httpx.Response, tuple[Any, ...], tuple[Any, ...]]:
    """The stored request approved over REST: the answer, and the approval's state (status,
    profile link, row counts) before and after it."""
    before = await approval_state(engine)
    response = await client.post(f"{ADMIN_REQUESTS}/{REQUEST}/approve", json={})
    return response, before, await approval_state(engine)


async def _refused_approval(
    client: httpx.AsyncClient, engine: AsyncEngine, names: tuple[str, str, str, str], path: str
) -> str:
    """A request in review stored with ``names``, one of them refused at ``path``: its REST
    approval is refused there, says to update it and changes nothing. The refusal's message."""
    await _insert(engine, names)

    response, before, after = await _rest_approval(client, engine)

    assert _refusal(response) == (400, "101001", path)
    message: str = response.json()["message"]
    assert f"(update {path}) before approving it" in message
    assert after == before
    assert before[:2] == ("review", None)
    return message


#: Requests stored before the rule, each with one name it breaks, and where approval says so.
ONE_LEGACY_NAME = {
    "organization.name": ("Acme request", "Acme\u200b", "Ada", "Byron"),
    "profile.firstName": ("Acme request", "Acme", "\ufeffAda", "Byron"),
    "profile.lastName": ("Acme request", "Acme", "Ada", "Byron\u202e"),
}


@pytest.mark.parametrize("path", ONE_LEGACY_NAME, ids=ONE_LEGACY_NAME.keys())
async def test_a_rest_approval_of_a_legacy_name_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, engine: AsyncEngine, path: str
) -> None:
    await _refused_approval(client, engine, ONE_LEGACY_NAME[path], path)


@pytest.mark.parametrize("path", ONE_LEGACY_NAME, ids=ONE_LEGACY_NAME.keys())
async def test_a_graphql_approval_of_a_legacy_name_is_refused_and_changes_nothing(
    graphql: GraphQL, engine: AsyncEngine, path: str
) -> None:
    await _insert(engine, ONE_LEGACY_NAME[path])
    before = await approval_state(engine)

    answer = (await graphql.data(APPROVE, {"id": REQUEST}))["approveOrganizationRequest"]

    assert answer["organizationRequest"] is None
    assert [(e["code"], e["field"]) for e in answer["userErrors"]] == [("101001", path)]
    assert await approval_state(engine) == before


async def test_the_approval_is_taken_once_an_update_corrects_the_legacy_names(
    client: httpx.AsyncClient, graphql: GraphQL, legacy_request: tuple[str, str, str, str]
) -> None:
    refused = await client.post(f"{ADMIN_REQUESTS}/{REQUEST}/approve", json={})
    body = {"organization": {"name": "Acme"}, "profile": {"firstName": "Ada", "lastName": "B"}}
    corrected = await client.put(f"{ADMIN_REQUESTS}/{REQUEST}", json=body)

    answer = (await graphql.data(APPROVE, {"id": REQUEST}))["approveOrganizationRequest"]

    assert (_refusal(refused), corrected.status_code) == ((400, "101001", "organization.name"), 200)
    assert answer == {
        "organizationRequest": {
            "status": "APPROVED",
            "organization": {"name": "Acme"},
            "profile": {"firstName": "Ada"},
        },
        "userErrors": [],
    }


async def test_an_approval_linking_an_existing_profile_takes_no_requester_name(
    engine: AsyncEngine, graphql: GraphQL
) -> None:
    # The requester's names only name a profile the approval creates: here it links one.
    await _insert(engine, ("Acme request", "Acme", "\ufeffAda", "Byron"))
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO profiles (id, email, first_name, receive_email, active)"
                " VALUES ('120901', 'ada@acme.example', 'Ada', false, true)"
            )
        )

    answer = (await graphql.data(APPROVE, {"id": REQUEST}))["approveOrganizationRequest"]

    assert answer["userErrors"] == []
    assert answer["organizationRequest"]["profile"] == {"firstName": "Ada"}


NICKNAME_PATH = "organization.secondaryAddresses[0].addressType"


async def test_a_submission_refuses_an_unseen_address_nickname(client: httpx.AsyncClient) -> None:
    document = request_document(secondaryAddresses=[typed_address("Office\u200b")])

    response = await client.post(STORE_REQUESTS, json=document)

    assert _refusal(response) == (400, "101001", NICKNAME_PATH)


@pytest.fixture
async def legacy_nickname(engine: AsyncEngine) -> None:
    """A request in review whose draft address an older orgql stored with such a nickname."""
    await _insert(
        engine,
        ("Acme", "Acme", "Ada", "Byron"),
        secondaryAddresses=[typed_address("Office\u200b")],
    )


async def test_an_update_leaving_a_legacy_nickname_as_it_is_is_taken(
    client: httpx.AsyncClient, legacy_nickname: None
) -> None:
    body = {"requesterComments": "Hi", "organization": {"description": "D"}}

    response = await client.put(f"{ADMIN_REQUESTS}/{REQUEST}", json=body)

    assert response.status_code == 200, response.text


async def test_an_approval_of_a_legacy_nickname_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, engine: AsyncEngine, legacy_nickname: None
) -> None:
    response, before, after = await _rest_approval(client, engine)

    assert _refusal(response) == (400, "101001", NICKNAME_PATH)
    assert after == before


#: A name whose first character is a combining mark: nothing to sit on, drawn alone.
MARKED = "\u0301\u0301"


@pytest.mark.parametrize("path", PATHS)
async def test_rest_submit_and_update_refuse_a_name_starting_with_a_mark(
    client: httpx.AsyncClient, path: str
) -> None:
    submitted, updated = await _rest_submit_and_update(client, path, MARKED)

    assert (_refusal(submitted), _refusal(updated)) == ((400, "101001", path),) * 2
    assert "starts with a combining mark (U+0301)" in submitted.json()["message"]


async def test_graphql_submit_refuses_names_and_nicknames_starting_with_a_mark(
    graphql: GraphQL,
) -> None:
    given = {
        "name": "\u20dd",
        "profile": {**PROFILE, "lastName": "\u0308Byron"},
        "organization": {"name": "\u0301Acme"},
    }

    answer = (await graphql.data(SUBMIT, {"input": given}))["submitOrganizationRequest"]

    assert answer["id"] is None
    assert sorted(e["field"] for e in answer["userErrors"]) == [
        "name",
        "organization.name",
        "profile.lastName",
    ]
    assert {e["code"] for e in answer["userErrors"]} == {"101001"}


async def test_a_submission_refuses_a_nickname_starting_with_a_mark(
    client: httpx.AsyncClient,
) -> None:
    document = request_document(secondaryAddresses=[typed_address("\u20ddOffice")])

    response = await client.post(STORE_REQUESTS, json=document)

    assert _refusal(response) == (400, "101001", NICKNAME_PATH)


MARKED_LEGACY = {
    "organization.name": ("Acme request", "\u0301Acme", "Ada", "Byron"),
    "profile.firstName": ("Acme request", "Acme", "\u20dd", "Byron"),
}


@pytest.mark.parametrize("path", MARKED_LEGACY, ids=MARKED_LEGACY.keys())
async def test_an_approval_of_a_legacy_name_starting_with_a_mark_is_refused(
    client: httpx.AsyncClient, engine: AsyncEngine, path: str
) -> None:
    message = await _refused_approval(client, engine, MARKED_LEGACY[path], path)

    assert "starts with a combining mark" in message


async def test_a_legacy_name_starting_with_a_mark_sent_back_unchanged_is_taken(
    graphql: GraphQL, engine: AsyncEngine
) -> None:
    names = ("\u0301Acme request", "\u0301Acme", "\u20dd", "\u0308Byron")
    await _insert(engine, names)
    given = {
        "name": names[0],
        "requesterComments": "Hi",
        "organization": {"name": names[1], "description": "D"},
        "profile": {"firstName": names[2], "lastName": names[3]},
    }

    answer = (await graphql.data(UPDATE, {"id": REQUEST, "input": given}))[
        "updateOrganizationRequest"
    ]

    assert answer["userErrors"] == []
    assert _names(answer) == (*names, "Hi")


async def test_an_approval_judges_the_draft_once_telling_every_problem_of_it(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    # The draft is judged by createOrganization's parser alone: its name's problem carries
    # the hint once, and a nickname's problem is told beside it, not after a second try.
    await _insert(
        engine,
        ("Acme", "Acme\u200b", "Ada", "Byron"),
        secondaryAddresses=[typed_address("\u20ddOffice")],
    )

    response, before, after = await _rest_approval(client, engine)

    assert [
        (e["errorCode"], e["o:errorPath"], e["message"]) for e in response.json()["errors"]
    ] == [
        (
            "101001",
            "organization.name",
            "name holds an invisible or control character (U+200B); correct the request's name"
            " (update organization.name) before approving it",
        ),
        (
            "101001",
            NICKNAME_PATH,
            "addressType starts with a combining mark (U+20DD), not a visible base character",
        ),
    ]
    assert after == before
