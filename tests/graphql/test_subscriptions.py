"""Subscriptions over graphql-transport-ws: a real uvicorn server on loopback, real clients
(gql's websockets transport, plain ``websockets`` for what gql hides: close codes, a client
that stops reading). Nothing waits on a clock: each wait is for a message, a close or the
feed's own count of subscribers, under a generous guard."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from orgql.app import create_app
from orgql.auth.tokens import Authenticator
from orgql.core.events import outbox
from orgql.core.people import events as people_events
from orgql.core.requests import reads as request_reads
from orgql.core.requests import removal as request_removal
from orgql.core.requests import service as organization_requests
from orgql.core.requests.codes import RequestCodes
from orgql.db.engine import make_engine, make_sessionmaker
from orgql.graphql.events.subscriptions import AUDIENCE_UNREAD
from orgql.graphql.websocket import TRY_AGAIN_LATER
from orgql.live.feed import Feed
from orgql.settings import Settings

SHOPPER = "110000"  # the demo's shopper: a member of 100001 only
GUARD = 15.0  # far above the second a change takes to arrive: only a bug reaches it
#: Seconds to a token's expiry where a test waits for it: the connection and subscription
#: before it must fit in, on a loaded machine, and the close after it within GUARD.
EXPIRES = 5
PROTOCOL = "graphql-transport-ws"
STATUS = (
    "subscription($id: ID!) { organizationRequestStatus(id: $id)"
    " { requestId status organizationId } }"
)
CHANGES = gql("subscription { accountChanges { eventId type organizationId occurredAt data } }")


def admin_token(settings: Settings) -> str:
    return Authenticator(settings).issue_admin("test-suite").access_token


@dataclass
class LiveServer:
    port: int
    settings: Settings
    server: uvicorn.Server

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    @property
    def feed(self) -> Feed:
        feed: Feed = self.server.lifespan.state["live_feed"]  # type: ignore[attr-defined]
        return feed

    async def metrics(self) -> str:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.port}") as http:
            return (await http.get("/metrics")).text

    async def update(self, organization_id: str, description: str) -> None:
        """A change committed through GraphQL over HTTP, as an admin."""
        query = (
            "mutation($id: ID!, $d: String) { updateOrganization(id: $id,"
            " input: {description: $d}) { userErrors { code } } }"
        )
        headers = {"Authorization": f"Bearer {admin_token(self.settings)}"}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.port}") as http:
            answer = await http.post(
                "/graphql",
                json={"query": query, "variables": {"id": organization_id, "d": description}},
                headers=headers,
            )
        assert answer.json() == {"data": {"updateOrganization": {"userErrors": []}}}


@asynccontextmanager
async def running(config: uvicorn.Config) -> AsyncIterator[uvicorn.Server]:
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        while not (server.started or serving.done()):  # noqa: ASYNC110 (uvicorn signals none)
            await asyncio.sleep(0.02)
        assert server.started, serving.result()
        yield server
    finally:
        server.should_exit = True
        await serving


async def _serve(settings: Settings, engine: AsyncEngine | None) -> AsyncIterator[LiveServer]:
    """A server of the app on ``engine``; None: on its own engine, as ``orgql serve`` runs."""
    config = uvicorn.Config(
        create_app(settings, engine=engine),
        host="127.0.0.1",
        port=0,
        ws="websockets-sansio",
        loop="asyncio",
        lifespan="on",
        log_config=None,
        timeout_graceful_shutdown=5,
    )
    async with running(config) as server:
        yield LiveServer(server.servers[0].sockets[0].getsockname()[1], settings, server)


@pytest.fixture
async def live(settings: Settings, engine: AsyncEngine) -> AsyncIterator[LiveServer]:
    async for server in _serve(settings, engine):
        yield server


def _client(live: LiveServer, token: str | None) -> Client:
    payload = {"Authorization": f"Bearer {token}"} if token else {}
    transport = WebsocketsTransport(url=live.url, init_payload=payload, subprotocols=[PROTOCOL])
    return Client(transport=transport)


async def _collect(session: Any, into: asyncio.Queue[dict[str, Any]]) -> None:
    async for result in session.subscribe(CHANGES):
        await into.put(result["accountChanges"])


async def _next(queue: asyncio.Queue[dict[str, Any]]) -> dict[str, Any]:
    return await asyncio.wait_for(queue.get(), GUARD)


async def _until_updates(queue: asyncio.Queue[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """The events received until the ``count``-th ``organization.updated``."""
    events: list[dict[str, Any]] = []
    while sum(e["type"] == "organization.updated" for e in events) < count:
        events.append(await _next(queue))
    return events


async def test_changes_arrive_in_commit_order_and_a_shopper_sees_only_their_account(
    live: LiveServer, identity_provider: Any
) -> None:
    admin_events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    shopper_events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    admin = _client(live, admin_token(live.settings))
    shopper = _client(live, identity_provider.token(SHOPPER))
    async with admin as admin_session, shopper as shopper_session:
        tasks = [
            asyncio.create_task(_collect(admin_session, admin_events)),
            asyncio.create_task(_collect(shopper_session, shopper_events)),
        ]
        try:
            await asyncio.wait_for(live.feed.wait_for_subscribers(2), GUARD)
            await live.update("100001", "first")
            await live.update("100002", "someone else's")
            await live.update("100001", "second")

            seen = await _until_updates(admin_events, 3)
            updates = [e for e in seen if e["type"] == "organization.updated"]
            assert [e["organizationId"] for e in updates] == ["100001", "100002", "100001"]
            assert updates[0]["data"]["changed"] == ["description"]
            # Effective values too (the description is inherited), each after its cause.
            effects = [e for e in seen if e["type"] == "organization.effectiveValueChanged"]
            assert effects
            assert seen.index(effects[0]) > seen.index(updates[0])
            assert effects[0]["data"]["causedBy"]["eventType"] == "organization.updated"
            # The shopper: their account's changes, in the same order; the other account's,
            # committed between them, never came (nor its effective values).
            mine = await _until_updates(shopper_events, 2)
            assert {e["organizationId"] for e in mine} == {"100001"}
            assert [e["eventId"] for e in mine if e["type"] == "organization.updated"] == [
                updates[0]["eventId"],
                updates[2]["eventId"],
            ]
            theirs_mine = [e for e in seen if e["organizationId"] == "100001"]
            assert [e["eventId"] for e in mine] == [e["eventId"] for e in theirs_mine][: len(mine)]
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.wait_for(live.feed.wait_for_subscribers(0), GUARD)


async def _init(live: LiveServer, payload: dict[str, Any]) -> websockets.ClientConnection:
    connection = await websockets.connect(live.url, subprotocols=[PROTOCOL])  # type: ignore[list-item]
    await connection.send(json.dumps({"type": "connection_init", "payload": payload}))
    return connection


async def _signed_in(live: LiveServer, token: str | None = None) -> websockets.ClientConnection:
    """A connection signed in with ``token`` (an admin's by default), its ack read."""
    bearer = token or admin_token(live.settings)
    connection = await _init(live, {"Authorization": f"Bearer {bearer}"})
    ack = json.loads(await asyncio.wait_for(connection.recv(), GUARD))
    assert ack == {"type": "connection_ack"}
    return connection


async def _closed(connection: websockets.ClientConnection) -> tuple[int | None, list[Any]]:
    """Read until the server closes: its close code, and the messages before it."""
    messages: list[Any] = []

    async def read() -> None:
        try:
            async for message in connection:
                messages.append(json.loads(message))  # noqa: PERF401
        except websockets.ConnectionClosedError:  # any code but 1000 and 1001
            pass

    await asyncio.wait_for(read(), GUARD)
    return connection.close_code, messages


async def test_anonymous_and_bad_tokens_are_refused_at_connection_init(live: LiveServer) -> None:
    for payload in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": 5}):
        connection = await _init(live, payload)
        code, messages = await _closed(connection)
        assert (code, messages) == (4403, [])


async def _subscribed(live: LiveServer, token: str) -> websockets.ClientConnection:
    """A connection signed in with ``token``, subscribed to accountChanges."""
    connection = await _signed_in(live, token)
    subscribe = {"query": "subscription { accountChanges { type } }"}
    await connection.send(json.dumps({"id": "s", "type": "subscribe", "payload": subscribe}))
    return connection


@pytest.mark.parametrize("kind", ["admin", "shopper"])
async def test_a_connection_is_closed_when_its_token_expires(
    live: LiveServer, identity_provider: Any, kind: str
) -> None:
    """The token's exp is a few seconds ahead: the close comes then, by a timer (the wait is
    for the close itself, under the guard). The connection, its subscription and the test's
    seeing it are all done before: two seconds (one and a bit for a shopper's whole-second
    exp) were not always enough on a loaded machine."""
    if kind == "admin":
        token = Authenticator(live.settings).issue_admin("test-suite", ttl=EXPIRES).access_token
    else:
        token = identity_provider.token(SHOPPER, exp=int(time.time()) + EXPIRES)
    connection = await _subscribed(live, token)
    await asyncio.wait_for(live.feed.wait_for_subscribers(1), GUARD)

    code, messages = await _closed(connection)

    assert (code, messages, connection.close_reason) == (
        4403,
        [],
        "the access token has expired",
    )
    await asyncio.wait_for(live.feed.wait_for_subscribers(0), GUARD)


async def test_a_connection_is_closed_when_its_token_is_logged_out(live: LiveServer) -> None:
    token = admin_token(live.settings)
    kept = await _subscribed(live, admin_token(live.settings))
    connection = await _subscribed(live, token)
    await asyncio.wait_for(live.feed.wait_for_subscribers(2), GUARD)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{live.port}") as http:
        logout = await http.post("/ccadmin/v1/logout", headers={"Authorization": f"Bearer {token}"})
    assert logout.json() == {"result": True}

    code, messages = await _closed(connection)

    assert (code, messages) == (4403, [])
    assert connection.close_reason == "the access token has been revoked (logged out)"
    await asyncio.wait_for(live.feed.wait_for_subscribers(1), GUARD)  # the other stays
    await kept.send(json.dumps({"type": "ping"}))
    assert json.loads(await asyncio.wait_for(kept.recv(), GUARD)) == {"type": "pong"}
    await kept.close()


async def test_subscription_documents_meet_the_query_limits(
    live: LiveServer, identity_provider: Any
) -> None:
    connection = await _init(live, {"Authorization": f"Bearer {identity_provider.token(SHOPPER)}"})
    assert json.loads(await connection.recv()) == {"type": "connection_ack"}
    aliases = " ".join(f"a{n}: accountChanges {{ type }}" for n in range(40))
    await connection.send(
        json.dumps(
            {"id": "1", "type": "subscribe", "payload": {"query": f"subscription {{ {aliases} }}"}}
        )
    )
    answer = json.loads(await asyncio.wait_for(connection.recv(), GUARD))
    assert answer["type"] == "error"
    assert answer["payload"][0]["extensions"]["code"] == "TOO_MANY_ALIASES"
    await connection.close()


async def test_a_document_nested_too_deeply_is_answered_its_syntax_error(
    live: LiveServer, identity_provider: Any
) -> None:
    connection = await _init(live, {"Authorization": f"Bearer {identity_provider.token(SHOPPER)}"})
    assert json.loads(await connection.recv()) == {"type": "connection_ack"}
    deep = "subscription { accountChanges { " + "a { " * 200 + "}" * 201
    await connection.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": deep}}))
    answer = json.loads(await asyncio.wait_for(connection.recv(), GUARD))
    assert answer["type"] == "error"
    assert "nested too deeply" in answer["payload"][0]["message"]
    await connection.close()


@pytest.fixture
async def small_live(settings: Settings, engine: AsyncEngine) -> AsyncIterator[LiveServer]:
    bounded = settings.model_copy(
        update={
            "graphql_ws_max_connections": 3,
            "graphql_ws_queue_events": 50,
            "graphql_ws_max_subscriptions": 2,
        }
    )
    async for server in _serve(bounded, engine):
        yield server


async def test_connections_are_bounded(small_live: LiveServer) -> None:
    token = {"Authorization": f"Bearer {admin_token(small_live.settings)}"}
    kept = [await _init(small_live, token) for _ in range(3)]
    for connection in kept:
        assert json.loads(await connection.recv()) == {"type": "connection_ack"}
    refused = await websockets.connect(small_live.url, subprotocols=[PROTOCOL])  # type: ignore[list-item]
    assert await _closed(refused) == (1013, [])
    metrics = await small_live.metrics()
    assert 'orgql_graphql_websocket_closes_total{reason="too_many"} 1.0' in metrics
    assert "orgql_graphql_websockets 3.0" in metrics
    await kept[0].close()
    again = await _init(small_live, token)  # a place came free
    assert json.loads(await asyncio.wait_for(again.recv(), GUARD)) == {"type": "connection_ack"}
    for connection in [*kept[1:], again]:
        await connection.close()


async def _emit_batch(engine: AsyncEngine, size: int, padding: str) -> None:
    """``size`` account events in one transaction (as a large change would emit them)."""
    events = [
        outbox.Event(
            outbox.EventType.ORGANIZATION_UPDATED,
            "100001",
            {"id": "100001", "version": n, "changed": ["description"], "note": padding},
        )
        for n in range(size)
    ]
    async with make_sessionmaker(engine)() as session, session.begin():
        await outbox.emit_many(session, events)


async def test_a_slow_consumer_is_dropped_without_holding_up_another(
    small_live: LiveServer, engine: AsyncEngine
) -> None:
    token = {"Authorization": f"Bearer {admin_token(small_live.settings)}"}
    subscribe = {
        "id": "s",
        "type": "subscribe",
        "payload": {"query": "subscription { accountChanges { data } }"},
    }
    # The slow one: a receive buffer of a few kilobytes, and it stops reading.
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", small_live.port))
    slow = await websockets.connect(
        small_live.url,
        sock=raw,
        subprotocols=[PROTOCOL],
        max_queue=1,
        compression=None,  # type: ignore[list-item]
    )
    await slow.send(json.dumps({"type": "connection_init", "payload": token}))
    assert json.loads(await slow.recv()) == {"type": "connection_ack"}
    await slow.send(json.dumps(subscribe))
    fast = await _init(small_live, token)
    assert json.loads(await fast.recv()) == {"type": "connection_ack"}
    await fast.send(json.dumps(subscribe))
    await asyncio.wait_for(small_live.feed.wait_for_subscribers(2), GUARD)

    padding = "x" * 4000
    received = 0
    for _ in range(400):  # ~80 MB at most; the slow one's buffers hold a few
        if small_live.feed.dropped_count:
            break
        await _emit_batch(engine, 40, padding)
        for _ in range(40):  # the fast one keeps up: it gets every event of the batch
            message = json.loads(await asyncio.wait_for(fast.recv(), GUARD))
            assert message["type"] == "next", message
            assert message["payload"]["data"]["accountChanges"]["data"]["note"] == padding, message
            received += 1
    assert small_live.feed.dropped_count == 1
    assert len(small_live.feed.subscribers) == 1  # the fast one is still there
    await _emit_batch(engine, 1, "after")
    message = json.loads(await asyncio.wait_for(fast.recv(), GUARD))
    assert message["payload"]["data"]["accountChanges"]["data"]["note"] == "after"

    code, _ = await _closed(slow)  # it reads again: what was sent, then the close
    assert code == 4008
    metrics = await small_live.metrics()
    assert 'orgql_graphql_websocket_closes_total{reason="slow_consumer"} 1.0' in metrics
    await fast.close()


async def test_shutdown_closes_subscribers(settings: Settings, engine: AsyncEngine) -> None:
    token = {"Authorization": f"Bearer {admin_token(settings)}"}
    async for server in _serve(settings, engine):
        connection = await _init(server, token)
        assert json.loads(await connection.recv()) == {"type": "connection_ack"}
        await connection.send(
            json.dumps(
                {
                    "id": "s",
                    "type": "subscribe",
                    "payload": {"query": "subscription { accountChanges { type } }"},
                }
            )
        )
        await asyncio.wait_for(server.feed.wait_for_subscribers(1), GUARD)
        server.server.should_exit = True
        code, _ = await _closed(connection)
        assert code in (1001, 1012)  # ours, or uvicorn's "service restart" when it is first


async def _submit(engine: AsyncEngine, email: str) -> str:
    document = {
        "name": f"Request of {email}",
        "profile": {"email": email, "firstName": "Shelly", "lastName": "Smith"},
        "organization": {},
    }
    async with make_sessionmaker(engine)() as session, session.begin():
        submitted = await organization_requests.submit(session, document)
    assert submitted.id is not None
    return submitted.id


async def test_a_shopper_follows_their_registration_request_to_its_approval(
    live: LiveServer, engine: AsyncEngine, identity_provider: Any
) -> None:
    mine = await _submit(engine, "shelly.smith@example.com")  # linked to the shopper's profile
    theirs = await _submit(engine, "someone@example.com")
    document = (
        "subscription($id: ID!) { organizationRequestStatus(id: $id)"
        " { requestId status organizationId } }"
    )
    async with _client(live, identity_provider.token(SHOPPER)) as session:
        with pytest.raises(TransportQueryError) as refused:
            async for _ in session.subscribe(
                GraphQLRequest(document, variable_values={"id": theirs})
            ):
                pass
        assert refused.value.errors is not None
        assert refused.value.errors[0]["extensions"]["code"] == RequestCodes.NOT_FOUND

        seen: list[dict[str, Any]] = []

        async def follow() -> None:
            async for result in session.subscribe(
                GraphQLRequest(document, variable_values={"id": mine})
            ):
                seen.append(result["organizationRequestStatus"])
                if len(seen) == 1:
                    async with make_sessionmaker(engine)() as db, db.begin():
                        await organization_requests.approve(db, mine, {})

        await asyncio.wait_for(follow(), GUARD)  # it completes after the approval
    assert seen[0] == {"requestId": mine, "status": "REVIEW", "organizationId": None}
    assert seen[1]["status"] == "APPROVED"
    assert seen[1]["organizationId"]
    assert len(seen) == 2


async def test_a_shopper_follows_their_request_to_more_info_needed_and_back(
    live: LiveServer, engine: AsyncEngine, identity_provider: Any
) -> None:
    mine = await _submit(engine, "shelly.smith@example.com")  # linked to the shopper's profile
    document = (
        "subscription($id: ID!) { organizationRequestStatus(id: $id)"
        " { requestId status organizationId } }"
    )
    then = iter(
        [
            lambda db: organization_requests.update(db, mine, {"status": "moreInfoNeeded"}),
            lambda db: organization_requests.update(db, mine, {"status": "review"}),
            lambda db: organization_requests.reject(db, mine, {}),
        ]
    )
    seen: list[str] = []
    async with _client(live, identity_provider.token(SHOPPER)) as session:

        async def follow() -> None:
            async for result in session.subscribe(
                GraphQLRequest(document, variable_values={"id": mine})
            ):
                seen.append(result["organizationRequestStatus"]["status"])
                change = next(then, None)
                if change is not None:
                    async with make_sessionmaker(engine)() as db, db.begin():
                        await change(db)

        await asyncio.wait_for(follow(), GUARD)  # it completes after the rejection
    assert seen == ["REVIEW", "MORE_INFO_NEEDED", "REVIEW", "REJECTED"]


async def test_a_status_change_committed_while_subscribing_is_told_once(
    live: LiveServer,
    engine: AsyncEngine,
    identity_provider: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The change commits after the subscriber is registered and before the status is read:
    the status read already tells it, and its event (queued meanwhile) is no second move."""
    mine = await _submit(engine, "shelly.smith@example.com")
    read = request_reads.requests_by_id

    async def change_then_read(session: Any, ids: Any) -> Any:
        async with make_sessionmaker(engine)() as db, db.begin():
            await organization_requests.update(db, mine, {"status": "moreInfoNeeded"})
        return await read(session, ids)

    monkeypatch.setattr(request_reads, "requests_by_id", change_then_read)
    seen: list[str] = []
    async with _client(live, identity_provider.token(SHOPPER)) as session:

        async def follow() -> None:
            async for result in session.subscribe(
                GraphQLRequest(STATUS, variable_values={"id": mine})
            ):
                seen.append(result["organizationRequestStatus"]["status"])
                if len(seen) == 1:
                    async with make_sessionmaker(engine)() as db, db.begin():
                        await organization_requests.reject(db, mine, {})

        await asyncio.wait_for(follow(), GUARD)
    assert seen == ["MORE_INFO_NEEDED", "REJECTED"]


async def test_a_deleted_request_ends_its_status_subscription_as_an_unknown_one(
    live: LiveServer, engine: AsyncEngine, identity_provider: Any
) -> None:
    mine = await _submit(engine, "shelly.smith@example.com")
    seen: list[str] = []
    async with _client(live, identity_provider.token(SHOPPER)) as session:

        async def follow() -> None:
            async for result in session.subscribe(
                GraphQLRequest(STATUS, variable_values={"id": mine})
            ):
                seen.append(result["organizationRequestStatus"]["status"])
                async with make_sessionmaker(engine)() as db, db.begin():
                    await request_removal.delete(db, mine)

        with pytest.raises(TransportQueryError) as ended:
            await asyncio.wait_for(follow(), GUARD)
    assert seen == ["REVIEW"]
    assert ended.value.errors is not None
    assert ended.value.errors[0]["extensions"] == {"code": RequestCodes.NOT_FOUND, "field": "id"}
    await asyncio.wait_for(live.feed.wait_for_subscribers(0), GUARD)


async def test_a_subscription_over_http_is_refused_clearly(client: httpx.AsyncClient) -> None:
    document = {"query": "subscription { accountChanges { type } }"}
    for answer in (
        await client.post("/graphql", json=document),
        await client.get("/graphql", params=document, headers={"accept": "application/json"}),
    ):
        assert answer.json()["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}
        assert answer.json()["data"] is None


async def test_a_page_of_another_origin_may_connect(live: LiveServer) -> None:
    """The storefront is served from elsewhere; its token is in connection_init, never a
    cookie, so its origin is no reason to refuse it."""
    connection = await websockets.connect(
        live.url,
        subprotocols=[PROTOCOL],  # type: ignore[list-item]
        origin="https://shop.example.com",  # type: ignore[arg-type]
    )
    token = {"Authorization": f"Bearer {admin_token(live.settings)}"}
    await connection.send(json.dumps({"type": "connection_init", "payload": token}))
    assert json.loads(await asyncio.wait_for(connection.recv(), GUARD)) == {
        "type": "connection_ack"
    }
    await connection.close()


async def test_subscriptions_per_connection_are_bounded(small_live: LiveServer) -> None:
    connection = await _init(
        small_live, {"Authorization": f"Bearer {admin_token(small_live.settings)}"}
    )
    assert json.loads(await connection.recv()) == {"type": "connection_ack"}
    query = {"query": "subscription { accountChanges { type } }"}
    for n in range(3):
        await connection.send(json.dumps({"id": str(n), "type": "subscribe", "payload": query}))
    answer = json.loads(await asyncio.wait_for(connection.recv(), GUARD))
    assert (answer["id"], answer["type"]) == ("2", "error")
    assert answer["payload"][0]["message"] == "Subscription limit reached"
    await asyncio.wait_for(small_live.feed.wait_for_subscribers(2), GUARD)
    await connection.close()


class HeldConnections:
    """Which task holds which of the pool's connections (its checkout and checkin events).
    The app's background readers share the pool, so its ``checkedout()`` moves on its own;
    a task's share of it does not."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.pool = engine.sync_engine.pool
        self.holders: dict[Any, asyncio.Task[Any] | None] = {}
        self.reload_checked_out = asyncio.Event()

    def _checkout(self, dbapi_connection: Any, record: Any, proxy: Any) -> None:
        task = asyncio.current_task()  # SQLAlchemy's greenlet runs inside the asking task
        self.holders[record] = task
        if task is not None and _is_reload(task):
            self.reload_checked_out.set()

    def _checkin(self, dbapi_connection: Any, record: Any) -> None:
        self.holders.pop(record, None)

    def of(self, task: asyncio.Task[Any]) -> int:
        return sum(holder is task for holder in self.holders.values())

    def reloads(self) -> list[asyncio.Task[Any]]:
        return list({t for t in self.holders.values() if t is not None and _is_reload(t)})


@pytest.fixture
def held(engine: AsyncEngine) -> Iterator[HeldConnections]:
    """Asked for before the server: every connection of the pool is seen checked out."""
    held = HeldConnections(engine)
    event.listen(held.pool, "checkout", held._checkout)
    event.listen(held.pool, "checkin", held._checkin)
    try:
        yield held
    finally:
        event.remove(held.pool, "checkout", held._checkout)
        event.remove(held.pool, "checkin", held._checkin)


def _is_reload(task: asyncio.Task[Any]) -> bool:
    name: str = task.get_coro().__qualname__  # type: ignore[union-attr]
    return name.endswith("account_changes.<locals>.reload")


async def _waiting_on_lock(connection: AsyncConnection, table: str) -> None:
    """Until a statement of another session waits for ``table``'s lock (pg_locks tells it;
    nothing announces it, so it is asked again until then, under the caller's guard)."""
    waiting = text(
        "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = CAST(:t AS regclass)"
    )
    while not await connection.scalar(waiting, {"t": table}):  # noqa: ASYNC110 (no event)
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("ending", ["complete", "close", "shutdown"])
async def test_a_reload_of_the_audience_in_flight_ends_with_its_subscription(
    held: HeldConnections,
    live: LiveServer,
    engine: AsyncEngine,
    identity_provider: Any,
    ending: str,
) -> None:
    """A membership added asks for the shopper's audience to be read again; that read waits
    for a lock on the memberships when the subscription ends (the client completes it,
    closes the connection, or the server shuts down): the read is cancelled and its
    connection goes back to the pool, rather than reading on for nobody."""
    connection = await _subscribed(live, identity_provider.token(SHOPPER))
    await asyncio.wait_for(live.feed.wait_for_subscribers(1), GUARD)
    async with engine.connect() as locker:
        await locker.execute(text("LOCK TABLE organization_members IN ACCESS EXCLUSIVE MODE"))
        async with make_sessionmaker(engine)() as session, session.begin():
            await outbox.emit_many(session, [people_events.membership(True, "100002", SHOPPER)])
        await asyncio.wait_for(held.reload_checked_out.wait(), GUARD)
        [reload] = held.reloads()
        await asyncio.wait_for(_waiting_on_lock(locker, "organization_members"), GUARD)
        assert held.of(reload) == 1
        assert held.pool.checkedout() == len(held.holders)

        if ending == "complete":
            await connection.send(json.dumps({"id": "s", "type": "complete"}))
        elif ending == "close":
            await connection.close()
        else:
            live.server.should_exit = True
        await asyncio.wait({reload}, timeout=GUARD)

        assert reload.cancelled()  # while the lock is still held: not left waiting
        assert held.of(reload) == 0
        assert held.pool.checkedout() == len(held.holders)
        await locker.rollback()
    await asyncio.wait_for(live.feed.wait_for_subscribers(0), GUARD)
    await connection.close()


async def test_a_reload_of_the_audience_that_fails_closes_the_connection_to_subscribe_again(
    held: HeldConnections, live: LiveServer, engine: AsyncEngine, identity_provider: Any
) -> None:
    """The audience's read fails (here: the server cancels it): the subscription would
    follow a stale set of accounts, missing those just joined without a word; the connection
    is closed with 1013 (try again later), for the client to subscribe again afresh."""
    connection = await _subscribed(live, identity_provider.token(SHOPPER))
    await asyncio.wait_for(live.feed.wait_for_subscribers(1), GUARD)
    async with engine.connect() as locker:
        await locker.execute(text("LOCK TABLE organization_members IN ACCESS EXCLUSIVE MODE"))
        async with make_sessionmaker(engine)() as session, session.begin():
            await outbox.emit_many(session, [people_events.membership(True, "100002", SHOPPER)])
        await asyncio.wait_for(held.reload_checked_out.wait(), GUARD)
        [reload] = held.reloads()
        await asyncio.wait_for(_waiting_on_lock(locker, "organization_members"), GUARD)
        cancelled = await locker.scalar(
            text(
                "SELECT bool_and(pg_cancel_backend(pid)) FROM pg_locks"
                " WHERE NOT granted AND relation = 'organization_members'::regclass"
            )
        )
        assert cancelled

        code, _ = await _closed(connection)
        await asyncio.wait({reload}, timeout=GUARD)

        assert code == TRY_AGAIN_LATER
        assert connection.close_reason == AUDIENCE_UNREAD
        assert reload.done()
        assert not reload.cancelled()
        assert reload.exception() is None  # handled: no "Task exception was never retrieved"
        assert held.of(reload) == 0
        await locker.rollback()
    await asyncio.wait_for(live.feed.wait_for_subscribers(0), GUARD)


async def test_a_query_over_websocket_waits_on_the_pool_again_once_it_is_free(
    settings: Settings, database_url: str
) -> None:
    """That an operation found no connection to be had (graphql.context.Context) is not
    carried to the next operation of its WebSocket connection, which has a context of its
    own (graphql.websocket.LiveHandler): it reads once the pool has a connection free again."""
    small = make_engine(database_url, pool_size=1, pool_timeout=0.2)
    query = gql("{ sites { id } }")
    try:
        quiet = settings.model_copy(update={"webhook_dispatcher": False})
        async for live in _serve(quiet, small):
            async with _client(live, admin_token(live.settings)) as session:
                assert (await session.execute(query))["sites"]
                async with small.connect(), small.connect():  # the pool taken
                    with pytest.raises(TransportQueryError):
                        await session.execute(query)
                assert (await session.execute(query))["sites"]
    finally:
        await small.dispose()
