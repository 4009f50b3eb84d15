"""What a graphql-transport-ws client sends that is not a valid request is refused as the
protocol says, never with a traceback: a message that is not the protocol's closes the
connection with 4400 and a reason; a ``subscribe`` whose payload is an object but not a
valid GraphQL request (a value of the wrong type, text PostgreSQL cannot hold, an unknown
operation) is answered an ``error`` for its id, code ``BAD_REQUEST``, as over HTTP, and the
connection stays open. A real uvicorn server on loopback, a plain ``websockets`` client."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
import websockets
from sqlalchemy.ext.asyncio import AsyncEngine
from test_subscriptions import (
    GUARD,
    PROTOCOL,
    LiveServer,
    _closed,
    _serve,
    _signed_in,
)

from orgql.settings import Settings

TYPENAME = "{ __typename }"
#: strawberry's close reason for a message that does not decode.
NOT_JSON = "WebSocket message must be valid JSON"


@pytest.fixture
async def live(settings: Settings, engine: AsyncEngine) -> AsyncIterator[LiveServer]:
    async for server in _serve(settings, engine):
        yield server


def _errors_logged(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


INVALID_MESSAGES = {
    "a list": ("[1]", "a message must be a JSON object"),
    "a number": ("1", "a message must be a JSON object"),
    "null": ("null", "a message must be a JSON object"),
    "a null payload": (
        '{"type": "subscribe", "id": "1", "payload": null}',
        "the payload of a subscribe message must be an object",
    ),
    "a string payload": (
        '{"type": "subscribe", "id": "1", "payload": "x"}',
        "the payload of a subscribe message must be an object",
    ),
    "a subscribe without an id": (
        '{"type": "subscribe", "payload": {"query": "{ __typename }"}}',
        "the id of a subscribe message must be a string",
    ),
    "a complete whose id is a list": (
        '{"type": "complete", "id": [1]}',
        "the id of a complete message must be a string",
    ),
    "nested 30,000 levels deep": ("[" * 30_000 + "]" * 30_000, NOT_JSON),
    "a 5,000-digit integer": ("9" * 5_000, NOT_JSON),
    # The reason quotes the type: cut to what a close frame holds, a surrogate replaced.
    "a long type": (
        json.dumps({"type": "x" * 300}),
        ("Unknown message type: " + "x" * 300)[:123],
    ),
    "a lone surrogate type": ('{"type": "\\ud800"}', "Unknown message type: ?"),
}


@pytest.mark.parametrize(
    ("message", "reason"), INVALID_MESSAGES.values(), ids=INVALID_MESSAGES.keys()
)
async def test_a_message_that_is_not_the_protocol_s_closes_with_4400(
    live: LiveServer, message: str, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    connection = await _signed_in(live)
    with caplog.at_level(logging.INFO):
        await connection.send(message)
        code, messages = await _closed(connection)

    assert (code, connection.close_reason, messages) == (4400, reason, [])
    assert _errors_logged(caplog) == []


@pytest.mark.parametrize(
    "message",
    [{"type": "connection_init"}, {"type": "connection_init", "payload": None}],
    ids=["no payload", "a null payload"],
)
async def test_a_connection_init_without_a_payload_is_an_anonymous_caller_s(
    live: LiveServer, message: dict[str, Any]
) -> None:
    """graphql-transport-ws: ``payload?: Record<string, unknown> | null``. Either is no
    credential: refused 4403, as an empty payload is, not 4400 as a malformed message."""
    connection = await websockets.connect(live.url, subprotocols=[PROTOCOL])  # type: ignore[list-item]
    await connection.send(json.dumps(message))
    code, messages = await _closed(connection)

    assert (code, connection.close_reason, messages) == (4403, "Forbidden", [])


SURROGATE = "\ud800"
INVALID_PAYLOADS: dict[str, tuple[dict[str, Any], str]] = {
    "extensions that are a string": (
        {"query": TYPENAME, "extensions": "x"},
        "extensions of the subscribe payload must be an object or null",
    ),
    "a query that is a number": (
        {"query": 5},
        "query of the subscribe payload must be a string or null",
    ),
    "an operationName that is a number": (
        {"query": TYPENAME, "operationName": 5},
        "operationName of the subscribe payload must be a string or null",
    ),
    "variables that are a list": (
        {"query": TYPENAME, "variables": []},
        "variables of the subscribe payload must be an object or null",
    ),
    "a lone surrogate operationName": (
        {"query": TYPENAME, "operationName": SURROGATE},
        "operationName of the subscribe payload holds invalid Unicode",
    ),
    "a lone surrogate variable": (
        {"query": "query($v: ID!) { organization(id: $v) { id } }", "variables": {"v": SURROGATE}},
        "variables of the subscribe payload holds invalid Unicode",
    ),
    "a NUL in a variable's name": (
        {"query": TYPENAME, "variables": {"a\u0000": 1}},
        "variables of the subscribe payload holds a NUL character",
    ),
    "an unknown operationName": (
        {"query": "query A { __typename }", "operationName": "B"},
        'Unknown operation named "B".',
    ),
    "no query": ({}, "No GraphQL query found in the request"),
}


@pytest.mark.parametrize(
    ("payload", "message"), INVALID_PAYLOADS.values(), ids=INVALID_PAYLOADS.keys()
)
async def test_a_payload_that_is_not_a_graphql_request_is_answered_an_error(
    live: LiveServer, payload: dict[str, Any], message: str, caplog: pytest.LogCaptureFixture
) -> None:
    connection = await _signed_in(live)
    with caplog.at_level(logging.INFO):
        # json.dumps: a lone surrogate goes as its escape, as a JavaScript client sends it.
        await connection.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        answer = json.loads(await asyncio.wait_for(connection.recv(), GUARD))
        await connection.send(json.dumps({"type": "ping"}))
        pong = json.loads(await asyncio.wait_for(connection.recv(), GUARD))

    assert answer["type"] == "error", answer
    assert answer["id"] == "1"
    [error] = answer["payload"]
    assert error["extensions"] == {"code": "BAD_REQUEST"}
    assert error["message"].startswith(message)
    assert pong == {"type": "pong"}  # the connection stays open
    assert _errors_logged(caplog) == []
    await connection.close()


async def test_the_refused_id_may_be_used_again(live: LiveServer) -> None:
    connection = await _signed_in(live)
    refused = {"id": "1", "type": "subscribe", "payload": {"query": 5}}
    await connection.send(json.dumps(refused))
    assert json.loads(await asyncio.wait_for(connection.recv(), GUARD))["type"] == "error"

    await connection.send(json.dumps({**refused, "payload": {"query": TYPENAME}}))

    answer = json.loads(await asyncio.wait_for(connection.recv(), GUARD))
    assert answer == {"id": "1", "type": "next", "payload": {"data": {"__typename": "Query"}}}
    await connection.close()
