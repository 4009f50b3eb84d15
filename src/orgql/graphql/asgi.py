"""Mounts the schema on Starlette: GraphiQL on GET from a browser, queries on POST."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http.types import QueryParams

from orgql import graphiql
from orgql.auth.asgi import authenticator_of, principal_of
from orgql.body_limit import BODY_CUT_SHORT
from orgql.graphql import request_body
from orgql.graphql.context import Context
from orgql.graphql.errors import unexpected_error_response
from orgql.graphql.limits import LIMIT_CODES, Limits, code_token_refusal
from orgql.graphql.schema import build_schema
from orgql.loopback import is_local_request
from orgql.settings import Settings


class RequestTimedOut(HTTPException):
    """The request used up ORGQL_GRAPHQL_TIMEOUT_SECONDS."""


class OrgqlGraphQL(GraphQL[Context, None]):
    #: Upper bound of one request's execution (ORGQL_GRAPHQL_TIMEOUT_SECONDS).
    timeout_seconds: float = 15.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as error:
            # strawberry answers these in plain text; a GraphQL client expects JSON errors.
            response = http_error_response(error)
        except ClientDisconnect:  # the client left mid-body: nothing ran, nobody reads this
            response = http_error_response(HTTPException(400, BODY_CUT_SHORT))
        except Exception:  # a bug outside any resolver: still JSON, logged, no traceback out
            response = unexpected_error_response()
        await response(scope, receive, send)

    def parse_json(self, data: str | bytes) -> Any:
        """The POST body: JSON holding an operation or a batch of them, else a 400."""
        document = request_body.decode(data)
        request_body.check_document(document)
        return document

    def parse_query_params(self, params: QueryParams) -> dict[str, Any]:
        # GET: ``variables`` and ``extensions`` are JSON values of their own, not bodies.
        parsed: dict[str, Any] = dict(params)
        for name in ("variables", "extensions"):
            if parsed.get(name):
                parsed[name] = request_body.decode(parsed[name])
        return parsed

    async def execute_operation(self, *args: Any, **kwargs: Any) -> Any:
        try:
            async with asyncio.timeout(self.timeout_seconds):
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
                return [
                    await self.execute_single(
                        **single, root_value=kwargs.get("root_value"), request_data=data
                    )
                    for data in batch
                ]
        except TimeoutError:
            context = kwargs.get("context")
            if isinstance(context, Context):  # give the connection back now, not to the GC
                await context.close(abandon=True)
            raise RequestTimedOut(
                503, f"the request took longer than {self.timeout_seconds:g} seconds"
            ) from None

    async def render_graphql_ide(self, request: Request) -> Response:
        # Our page: scripts and styles from the gateway itself, the CDN only as a fallback.
        return HTMLResponse(graphiql.page(development_token(request)))

    def encode_json(self, data: object) -> bytes:
        # orjson: several times faster than json.dumps on a page of nested results.
        try:
            return orjson.dumps(data)
        except orjson.JSONEncodeError:  # an integer past 64 bits in a stored JSON value
            return json.dumps(data, separators=(",", ":")).encode()

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        assert isinstance(request, Request)
        state = request.state
        return Context(
            request=request,
            settings=state.settings,
            sessionmaker=state.sessionmaker,
            site_header=request.headers.get("x-ccsite") or None,
            principal=principal_of(request),
        )


def refused_by_limits(result: object) -> bool:
    """Whether the document was refused for asking too much (a fragment cycle, depth,
    aliases, cost, tokens): 400, like a body too large, rather than the 200 of other validation
    errors (GraphQL over HTTP, application/json)."""
    errors = getattr(result, "errors", None) or ()
    return getattr(result, "data", None) is None and any(
        (error.extensions or {}).get("code") in LIMIT_CODES for error in errors
    )


def http_error_response(error: HTTPException) -> Response:
    """A transport-level refusal (timeout, too many batched operations, bad content type,
    malformed JSON) as a GraphQL error body with a code."""
    if isinstance(error, RequestTimedOut):
        code = "TIMEOUT"
    elif 400 <= error.status_code < 500:
        code = "BAD_REQUEST"
    else:
        code = "UNAVAILABLE"
    body = {"data": None, "errors": [{"message": error.reason, "extensions": {"code": code}}]}
    headers = {"Retry-After": "5"} if error.status_code == 503 else None
    return Response(
        orjson.dumps(body),
        status_code=error.status_code,
        media_type="application/json",
        headers=headers,
    )


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
    app = OrgqlGraphQL(
        build_schema(limits, settings.graphql_compiled_executor, settings.graphql_sql_plans),
        graphql_ide="graphiql" if limits.graphiql else None,
        allow_queries_via_get=False,
    )
    app.timeout_seconds = limits.timeout_seconds
    return app
