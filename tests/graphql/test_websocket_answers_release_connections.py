"""An operation over graphql-transport-ws gives its pooled connection back as soon as its
execution ends, before its answer is sent (graphql.schema.CloseSession.on_stream_result).
strawberry sends an answer from within the operation: a client that does not read keeps the
send waiting. Each operation of a connection has a session of its own (graphql.websocket):
holding them until sent, one signed-in client holds up to ORGQL_GRAPHQL_WS_MAX_SUBSCRIPTIONS
(20) connections, by default the whole pool (twice ORGQL_DB_POOL_SIZE), and every other
request waits and answers 503. At shutdown the lifespan waits (bounded) for the operations it
cancels to give their connections back (graphql.websocket.close_all).

Driven in-process: the ASGI ``send`` of each ``next`` (or of an HTTP answer's body) waits,
as a client's full socket makes uvicorn's wait, for as long as the test likes (no clock);
an operation is held in the database by a table lock the test takes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from test_subscriptions import _waiting_on_lock

from asgi_state import LifespanState, admin_token
from orgql.app import create_app
from orgql.settings import Settings

GUARD = 15.0
#: Read by a resolver on the operation's session (graphql.context.Context.run).
SITES = "{ sites { id } }"
#: Written in the operation's transaction, its payload read after the commit.
UPDATE = (
    'mutation { updateOrganization(id: "100001", input: {description: "changed"})'
    " { organization { name members { id } } userErrors { code } } }"
)
OPERATIONS = 3


class StalledClient:
    """An ASGI peer whose ``send`` of a ``next`` (or of an HTTP body) waits until
    :attr:`reading` is set: a client that has stopped reading."""

    def __init__(self) -> None:
        self.incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.reading = asyncio.Event()
        self.stalled = 0
        self.stalled_changed = asyncio.Condition()
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        return await self.incoming.get()

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)
        if _is_answer(message):
            async with self.stalled_changed:
                self.stalled += 1
                self.stalled_changed.notify_all()
            await self.reading.wait()

    def say(self, message: dict[str, Any]) -> None:
        self.incoming.put_nowait({"type": "websocket.receive", "text": json.dumps(message)})

    async def until_stalled(self, count: int) -> None:
        async with asyncio.timeout(GUARD), self.stalled_changed:
            await self.stalled_changed.wait_for(lambda: self.stalled == count)


def _is_answer(message: Mapping[str, Any]) -> bool:
    if message["type"] == "http.response.body":
        return True
    return message["type"] == "websocket.send" and '"next"' in (message.get("text") or "")


def _scope(kind: str) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "type": kind,
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
    }
    if kind == "websocket":
        protocol = (b"sec-websocket-protocol", b"graphql-transport-ws")
        scope |= {"scheme": "ws", "headers": [(b"host", b"test"), protocol]}
        return scope | {"subprotocols": ["graphql-transport-ws"]}
    return scope | {"scheme": "http", "method": "POST", "headers": [(b"host", b"test")]}


def _signed_in(settings: Settings, documents: list[str]) -> StalledClient:
    """A graphql-transport-ws client that signs in as an admin and sends ``documents``."""
    client = StalledClient()
    client.incoming.put_nowait({"type": "websocket.connect"})
    token = admin_token(settings)
    client.say({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
    for index, document in enumerate(documents):
        client.say({"id": str(index), "type": "subscribe", "payload": {"query": document}})
    return client


async def _hung_up(client: StalledClient, served: asyncio.Task[None]) -> None:
    client.reading.set()
    client.incoming.put_nowait({"type": "websocket.disconnect", "code": 1000})
    async with asyncio.timeout(GUARD):
        await served


@pytest.mark.parametrize("document", [SITES, UPDATE], ids=["query", "mutation"])
async def test_an_answer_the_client_does_not_read_holds_no_database_connection(
    app: Starlette, app_state: Mapping[str, Any], engine: AsyncEngine, document: str
) -> None:
    client = _signed_in(app_state["settings"], [document] * OPERATIONS)
    served = asyncio.create_task(
        LifespanState(app, app_state)(_scope("websocket"), client.receive, client.send)
    )
    try:
        await client.until_stalled(OPERATIONS)
        held = engine.sync_engine.pool.checkedout()
    finally:
        await _hung_up(client, served)

    assert held == 0
    answers = [json.loads(m["text"]) for m in client.sent if _is_answer(m)]
    assert [answer["type"] for answer in answers] == ["next"] * OPERATIONS
    assert all("errors" not in answer["payload"] for answer in answers), answers


async def test_an_http_answer_the_client_does_not_read_holds_no_database_connection(
    app: Starlette, app_state: Mapping[str, Any], engine: AsyncEngine
) -> None:
    """As over HTTP, where the operation's end closes its session before the response."""
    client = StalledClient()
    body = json.dumps({"query": SITES}).encode()
    client.incoming.put_nowait({"type": "http.request", "body": body, "more_body": False})
    scope = _scope("http")
    token = admin_token(app_state["settings"])
    scope["headers"] += [
        (b"content-type", b"application/json"),
        (b"authorization", f"Bearer {token}".encode()),
    ]
    served = asyncio.create_task(LifespanState(app, app_state)(scope, client.receive, client.send))
    try:
        await client.until_stalled(1)
        held = engine.sync_engine.pool.checkedout()
    finally:
        client.reading.set()
        async with asyncio.timeout(GUARD):
            await served

    assert held == 0
    [start] = [m for m in client.sent if m["type"] == "http.response.start"]
    assert start["status"] == 200


async def test_shutdown_waits_for_the_operations_it_cancels_to_give_their_connection_back(
    settings: Settings, engine: AsyncEngine
) -> None:
    """A mutation waits for a lock on its pooled connection when the server shuts down:
    the lifespan (which then disposes an engine of its own) ends once it is given back."""
    app = create_app(settings.model_copy(update={"webhook_dispatcher": False}), engine=engine)
    client = _signed_in(settings, [UPDATE])
    client.reading.set()
    async with engine.connect() as locker:
        await locker.execute(text("LOCK TABLE organizations IN SHARE MODE"))
        async with app.router.lifespan_context(app) as state:
            served = asyncio.create_task(
                LifespanState(app, state or {})(_scope("websocket"), client.receive, client.send)
            )
            await asyncio.wait_for(_waiting_on_lock(locker, "organizations"), GUARD)
        held = engine.sync_engine.pool.checkedout()
        await locker.rollback()
    await _hung_up(client, served)

    assert held == 1  # the locker's
    [close] = [m for m in client.sent if m["type"] == "websocket.close"]
    assert close["code"] == 1001
