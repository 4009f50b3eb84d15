"""A body refused while it is read (too large: 413, too slow: 408) is answered by the outermost
middleware while nothing was sent; once the answer has started, the refusal ends the
connection instead (the server's part), the start alone sent. The deadline's cancellation of a
wait is taken back when it is answered; any other cancellation goes on as one.

Straight to the ASGI app, as a server hands a request over (tests/test_slow_clients.py has
the same bounds through uvicorn's sockets)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import traceback
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from orgql.app import create_app
from orgql.body_deadline import BodyRefused
from orgql.observability.logs import JsonFormatter
from orgql.settings import Settings

MAX_BYTES = 1024
#: The body deadline: short, so that a test waiting for it is quick; nothing asserts a time.
BOUND = 0.05
#: A route that starts its answer before it reads the body.
STARTS_FIRST = "/test/starts-first"


class _StartsFirst:
    """An ASGI app (not an endpoint: a Route runs it as it is)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        while (await receive()).get("more_body", False):
            pass
        await send({"type": "http.response.body", "body": b"read"})


@pytest.fixture
async def bounded(settings: Settings, engine: AsyncEngine) -> AsyncIterator[Starlette]:
    bounds = {"max_body_bytes": MAX_BYTES, "body_timeout_seconds": BOUND}
    app = create_app(settings.model_copy(update=bounds), engine=engine)
    app.router.routes.insert(0, Route(STARTS_FIRST, _StartsFirst(), methods=["POST"]))
    async with app.router.lifespan_context(app) as state:
        app.state.lifespan = dict(state or {})
        yield app


@pytest.fixture
def access_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("orgql.access")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def _status_logged(stream: io.StringIO) -> int:
    [line] = [json.loads(entry) for entry in stream.getvalue().splitlines()]
    status: int = line["status"]
    return status


async def _post(
    app: Starlette,
    path: str,
    parts: list[bytes],
    sent: list[Message],
    stalled: asyncio.Event | None = None,
) -> None:
    """POST ``path`` with a chunked body: ``parts``, then a client that sends no more and
    stays (``stalled`` is set once the app waits for it)."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost"), (b"transfer-encoding", b"chunked")],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
        "state": dict(app.state.lifespan),
    }
    incoming = [{"type": "http.request", "body": part, "more_body": True} for part in parts]

    async def receive() -> Message:
        if incoming:
            return incoming.pop(0)
        if stalled is not None:
            stalled.set()
        await asyncio.Event().wait()  # the client sends nothing more, and stays
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)


async def test_a_body_too_large_once_the_answer_started_ends_the_connection_unanswered(
    bounded: Starlette, access_log: io.StringIO
) -> None:
    sent: list[Message] = []

    with pytest.raises(BodyRefused):
        await _post(bounded, STARTS_FIRST, [b"x" * 600, b"x" * 600], sent)

    assert [message["type"] for message in sent] == ["http.response.start"]
    assert sent[0]["status"] == 200
    assert _status_logged(access_log) == 200


async def test_a_body_too_slow_once_the_answer_started_ends_the_connection_unanswered(
    bounded: Starlette, access_log: io.StringIO
) -> None:
    sent: list[Message] = []

    with pytest.raises(BodyRefused):
        await _post(bounded, STARTS_FIRST, [b"x" * 10], sent)

    assert [message["type"] for message in sent] == ["http.response.start"]
    assert _status_logged(access_log) == 200
    task = asyncio.current_task()
    assert task is not None
    assert task.cancelling() == 0


async def test_a_body_too_slow_is_a_408_and_leaves_the_request_task_uncancelled(
    bounded: Starlette, access_log: io.StringIO
) -> None:
    sent: list[Message] = []

    await _post(bounded, "/graphql", [b'{"query": '], sent)

    start, body = sent
    headers = dict(start["headers"])
    assert (start["status"], headers[b"connection"]) == (408, b"close")
    assert len(headers[b"x-request-id"]) == 32
    assert json.loads(body["body"]) == {
        "data": None,
        "errors": [
            {
                "message": f"the request body did not arrive within {BOUND:g} seconds",
                "extensions": {"code": "REQUEST_TIMEOUT"},
            }
        ],
    }
    assert _status_logged(access_log) == 408
    task = asyncio.current_task()
    assert task is not None
    assert task.cancelling() == 0


async def test_a_body_too_large_in_its_parts_is_a_413_before_the_rest_is_read(
    bounded: Starlette,
) -> None:
    sent: list[Message] = []

    await _post(bounded, "/graphql", [b"x" * 600, b"x" * 600], sent)

    start, body = sent
    assert start["status"] == 413
    [error] = json.loads(body["body"])["errors"]
    assert error["message"] == f"the request body is larger than {MAX_BYTES} bytes"


async def test_a_cancellation_while_the_body_is_awaited_is_no_408(
    settings: Settings, engine: AsyncEngine
) -> None:
    """Not the deadline's (ORGQL_BODY_TIMEOUT_SECONDS far away): the server's, at shutdown,
    say. The request is cancelled, and answers nothing."""
    app = create_app(settings, engine=engine)
    sent: list[Message] = []
    async with app.router.lifespan_context(app) as state:
        app.state.lifespan = dict(state or {})
        stalled = asyncio.Event()
        request = asyncio.create_task(_post(app, "/graphql", [b'{"query": '], sent, stalled))
        await stalled.wait()
        request.cancel()

        with pytest.raises(asyncio.CancelledError):
            await request

    assert sent == []


@pytest.mark.parametrize(
    ("parts", "logged"),
    [
        ([b"x" * 600, b"x" * 600], "orgql.body_limit._TooLarge"),
        ([b"x" * 10], "orgql.body_deadline._BodyTooSlow"),
    ],
    ids=["too-large", "too-slow"],
)
async def test_a_refusal_ending_the_connection_is_logged_by_the_server_as_before(
    bounded: Starlette, parts: list[bytes], logged: str
) -> None:
    """Once the answer started, the refusal escapes to the server, which logs it ("Exception in
    ASGI application", the exception's line last): which refusal ended the connection, under
    the names the server logged before the refusals were answered by ObserveRequests."""
    sent: list[Message] = []

    with pytest.raises(BodyRefused) as raised:
        await _post(bounded, STARTS_FIRST, parts, sent)

    assert traceback.format_exception_only(raised.value) == [f"{logged}\n"]
