"""A /graphql request whose query, operationName, variables (keys included) or extensions
hold a string PostgreSQL text cannot hold (a NUL, a lone surrogate) is refused by the
transport with a 400 BAD_REQUEST, as REST refuses such a body: it never reaches the
driver (an ``internal`` error and a logged DBAPIError) nor the error body's encoder (a
500), whichever path would have answered it (graphql.request_body)."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest

from orgql.graphql.execution import executor as compiled

JSON = {"content-type": "application/json"}
TYPENAME = "{ __typename }"
SURROGATE = "\ud800"
NUL = "\u0000"
INVALID_UNICODE = "invalid Unicode"
A_NUL = "a NUL character"


def _body(document: object) -> bytes:
    # json.dumps, not httpx's json=: a lone surrogate must reach the server as its escape.
    return json.dumps(document).encode()


def _refused(response: httpx.Response, *, problem: str = INVALID_UNICODE) -> str:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_REQUEST"}
    assert problem in error["message"]
    message: str = error["message"]
    return message


def _errors_logged(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


ANONYMOUS_BODIES: dict[str, tuple[object, str]] = {
    "a lone surrogate operationName": (
        {"query": TYPENAME, "operationName": SURROGATE},
        INVALID_UNICODE,
    ),
    "a batch with one": (
        [{"query": TYPENAME}, {"query": TYPENAME, "operationName": SURROGATE}],
        INVALID_UNICODE,
    ),
    "a NUL in the query": ({"query": TYPENAME + NUL}, A_NUL),
    "a NUL in a variable's name": ({"query": TYPENAME, "variables": {"a" + NUL: 1}}, A_NUL),
    "a NUL in a key deep in variables": (
        {"query": TYPENAME, "variables": {"input": {"dynamicProperties": {"a" + NUL: 1}}}},
        A_NUL,
    ),
    "a lone surrogate deep in extensions": (
        {"query": TYPENAME, "extensions": {"x": [[SURROGATE]]}},
        INVALID_UNICODE,
    ),
}


@pytest.mark.parametrize(
    ("document", "problem"), ANONYMOUS_BODIES.values(), ids=ANONYMOUS_BODIES.keys()
)
async def test_a_body_holding_unstorable_text_is_a_400(
    anonymous_client: httpx.AsyncClient,
    document: object,
    problem: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO):
        response = await anonymous_client.post("/graphql", content=_body(document), headers=JSON)

    _refused(response, problem=problem)
    assert _errors_logged(caplog) == []


async def test_the_refusal_names_the_entry_and_the_operation(
    anonymous_client: httpx.AsyncClient,
) -> None:
    batch = [{"query": TYPENAME}, {"query": TYPENAME, "operationName": SURROGATE}]

    response = await anonymous_client.post("/graphql", content=_body(batch), headers=JSON)

    assert _refused(response).startswith("operationName of operation 1 of the batch holds")


async def test_a_surrogate_written_as_utf_8_bytes_is_refused_too(
    anonymous_client: httpx.AsyncClient,
) -> None:
    """Not valid UTF-8, yet read by the standard library's decoder (orjson's fallback)."""
    content = b'{"query": "{ __typename }", "variables": {"v": "\xed\xa0\x80"}}'

    response = await anonymous_client.post("/graphql", content=content, headers=JSON)

    _refused(response)


async def test_an_escaped_text_postgresql_can_hold_still_answers(
    anonymous_client: httpx.AsyncClient,
) -> None:
    """A pair of surrogate escapes is one character (json.dumps writes emoji so)."""
    document = {"query": TYPENAME, "variables": {"v": "caf\u00e9 \U0001f600"}}

    response = await anonymous_client.post("/graphql", content=_body(document), headers=JSON)

    assert response.json() == {"data": {"__typename": "Query"}}


ORGANIZATION = "query($v: ID!) { organization(id: $v) { id } }"
#: Admin operations whose variable reached the database before: each was answered
#: ``internal`` with a DBAPIError logged.
ADMIN_DOCUMENTS = {
    "organization": ORGANIZATION,
    "organizationRequest": "query($v: ID!) { organizationRequest(id: $v) { id } }",
    "organizations by effective site": (
        "query($v: ID) { organizations(filter: {effective: {site: $v}}) { edges { node { id } } } }"
    ),
    "a contract's site": (
        'query($v: ID) { organization(id: "100001") { contract(site: $v) { id } } }'
    ),
    "approveOrganizationRequest": (
        "mutation($v: ID!) { approveOrganizationRequest(id: $v) { userErrors { code } } }"
    ),
    "syncFinancialData": (
        "mutation($v: ID!) { syncFinancialData(id: $v) { userErrors { code } } }"
    ),
    "updateSiteOrganizationProperties": (
        'mutation($v: ID!) { updateSiteOrganizationProperties(id: "100001",'
        " input: [{site: $v, properties: {approvalRequired: true}}]) { userErrors { code } } }"
    ),
}


@pytest.mark.parametrize("query", ADMIN_DOCUMENTS.values(), ids=ADMIN_DOCUMENTS.keys())
async def test_a_variable_postgresql_cannot_hold_is_a_400_not_a_database_error(
    client: httpx.AsyncClient, query: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = await client.post(
            "/graphql", content=_body({"query": query, "variables": {"v": SURROGATE}}), headers=JSON
        )

    assert _refused(response).startswith("variables of the request body holds invalid Unicode")
    assert _errors_logged(caplog) == []


async def test_over_get_a_variable_postgresql_cannot_hold_is_a_400(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    params = {"query": ORGANIZATION, "variables": json.dumps({"v": SURROGATE})}
    with caplog.at_level(logging.INFO):
        response = await client.get("/graphql", params=params)
        nul = await client.get("/graphql", params={"query": TYPENAME, "operationName": NUL})

    _refused(response)
    _refused(nul, problem=A_NUL)
    assert _errors_logged(caplog) == []


async def test_a_document_the_direct_path_knows_is_refused_the_same(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """The second request of a document a SQL plan answered is the direct path's
    (graphql.execution.direct): it leaves such a body to the pipeline, which refuses it,
    rather than send the SQL plan's statement (which the driver failed: a warning)."""
    compiled.clear_cache()
    valid: dict[str, Any] = {"query": ORGANIZATION, "variables": {"v": "100001"}}
    for _ in range(2):
        answered = await client.post("/graphql", content=_body(valid), headers=JSON)
        assert answered.json() == {"data": {"organization": {"id": "T3JnYW5pemF0aW9uOjEwMDAwMQ"}}}

    with caplog.at_level(logging.INFO):
        for value in (SURROGATE, "100001" + NUL):
            body = {"query": ORGANIZATION, "variables": {"v": value}}
            response = await client.post("/graphql", content=_body(body), headers=JSON)
            assert response.status_code == 400, response.text

    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
