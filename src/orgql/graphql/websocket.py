"""GraphQL over WebSocket: the ``graphql-transport-ws`` protocol at ``/graphql``.

- The caller is authenticated by ``connection_init``: its payload's ``Authorization``
  (``{"Authorization": "Bearer …"}``), as the HTTP header would be. No token (no payload,
  or a ``null`` one, as the protocol allows), or one not
  accepted: closed with 4403 Forbidden (anonymous callers receive nothing live); a shopper
  whose profile the database failed to find: 1013 Try Again Later, as HTTP answers 503.
- Documents go through the same parsing limits and validation as over HTTP (the schema's
  extensions), and through persisted / trusted documents (graphql.persisted), looked up in
  the operation's own task (graphql.websocket_documents): the loop reading the connection's
  messages never waits for the database. An automatic persisted query sent with its text
  is registered as over HTTP, in that task, before its first answer with data is sent.
- A message that is not the protocol's (not a JSON object, a ``subscribe`` without a string
  id or an object payload) closes the connection with 4400 and why; a ``subscribe`` payload
  that is no GraphQL request as HTTP takes one (graphql.request_body: value types, text
  PostgreSQL cannot hold) or names no operation of its document is answered an ``error``
  for its id, code BAD_REQUEST, the connection kept. strawberry's handler failed on either.
- Bounded: ``ORGQL_GRAPHQL_WS_MAX_CONNECTIONS`` connections signed in per process (one more
  is accepted and closed with 1013 Try Again Later), and apart from them
  ``ORGQL_GRAPHQL_WS_MAX_AWAITING_INIT`` awaiting connection_init (graphql.websocket_seats),
  ``ORGQL_GRAPHQL_WS_MAX_SUBSCRIPTIONS`` subscriptions per connection (one more is answered
  an ``error``), connection_init within ``ORGQL_GRAPHQL_WS_INIT_TIMEOUT_SECONDS`` (4408).
  A subscriber that falls ``ORGQL_GRAPHQL_WS_QUEUE_EVENTS`` events behind is dropped by the
  feed, and its connection closed with :data:`SLOW_CONSUMER` (4008); at shutdown every
  connection is closed with 1001 Going Away.
- A connection lives as long as the token that signed it in: it is closed with 4403 when
  the token expires (a timer set at ``exp``, nothing checked per message) or is logged out
  (the process's revocations tell it, from this process or another: orgql.auth.revocations).

Only ``graphql-transport-ws`` is spoken (the legacy ``graphql-ws`` is refused with 4406).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any, cast

from cross_web import HTTPException
from graphql import GraphQLError
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.extensions import SchemaExtension
from strawberry.http import GraphQLRequestData
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    Message,
    SubscribeMessage,
)
from strawberry.types.graphql import OperationType

from orgql.auth.revocations import RevokedTokens
from orgql.auth.tokens import REVOKED, ProfileLookupFailed
from orgql.core.common import json_text
from orgql.edge_errors import BAD_REQUEST
from orgql.graphql import request_body
from orgql.graphql.context import Context
from orgql.graphql.persisted import move_document_id
from orgql.graphql.websocket_documents import find_document, keep_document
from orgql.graphql.websocket_seats import SEAT, Connections, Seat
from orgql.observability.database import expected_failure

logger = logging.getLogger("orgql.graphql")

#: Close codes (1000-2999 are the WebSocket protocol's; 4400-4499 graphql-transport-ws's).
TRY_AGAIN_LATER = 1013
FORBIDDEN = 4403
GOING_AWAY = 1001
SLOW_CONSUMER = 4008
#: A message that is not the protocol's (graphql-transport-ws).
INVALID_MESSAGE = 4400
#: The longest reason of a close frame (RFC 6455: its payload is at most 125 bytes, the
#: code two of them).
MAX_CLOSE_REASON_BYTES = 123
PROTOCOLS = (GRAPHQL_TRANSPORT_WS_PROTOCOL,)
#: The close reason (1013) when the database failed to find connection_init's shopper.
PROFILE_UNREAD = "the database is unavailable: connect again later"
#: The close reason (1013) when the process holds as many connections as it may.
TOO_MANY = "too many connections"
#: How long a connection being closed waits for its cancelled operations to end (each
#: gives its pooled connection back), and then for the close frame to be taken.
CLOSE_SECONDS = 5.0


class NoRoom(Exception):
    """connection_init was accepted, but the signed-in connections' room is full (or this
    connection was closed to make room for a newer one meanwhile)."""


class SubscriptionsOverWebSocket(SchemaExtension):
    """A subscription sent over HTTP (POST, GET) is refused with a clear error before it
    runs: it is served over WebSocket only."""

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        context = execution.context
        if execution.operation_type is OperationType.SUBSCRIPTION and (
            not isinstance(context, Context) or context.live is None
        ):
            raise GraphQLError(
                "subscriptions are served over WebSocket (graphql-transport-ws) at /graphql",
                extensions={"code": "BAD_REQUEST"},
            )
        yield


class TextFrames(ASGIWebSocketAdapter):
    """Messages as text frames, as graphql-transport-ws requires (the view's JSON encoder
    gives bytes, which strawberry would send as binary frames)."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        encoded = self.view.encode_json(message)
        text = encoded.decode("utf-8") if isinstance(encoded, bytes) else encoded
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


#: The context of the operation whose task reads it (:meth:`LiveHandler.run_operation`).
_operation: ContextVar[Context | None] = ContextVar("orgql_ws_operation", default=None)
#: The request of a ``subscribe``, set while strawberry creates its operation's task, which
#: copies it (:meth:`LiveHandler.handle_subscribe`): the task finds its document.
_subscribed: ContextVar[GraphQLRequestData | None] = ContextVar("orgql_ws_request", default=None)


class LiveHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """strawberry's protocol handler, with the gateway's checks and the close codes above.

    Each operation runs on a context of its own (Context.for_operation), not on the
    connection's: strawberry hands every operation ``self.context``, which is the
    connection's in the handler's task and the operation's in the operation's task."""

    #: The connection's context: its caller, ``connection_init`` payload, this handler.
    connection: Context

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connection.live = self
        #: Its place among the process's connections (taken by OrgqlGraphQL.serve_websocket).
        self.seat: Seat | None = self.connection.request.scope.get(SEAT)
        self._closing: asyncio.Task[None] | None = None
        #: Undo what ties the connection to its token's life (:meth:`end_with_token`).
        self._untie: list[Callable[[], object]] = []

    @property
    def context(self) -> Context:
        """The operation's context within one of this connection's operation tasks, else
        the connection's (its caller and ``connection_init`` payload, set by strawberry and
        on_ws_connect)."""
        operation = _operation.get()
        return operation if operation is not None and operation.live is self else self.connection

    @context.setter
    def context(self, context: Context) -> None:
        self.connection = context

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        """strawberry's, in the operation's own task, with the operation's own context, once
        its document is found (:meth:`_find_document`)."""
        token = _operation.set(self.connection.for_operation())
        try:
            if await self._find_document(operation):
                await super().run_operation(operation)
        finally:
            _operation.reset(token)

    async def _find_document(self, operation: Operation[Context, None]) -> bool:
        """Whether the operation's document is found (graphql.websocket_documents), else its
        ``error`` is sent. In the operation's task, not the loop reading the connection's
        messages: a persisted document's lookup waits for the database (up to
        ORGQL_DB_POOL_TIMEOUT_SECONDS in an outage), and the connection's pings, completes
        and other subscribes must not."""
        data = _subscribed.get()
        if data is None:  # not one of handle_subscribe's
            return True
        persisted = self.view.persisted  # type: ignore[attr-defined]
        try:
            found = await find_document(persisted, self.connection.sessionmaker, data)
        except Exception as bug:  # ended as strawberry ends an operation that raised
            await self.handle_task_exception(bug)
            with contextlib.suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)
            raise
        if isinstance(found, GraphQLError):  # the operation's error, not a close
            await operation.send_operation_message(
                {"id": operation.id, "type": "error", "payload": [found.formatted]}
            )
            return False
        operation.query = found
        return True

    async def send_message(self, message: Message) -> None:
        """strawberry's; an operation's answer registers its automatic persisted document
        first, as over HTTP (graphql.websocket_documents.keep_document)."""
        persisted = self.view.persisted  # type: ignore[attr-defined]
        await keep_document(persisted, self.connection.sessionmaker, message)
        await super().send_message(message)

    async def handle(self) -> None:
        connections: Connections = self.view.connections  # type: ignore[attr-defined]
        connections.open.add(self)
        if self.seat is not None:
            self.seat.handler = self
        try:
            await super().handle()
        finally:
            connections.open.discard(self)
            for untie in self._untie:
                untie()

    def sign_in(self) -> None:
        """Move to the signed-in connections (connection_init accepted), else NoRoom."""
        if self.seat is not None and not self.seat.sign_in():
            raise NoRoom

    def end_with_token(
        self, seconds_left: float | None, token_id: str | None, revoked: RevokedTokens
    ) -> None:
        """Close with 4403 once the token that signed in expires (``seconds_left``) or, an
        admin token (``token_id``), is logged out: a timer and a watch, no per-message check."""
        if seconds_left is not None:
            timer = asyncio.get_running_loop().call_later(
                max(seconds_left, 0.0), self.close_soon, FORBIDDEN, "the access token has expired"
            )
            self._untie.append(timer.cancel)
        if token_id is not None:
            self._untie.append(revoked.watch(token_id, lambda: self.close_soon(FORBIDDEN, REVOKED)))

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        """strawberry's; a shopper whose profile the database failed to find (on_ws_connect)
        is closed with 1013 Try Again Later, as the HTTP path answers 503 (orgql.auth.asgi),
        not 4403 Forbidden: the token may be good, and a client drops a forbidden one. So is
        a caller accepted when the signed-in connections' room is full. A ``null`` payload is
        no payload, as the protocol has it (strawberry closed it with 4400)."""
        if message.get("payload", {}) is None:
            message = {"type": message["type"]}
        try:
            await super().handle_connection_init(message)
        except NoRoom:
            if self._closing is None:  # else closing already, to make room for a newer one
                await self.websocket.close(code=TRY_AGAIN_LATER, reason=TOO_MANY)
        except ProfileLookupFailed as failed:
            reason = expected_failure(failed.error)
            if reason is None:  # no outage: refused as before, and logged as the bug it is
                logger.error("connection_init: looking the shopper up failed", exc_info=failed)
                await self.websocket.close(code=FORBIDDEN, reason="Forbidden")
                return
            logger.warning("connection_init: the shopper's profile was not read: %s", reason)
            await self.websocket.close(code=TRY_AGAIN_LATER, reason=PROFILE_UNREAD)

    async def handle_message(self, message: Message) -> None:
        """strawberry's, for a message of the protocol's shape; any other is closed with 4400
        and why (strawberry's handler failed on it: the connection dropped, a traceback)."""
        problem = _malformed(message)
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)

    async def handle_invalid_message(self, error_message: str) -> None:
        """strawberry's close with 4400, its reason as a close frame can carry it: one
        quoting a long or invalid message type failed the close (1006, a traceback)."""
        await self.websocket.close(code=INVALID_MESSAGE, reason=_close_reason(error_message))

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        """strawberry's, for a payload that is a GraphQL request (graphql.request_body, as
        over HTTP), otherwise the operation's ``error``, code as over HTTP, not a close. Its
        document is found in its task (:meth:`_find_document`)."""
        message_id = message["id"]
        if not self.connection_acknowledged or message_id in self.operations:
            await super().handle_subscribe(message)  # strawberry's refusals (4401, 4409)
            return
        payload = message["payload"]
        try:
            request_body.check_operation(payload, "the subscribe payload")
        except HTTPException as refused:
            error = GraphQLError(refused.reason, extensions={"code": BAD_REQUEST})
            refusal = {"id": message_id, "type": "error", "payload": [error.formatted]}
            await self.send_message(refusal)  # type: ignore[arg-type]
            return
        move_document_id(cast(dict[str, Any], payload))  # a top-level documentId, as over HTTP
        data = GraphQLRequestData(
            query=payload.get("query"),
            variables=payload.get("variables"),
            operation_name=payload.get("operationName"),
            extensions=payload.get("extensions") or {},
        )
        token = _subscribed.set(data)  # copied by the operation's task, made in there
        try:
            # strawberry reads the payload's query: the document found replaces it.
            await super().handle_subscribe({**message, "payload": {**payload, "query": ""}})
        finally:
            _subscribed.reset(token)

    @property
    def closing(self) -> asyncio.Task[None] | None:
        """The closing of the connection (:meth:`close_soon`), once begun."""
        return self._closing

    def close_soon(self, code: int, reason: str) -> None:
        """Close the connection (from the feed: never waits). Its operations are cancelled
        first: one may be stuck sending to a client that does not read."""
        if self._closing is None:
            if code == SLOW_CONSUMER:
                self.view.connections.on_event("slow_consumer")  # type: ignore[attr-defined]
            self._closing = asyncio.create_task(self._close(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        running = [operation.task for operation in self.operations.values() if operation.task]
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        if running:  # each gives its connection back: the engine may be disposed next
            await asyncio.wait(running, timeout=CLOSE_SECONDS)
        try:
            async with asyncio.timeout(CLOSE_SECONDS):
                await self.websocket.close(code=code, reason=reason)
        except Exception:  # gone already, or unable to take the close frame in time
            logger.debug("closing a WebSocket failed", exc_info=True)


def _malformed(message: object) -> str | None:
    """Why a message is not of the protocol's shape, where strawberry's handler would fail
    on it; None: strawberry's to handle (it closes with 4400 an unknown or missing type)."""
    if not isinstance(message, dict):
        return "a message must be a JSON object"
    kind = message.get("type")
    if kind in ("subscribe", "complete") and not isinstance(message.get("id"), str):
        return f"the id of a {kind} message must be a string"
    if kind == "subscribe" and not isinstance(message.get("payload"), dict):
        return "the payload of a subscribe message must be an object"
    return None


def _close_reason(reason: str) -> str:
    """``reason`` within a close frame: UTF-8 (a lone surrogate a client sent replaced) of
    at most :data:`MAX_CLOSE_REASON_BYTES` (a character cut in two dropped)."""
    encoded = reason.encode("utf-8", "replace")[:MAX_CLOSE_REASON_BYTES]
    return encoded.decode("utf-8", "ignore")


def decode_message(text: str | bytes) -> object:
    """A client's message (strawberry's ``view.decode_json``), read as a request body is
    (json_text.loads_body: nested at most ``MAX_BODY_DEPTH`` levels, no NaN). What does not
    decode is a JSONDecodeError, closed with 4400 by strawberry's handler: the standard
    library's RecursionError (deep nesting) or ValueError (an integer past 4,300 digits)
    escaped it (the connection dropped, a traceback)."""
    try:
        return json_text.loads_body(text)
    except (ValueError, RecursionError) as error:
        if isinstance(error, json.JSONDecodeError):
            raise
        raise json.JSONDecodeError(str(error), text if isinstance(text, str) else "", 0) from None


async def refuse_connection(websocket: Any, code: int, reason: str) -> None:
    """Accept the handshake (with the protocol the client asked for), then close with
    ``code``: a client reads a close code; a refused handshake it cannot tell apart."""
    subprotocols = websocket.scope.get("subprotocols") or []
    chosen = (
        GRAPHQL_TRANSPORT_WS_PROTOCOL if GRAPHQL_TRANSPORT_WS_PROTOCOL in subprotocols else None
    )
    with contextlib.suppress(Exception):
        await websocket.accept(subprotocol=chosen)
        await websocket.close(code=code, reason=reason)


async def close_all(connections: Connections) -> None:
    """Shutdown: close every connection with 1001 Going Away, and wait until they are
    closed (each within twice :data:`CLOSE_SECONDS`): their operations, cancelled, give
    their pooled connections back before the lifespan disposes the engine."""
    handlers = list(connections.open)
    for handler in handlers:
        handler.close_soon(GOING_AWAY, "the server is shutting down")
    closing = [handler.closing for handler in handlers if handler.closing is not None]
    if closing:
        await asyncio.wait(closing)
