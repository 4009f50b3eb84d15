"""Mounts the schema on Starlette: GraphiQL on GET from a browser, queries on GET
(graphql.http_get) and POST, persisted documents (graphql.persisted)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any, cast

import orjson
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.http.types import QueryParams
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from orgql import graphiql
from orgql.auth.asgi import authenticator_of, principal_of, profile_finder
from orgql.body_limit import BODY_CUT_SHORT
from orgql.core.access.principals import ANONYMOUS
from orgql.edge_errors import (
    BAD_REQUEST,
    GRAPHQL_PATH,
    METHOD_NOT_ALLOWED,
    graphql_error_response,
)
from orgql.graphql import direct_http, http_get, request_body
from orgql.graphql.context import Context
from orgql.graphql.errors import unexpected_error_response
from orgql.graphql.execution.direct import DECLINED, DirectReads, decoded
from orgql.graphql.limits import LIMIT_CODES, Limits, code_token_refusal
from orgql.graphql.persisted import (
    DOCUMENT_ID_KEYS,
    NOT_CACHEABLE,
    PersistedDocuments,
    Prepared,
    move_document_id,
    unreadable,
)
from orgql.graphql.request_timeout import RequestTimedOut, RequestTimeout
from orgql.graphql.schema import app_schema
from orgql.graphql.websocket import (
    PROTOCOLS,
    TOO_MANY,
    TRY_AGAIN_LATER,
    LiveHandler,
    TextFrames,
    decode_message,
    refuse_connection,
)
from orgql.graphql.websocket_seats import SEAT, Connections
from orgql.loopback import is_local_request
from orgql.observability.database import mutation_committed, retry_advice, telling_commits
from orgql.settings import Settings

#: Headers of a GraphiQL page that carries a development admin token.
TOKEN_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
}


#: The methods of /graphql (GraphQL over HTTP: queries on GET, anything on POST; HEAD is GET
#: without the body, RFC 9110). Its route takes every method: another is refused here, in
#: GraphQL's shape (405, ``Allow``) as its other refusals (orgql.edge_errors).
METHODS = ("GET", "HEAD", "POST")


class MethodNotAllowed(HTTPException):
    """A request to /graphql with a method not in :data:`METHODS`."""


#: ``request.state``'s attribute holding when the request's timeout ends (``_deadline``).
_DEADLINE = "graphql_deadline"


class OrgqlGraphQL(GraphQL[Context, None]):
    #: Upper bound of one request's execution (ORGQL_GRAPHQL_TIMEOUT_SECONDS).
    timeout_seconds: float = 15.0
    #: Longest URL of a GET (ORGQL_GRAPHQL_GET_MAX_URL_BYTES).
    max_url_bytes: int = 8192
    persisted: PersistedDocuments
    #: Queries a SQL plan answered before, answered without the pipeline.
    direct: DirectReads
    #: The open WebSocket connections (graphql.websocket).
    connections: Connections
    graphql_transport_ws_handler_class = LiveHandler
    websocket_adapter_class = TextFrames

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self.serve_websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        if scope["method"] == "HEAD":
            # GET's answer without its body (RFC 9110).
            await self(dict(scope, method="GET"), receive, http_get.without_body(send))
            return
        request = Request(scope=scope, receive=receive)
        answer = None  # the direct path's JSON (graphql.direct_http), else a response
        try:
            if request.method not in METHODS:
                # The methods an answer is read from; Allow adds HEAD (GET's, without a body).
                raise MethodNotAllowed(
                    405, f"{request.method} is not a method of {GRAPHQL_PATH}: send GET or POST"
                )
            if request.method == "GET":
                http_get.check_url(request, self.max_url_bytes)
            answer = await self.answer_directly(request) if request.method == "POST" else None
            if answer is None:
                response = await self.run(request)
                if request.method == "GET":
                    response = http_get.finish(request, response)
        except HTTPException as error:
            # strawberry answers these in plain text; a GraphQL client expects JSON errors.
            response = http_error_response(error)
        except ClientDisconnect:  # the client left mid-body: nothing ran, nobody reads this
            response = http_error_response(HTTPException(400, BODY_CUT_SHORT))
        except Exception:  # a bug outside any resolver, or a direct read's lost database:
            response = unexpected_error_response()  # still JSON, no traceback out
        if answer is not None:
            await direct_http.send_json(send, answer)
        else:
            await response(scope, receive, send)

    async def answer_directly(self, request: Request) -> bytes | None:
        """The JSON answer of a query a SQL plan answered before, without the pipeline (graphql.
        execution.direct), in the request's timeout; None: the pipeline's (the body kept)."""
        if not self.direct.enabled:
            return None
        body = await direct_http.read_body(request)  # within LimitBody's and BodyDeadline's
        with RequestTimeout(self._deadline(request), self.timeout_seconds):
            return await self.direct.answer(request, body)

    def _deadline(self, request: Request) -> float:
        """When the request's timeout ends: set when first asked (the direct path, else the
        pipeline), so that both spend from one ORGQL_GRAPHQL_TIMEOUT_SECONDS. Read from the
        scope's ``state`` dict: State's getattr raises and catches an AttributeError (3 µs)."""
        state: dict[str, Any] = request.scope.setdefault("state", {})
        if (deadline := state.get(_DEADLINE)) is None:
            deadline = state[_DEADLINE] = asyncio.get_running_loop().time() + self.timeout_seconds
        return cast(float, deadline)

    async def serve_websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A WebSocket at /graphql (graphql.websocket): within the connections' room
        (graphql.websocket_seats), its seat in the scope for its handler."""
        seat = self.connections.claim()
        if seat is None:
            websocket = WebSocket(scope, receive=receive, send=send)
            await refuse_connection(websocket, TRY_AGAIN_LATER, TOO_MANY)
            return
        try:
            await super().__call__({**scope, SEAT: seat}, receive, send)
        finally:
            seat.release()

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """connection_init: the caller is the payload's ``Authorization``; anonymous callers
        and tokens not accepted are refused (4403); a caller accepted moves to the signed-in
        connections (graphql.websocket_seats; full: 1013), and the connection is closed
        (4403) when its token expires or is logged out."""
        params = context.connection_params or {}
        header = next(
            (value for key, value in params.items() if key.lower() == "authorization"), None
        )
        if not isinstance(header, str):
            raise ConnectionRejectionError()
        authenticator = authenticator_of(context.request)
        # ProfileLookupFailed (the database failed) is the handler's to answer (1013).
        principal = await authenticator.authenticate(header, profile_finder(context.request.scope))
        if not (principal.is_admin or principal.is_shopper):
            raise ConnectionRejectionError()
        context.principal = principal
        if context.live is not None:  # ended with the token (graphql.websocket)
            context.live.sign_in()  # NoRoom: closed 1013 by the handler
            expires, token_id = authenticator.lifetime(header)
            left = None if expires is None else expires - authenticator.clock()
            context.live.end_with_token(left, token_id, authenticator.revoked)
        acknowledged: UnsetType = UNSET  # connection_ack without a payload
        return acknowledged

    def parse_json(self, data: str | bytes) -> Any:
        """The POST body: JSON holding an operation or a batch of them, else a 400."""
        found = decoded.get()  # by the direct path, if it decoded this very body
        document = found[1] if found is not None and found[0] is data else request_body.decode(data)
        request_body.check_document(document, text=request_body.may_hold_unstorable_text(data))
        for operation in document if isinstance(document, list) else [document]:
            if isinstance(operation, dict):  # always, once checked
                move_document_id(operation)
        return document

    def decode_json(self, data: str | bytes) -> object:
        return decode_message(data)  # a WebSocket message: parse_json reads the bodies

    def parse_query_params(self, params: QueryParams) -> dict[str, Any]:
        # GET: ``variables`` and ``extensions`` are JSON values of their own, not bodies. The
        # parameters' strings are all looked at (a NUL written %00 is one): a URL is short.
        parsed: dict[str, Any] = dict(params)
        for name in ("variables", "extensions"):
            if parsed.get(name):
                parsed[name] = request_body.decode(parsed[name])
        move_document_id(parsed)
        request_body.check_document(parsed)
        return parsed

    async def execute_operation(self, *args: Any, **kwargs: Any) -> Any:
        try:
            with RequestTimeout(self._deadline(kwargs["request"]), self.timeout_seconds):
                batch = kwargs.get("request_data")
                if not isinstance(batch, list):
                    result = await super().execute_operation(*args, **kwargs)
                    code_token_refusal(getattr(result, "errors", None))
                    if refused_by_limits(result):
                        kwargs["sub_response"].status_code = 400
                    return result
                # One after the other (strawberry runs them concurrently): the operations
                # share the request's context, whose session each one closes at its end.
                single = {
                    name: kwargs[name]
                    for name in ("request", "request_adapter", "sub_response", "context")
                }
                results = []
                for data in batch:
                    try:
                        result = await self.execute_single(
                            **single, root_value=kwargs.get("root_value"), request_data=data
                        )
                    except HTTPException as refused:
                        result = _refused_after_a_commit(refused)
                    results.append(result)
                return results
        except RequestTimedOut:
            context = kwargs.get("context")
            if isinstance(context, Context):  # give the connection back now, not to the GC
                await context.close(abandon=True)
            raise

    async def execute_single(self, *args: Any, **kwargs: Any) -> Any:
        """One operation, its document found first if persisted (graphql.persisted)."""
        request: Request = kwargs["request"]
        data: GraphQLRequestData = kwargs["request_data"]
        try:
            prepared = await self.persisted.prepare(request.state.sessionmaker, data)
        except Exception as failure:  # the database failed to read it: this operation's error
            return ExecutionResult(data=None, errors=[unreadable(failure)])
        if not isinstance(prepared, Prepared):
            sub_response = kwargs["sub_response"]
            sub_response.status_code = prepared.status
            sub_response.headers["Cache-Control"] = NOT_CACHEABLE
            error = GraphQLError(prepared.message, extensions={"code": prepared.code})
            return ExecutionResult(data=None, errors=[error])
        kwargs["request_data"] = prepared.data
        try:
            result = await super().execute_single(*args, **kwargs)
        except HTTPException as error:
            if isinstance(error.__cause__, InvalidOperationTypeError) and request.method == "GET":
                raise http_get.refuse_mutation(error.reason) from None
            raise
        answered = getattr(result, "data", None)
        await self.persisted.keep(request.state.sessionmaker, prepared, answered)
        return result

    def should_render_graphql_ide(self, request: Any) -> bool:
        # Not for a GET naming a persisted document without a query (strawberry's test
        # looks at ``query`` alone).
        params = request.query_params
        named = any(params.get(key) for key in ("extensions", *DOCUMENT_ID_KEYS))
        return not named and super().should_render_graphql_ide(request)

    async def render_graphql_ide(self, request: Request) -> Response:
        # Our page: scripts and styles from the gateway itself, the CDN only as a fallback.
        token = development_token(request)
        # A page holding an admin token: kept in no cache, shown in no other site's frame.
        headers = TOKEN_PAGE_HEADERS if token else None
        return HTMLResponse(graphiql.page(token), headers=headers)

    def encode_json(self, data: object) -> bytes:
        # orjson: several times faster than json.dumps on a page of nested results.
        try:
            return orjson.dumps(data)
        except orjson.JSONEncodeError:  # an integer past 64 bits in a stored JSON value
            return json.dumps(data, separators=(",", ":")).encode()

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        # Over WebSocket the caller is told by connection_init (on_ws_connect).
        principal = principal_of(request) if isinstance(request, Request) else ANONYMOUS
        return Context.of_request(request, principal, getattr(request.state, DECLINED, None))


def refused_by_limits(result: object) -> bool:
    """Whether the document was refused for asking too much (graphql.limits): 400, like a body
    too large, not the 200 of other validation errors (GraphQL over HTTP, application/json)."""
    errors = getattr(result, "errors", None) or ()
    return getattr(result, "data", None) is None and any(
        (error.extensions or {}).get("code") in LIMIT_CODES for error in errors
    )


def _refused_after_a_commit(refused: HTTPException) -> ExecutionResult:
    """A batch's operation refused as a request would be (no operation of the name asked),
    after a mutation of an earlier one committed: that operation's error, the answer 200
    with what was done (docs/graphql.md, "Several mutation fields"), not a refusal of the
    whole batch that says nothing of the commit and has it sent again. With nothing
    committed, the request's refusal as before (raised)."""
    if refused.status_code >= 500 or not mutation_committed():
        raise refused
    code = http_error_code(refused)
    return ExecutionResult(
        data=None, errors=[GraphQLError(refused.reason, extensions={"code": code})]
    )


def http_error_code(error: HTTPException) -> str:
    """The GraphQL code of a transport-level refusal (:func:`http_error_response`)."""
    if isinstance(error, RequestTimedOut):
        return "TIMEOUT"
    if isinstance(error, MethodNotAllowed | http_get.MutationOverGet):
        return METHOD_NOT_ALLOWED
    return BAD_REQUEST if 400 <= error.status_code < 500 else "UNAVAILABLE"


def http_error_response(error: HTTPException) -> Response:
    """A transport-level refusal (timeout, too many batched operations, bad content type,
    malformed JSON) as a GraphQL error body with a code. The request's timeout after a
    mutation of it committed says so, and has no Retry-After
    (observability.database.retry_advice)."""
    headers: dict[str, str] = {}
    if isinstance(error, http_get.MutationOverGet):
        headers["Allow"] = "POST"
    elif isinstance(error, MethodNotAllowed):
        headers["Allow"] = ", ".join(METHODS)
    code = http_error_code(error)
    message = telling_commits(error.reason)
    if error.status_code == 503:
        message, advice = retry_advice(error.reason, "5")
        headers.update(advice)
    return graphql_error_response(error.status_code, message, code, headers)


def development_token(request: Request) -> tuple[str, int] | None:
    """In development GraphiQL opens with an admin token in its headers: the first query
    works without a login. Never in production, and only for a browser on this machine
    (:func:`orgql.loopback.is_local_request`: no proxy, no rebound name)."""
    settings: Settings = request.state.settings
    if settings.environment != "development" or not is_local_request(request):
        return None
    issued = authenticator_of(request).issue_admin("graphiql")
    return issued.access_token, issued.expires_in


async def graphiql_token(request: Request) -> Response:
    """``GET /graphiql/token``: a fresh development token for the GraphiQL page, which renews
    its own before it expires; 404 where the page would carry none (production, GraphiQL
    off, a browser elsewhere)."""
    settings: Settings = request.state.settings
    issued = development_token(request) if Limits.from_settings(settings).graphiql else None
    if issued is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    token, expires_in = issued
    body = {"access_token": token, "token_type": "bearer", "expires_in": expires_in}
    return JSONResponse(
        body, headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    )


def graphql_app(settings: Settings) -> OrgqlGraphQL:
    limits = Limits.from_settings(settings)
    schema = app_schema(settings)
    app = OrgqlGraphQL(
        schema,
        graphql_ide="graphiql" if limits.graphiql else None,
        allow_queries_via_get=True,
        subscription_protocols=PROTOCOLS,
        connection_init_wait_timeout=timedelta(seconds=settings.graphql_ws_init_timeout_seconds),
        max_subscriptions_per_connection=settings.graphql_ws_max_subscriptions,
        # A page of any origin may open a WebSocket: the caller is only ever the token of
        # connection_init's payload, never a cookie or other ambient credential a foreign
        # page could borrow (what strawberry's same-origin check guards against).
        allowed_origins=["*"],
    )
    app.connections = Connections.from_settings(settings)
    app.timeout_seconds = limits.timeout_seconds
    app.max_url_bytes = settings.graphql_get_max_url_bytes
    app.persisted = PersistedDocuments.of(settings, schema._schema)
    app.direct = DirectReads(schema, limits)
    return app
