"""The direct path remembers the bodies it answered (graphql.execution.known_bodies) and the
content types it read (direct.json_media_type): a body sent again is answered from what it
decided of the body alone, and what depends on anything else (the caller, the headers, the
document still known) is decided again at each request. Bounded in entries and in sizes."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from strawberry.http.parse_content_type import parse_content_type
from test_direct import ONE, _graphql, requests_for  # noqa: F401
from test_sql_plans import _hierarchy, reference  # noqa: F401
from test_sql_plans_shoppers import SHOPPER, _memberships

from graphql_client import GraphQL
from orgql.core.common import json_text
from orgql.graphql import request_body
from orgql.graphql.execution import direct as direct_reads
from orgql.graphql.execution import executor as compiled
from orgql.graphql.execution.known_bodies import MAX_BODY_BYTES, KnownBodies, KnownBody

#: ONE with the site left to the ``x-ccsite`` header.
BY_HEADER = """
query ByHeader($id: ID!) {
  organization(id: $id) {
    id name effectiveSiteProperties { approvalRequired orderPriceLimit contract { displayName } }
  }
}
"""


def _known(name: str) -> KnownBody:
    return KnownBody(name, None, None)


def test_the_least_recently_used_body_is_forgotten_first() -> None:
    known = KnownBodies(entries=2)
    first, second, third = _known("1"), _known("2"), _known("3")
    known.keep(b"1", first)
    known.keep(b"2", second)
    assert known.get(b"1") is first  # used: the second is now the oldest
    known.keep(b"3", third)
    found = (known.get(b"2"), known.get(b"1"), known.get(b"3"))
    assert (len(known), found) == (2, (None, first, third))


class Unhashable(bytes):
    """A body that must not be hashed (nor kept)."""

    def __hash__(self) -> int:
        raise AssertionError("a body past the size kept was hashed")


def test_a_body_past_the_size_kept_is_neither_kept_nor_hashed() -> None:
    known = KnownBodies()
    body = Unhashable(b" " * (MAX_BODY_BYTES + 1))
    known.keep(body, _known("long"))
    assert (known.get(body), len(known)) == (None, 0)
    at_the_bound = b" " * MAX_BODY_BYTES
    known.keep(at_the_bound, _known("kept"))
    assert len(known) == 1


def test_content_types_are_read_as_strawberry_reads_them_and_few_are_remembered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(direct_reads, "_json_media_types", {})
    values = [
        "application/json",
        "application/json; charset=utf-8",
        'application/json; charset="utf-8"',
        "Application/JSON",
        "text/plain",
        "",
        "application/graphql-response+json",
        "multipart/mixed; boundary=application/json",
        "application/json" + " " * 300,
    ]
    for _ in range(2):  # parsed, then remembered
        for value in values:
            media_type, _ = parse_content_type(value)
            assert direct_reads.json_media_type(value) == ("application/json" in media_type)
    remembered = direct_reads._json_media_types
    assert "application/json" + " " * 300 not in remembered  # longer than remembered
    for number in range(direct_reads.MAX_CONTENT_TYPES * 3):
        direct_reads.json_media_type(f"application/json; n={number}")
        assert len(remembered) <= direct_reads.MAX_CONTENT_TYPES


async def test_a_body_sent_again_is_not_decoded_again_and_answers_the_same(
    requests_for: Callable[..., Any],  # noqa: F811
    app: Starlette,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first direct answer of a body decodes it and keeps it; the next ones decode
    nothing. Another body (another id) is its own; the same bytes sent as another content
    type are the pipeline's (a 400); after the executor forgot the document, the body is the
    pipeline's until it is known again, then answered directly once more."""
    compiled.clear_cache()
    ids = await _hierarchy(GraphQL(client))
    body = json.dumps({"query": ONE, "variables": {"id": ids[3]}}).encode()
    other = json.dumps({"query": ONE, "variables": {"id": ids[1]}}).encode()
    json_body = {"content-type": "application/json"}
    decodes: list[object] = []

    def loads_body(text: str | bytes) -> Any:
        decodes.append(text)
        return json_text.loads_body(text)

    monkeypatch.setattr(request_body, "json_text", SimpleNamespace(loads_body=loads_body))
    seen = []
    async with requests_for("admin") as requests:
        for sent, headers in [
            (body, json_body),  # the pipeline's: the document is not known yet
            (body, json_body),  # direct, kept
            (body, json_body),  # direct, from what was kept
            (other, json_body),  # direct, a body of its own
            (body, {"content-type": "text/plain"}),  # the pipeline's 400, not JSON to it
        ]:
            decodes.clear()
            response, direct, _ = await requests.post(sent, headers=headers)
            seen.append((response.status_code, direct, len(decodes)))
            if response.status_code == 200:
                repository_id = response.json()["data"]["organization"]["repositoryId"]
                assert repository_id == (ids[3] if sent is body else ids[1])
        assert len(_graphql(app).direct.known) == 2
        compiled.clear_cache()  # the document forgotten: the kept body is no answer
        for _ in range(3):
            decodes.clear()
            response, direct, _ = await requests.post(body, headers=json_body)
            seen.append((response.status_code, direct, len(decodes)))
    assert seen == [
        (200, False, 1),
        (200, True, 1),
        (200, True, 0),
        (200, True, 1),
        (400, False, 0),  # refused before any decoding
        (200, False, 1),  # the pipeline's: it knows the document anew
        (200, True, 0),  # direct: analysed and coerced again for the new document
        (200, True, 0),
    ]


async def test_a_body_kept_answers_each_caller_and_site_as_the_pipeline_does(
    requests_for: Callable[..., Any],  # noqa: F811
    client_for: Callable[..., httpx.AsyncClient],
    reference: Starlette,  # noqa: F811
    client: httpx.AsyncClient,
    session: AsyncSession,
    identity_provider: Any,
) -> None:
    """One body, kept once an admin's request answered it, sent by a shopper, by an
    anonymous caller and with other ``x-ccsite`` headers: each answer is the pipeline's for
    that caller and site (the same app without SQL plans), not the first one's."""
    compiled.clear_cache()
    ids = await _hierarchy(GraphQL(client))
    await _memberships(session, ids)
    shopper = identity_provider.token(SHOPPER)
    body = json.dumps({"query": BY_HEADER, "variables": {"id": ids[3]}}).encode()
    cases = [
        ("admin", {}, True),
        ("admin", {}, True),
        (shopper, {}, True),  # not a member of ids[3]: null, in the same statement
        (None, {}, False),  # anonymous: the pipeline's UNAUTHENTICATED
        ("admin", {"x-ccsite": "site1"}, True),
        ("admin", {"x-ccsite": "site2"}, True),
        (shopper, {"x-ccsite": "site1"}, True),
    ]
    answers = []
    for token, headers, answered_directly in cases:
        headers = {"content-type": "application/json", **headers}
        async with requests_for(token) as requests:
            await requests.post(body, headers=headers)  # known, and kept
            mine, direct, _ = await requests.post(body, headers=headers)
        async with client_for(reference, reference.state.lifespan, token=token) as theirs:
            expected = await theirs.post("/graphql", content=body, headers=headers)
        assert direct == answered_directly, (token, headers)
        assert (mine.status_code, mine.json()) == (expected.status_code, expected.json())
        answers.append(mine.json())
    assert answers[0] != answers[2]  # the shopper's answer is the shopper's
    assert len({json.dumps(answer) for answer in answers[4:6]}) == 2  # a site's its own


async def test_a_body_past_the_size_kept_is_answered_directly_and_not_kept(
    requests_for: Callable[..., Any],  # noqa: F811
    app: Starlette,
    client: httpx.AsyncClient,
) -> None:
    compiled.clear_cache()
    ids = await _hierarchy(GraphQL(client))
    operation = json.dumps({"query": ONE, "variables": {"id": ids[3]}}).encode()
    long = b" " * MAX_BODY_BYTES + operation
    answered = []
    async with requests_for("admin") as requests:
        await requests.post(operation, headers={"content-type": "application/json"})  # known
        for _ in range(2):
            response, direct, _ = await requests.post(
                long, headers={"content-type": "application/json"}
            )
            answered.append((response.status_code, direct))
    assert answered == [(200, True), (200, True)]
    assert len(_graphql(app).direct.known) == 0


def _held(*values: object) -> int:
    """The bytes of ``values`` and of everything their lists, tuples and dicts hold."""
    seen: set[int] = set()
    total, stack = 0, list(values)
    while stack:
        value = stack.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        total += sys.getsizeof(value)
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
    return total


async def test_a_body_kept_holds_no_more_than_about_twice_its_size(
    requests_for: Callable[..., Any],  # noqa: F811
    app: Starlette,
    client: httpx.AsyncClient,
) -> None:
    """A body of 16 KiB whose variables hold 5,000 empty lists the operation does not
    declare (within the variables' bounds: graphql.variable_bounds) is answered, and kept
    without them: neither the analysis nor the coercion reads them, and held they were 20
    times the body's size (340 KB, 64 times a worker)."""
    compiled.clear_cache()
    ids = await _hierarchy(GraphQL(client))
    junk = [[[] for _ in range(1000)] for _ in range(5)]
    variables = {"id": ids[3], "junk": junk}
    body = json.dumps({"query": ONE, "variables": variables}, separators=(",", ":")).encode()
    assert len(body) <= MAX_BODY_BYTES
    answers = []
    async with requests_for("admin") as requests:
        for _ in range(3):  # known, kept, answered from what was kept
            response, direct, _ = await requests.post(
                body, headers={"content-type": "application/json"}
            )
            repository_id = response.json()["data"]["organization"]["repositoryId"]
            answers.append((response.status_code, direct, repository_id))
    assert answers == [(200, False, ids[3]), (200, True, ids[3]), (200, True, ids[3])]
    [known] = _graphql(app).direct.known._known.values()
    held = _held(known.query, known.variables, known.coerced, *known.arguments.values())
    assert held <= 2 * len(body), held  # 322 KB for 15 KB before


async def test_bodies_answered_at_once_and_forgotten_meanwhile_answer_each_their_own(
    client_for: Callable[..., httpx.AsyncClient],
    app: Starlette,
    app_state: Mapping[str, Any],
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seven bodies sent four times each at once, two kept at most: bodies are kept and
    forgotten while others are answered from them, and each answer is its own body's; one
    naming a site that does not exist (declined after its read) is the pipeline's answer,
    and leaves its body to be answered directly again."""
    compiled.clear_cache()
    ids = await _hierarchy(GraphQL(client))
    direct = _graphql(app).direct
    monkeypatch.setattr(direct, "known", KnownBodies(entries=2))
    bodies = {i: json.dumps({"query": ONE, "variables": {"id": i}}).encode() for i in ids}
    headers = {"content-type": "application/json"}
    nowhere = {**headers, "x-ccsite": "nowhere"}
    async with client_for(app, app_state, token="admin") as admin:
        await admin.post("/graphql", content=bodies[ids[0]], headers=headers)  # known
        sent = [i for _ in range(4) for i in ids]
        answers = await asyncio.gather(
            *(admin.post("/graphql", content=bodies[i], headers=headers) for i in sent),
            admin.post("/graphql", content=bodies[ids[6]], headers=nowhere),
        )
        direct.enabled = False
        try:
            expected = await admin.post("/graphql", content=bodies[ids[6]], headers=nowhere)
        finally:
            direct.enabled = True
        again = await admin.post("/graphql", content=bodies[ids[6]], headers=headers)
    found = [(a.status_code, a.json()["data"]["organization"]["repositoryId"]) for a in answers]
    assert found[:-1] == [(200, i) for i in sent]
    assert (answers[-1].status_code, answers[-1].json()) == (200, expected.json())
    assert again.json()["data"]["organization"]["repositoryId"] == ids[6]
    assert len(direct.known) == 2
