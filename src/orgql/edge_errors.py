"""Refusals answered at the edge (the middlewares, before any route runs) in the shape of the
endpoint the request is for: on ``/graphql`` a GraphQL error body, as every other answer
there (its clients read ``errors``, not an errorModel), elsewhere the REST errorModel.

Here once: which requests are for the GraphQL endpoint (below the app's root path, with or
without a trailing slash), the GraphQL error body of a
request refused outside execution (graphql.asgi's transport refusals and graphql.errors'
unexpected errors are built by it too), and the answer of a path or method no route takes
(404, 405: the app's router's, orgql.routing). What each other refusal says (status, OCC code,
GraphQL code) stays with the middleware that refuses."""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse, Response
from starlette.types import Scope

from orgql.core.common.errors import OrgqlError
from orgql.rest.errors import error_response, routing_error, unreadable_query

GRAPHQL_PATH = "/graphql"
#: The GraphQL code of a request refused as unusable (malformed, or too large to read).
#: Refusals at the HTTP level of /graphql have codes in capitals (docs/security.md).
BAD_REQUEST = "BAD_REQUEST"
#: The GraphQL code of a method the endpoint does not take (405, with ``Allow``).
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
#: The GraphQL code of a request whose head or body did not arrive in time (408).
REQUEST_TIMEOUT = "REQUEST_TIMEOUT"


#: The scope key holding the root path the app is served under, recorded where a request
#: enters the app (:func:`enter_app`), before any route or mount below has moved ``root_path``.
ROOT_PATH_KEY = "orgql.root_path"


def enter_app(scope: Scope) -> None:
    """Record the root path the app is served under, as the request enters it (its outermost
    middleware, ObserveRequests). Behind ``uvicorn --root-path /api`` and mounted into another
    app (a Starlette ``Mount("/api", app=orgql)``) alike, that is the scope's ``root_path``
    then, by which the app's router matches ``/api/graphql``. Not Starlette's
    ``app_root_path``: a parent app's mount sets it to the *parent's* root path."""
    scope[ROOT_PATH_KEY] = scope.get("root_path", "")


def app_path(scope: Scope) -> str:
    """The request's path below the root path the app is served under (``uvicorn --root-path
    /api``: a request for ``/graphql`` arrives as ``/api/graphql``, ASGI's full path, with
    ``root_path`` ``/api``): the path the app's own routes match. The app's root, recorded as
    the request entered it (:func:`enter_app`), not a mount's: once one of the app's mounts
    has matched, Starlette has moved ``root_path`` below it (``/ccadmin/graphql`` is no GraphQL
    endpoint). A scope that has not entered the app yet (one built by the server's protocol:
    orgql.slow_clients) has its ``root_path``."""
    path: str = scope["path"]
    root_path: str = scope.get(ROOT_PATH_KEY, scope.get("root_path", ""))
    if root_path and path.startswith(root_path) and path[len(root_path) :][:1] == "/":
        return path[len(root_path) :]
    return path


def for_graphql(scope: Scope) -> bool:
    """Whether a request is for the GraphQL endpoint, and so answered in GraphQL's shape.
    By its path alone: the edge answers before routing, and the endpoint is that one path
    (queries on GET and POST, subscriptions on its WebSocket) below the root path, with or
    without trailing slashes (the router redirects ``/graphql/`` there: its client is a
    GraphQL client)."""
    return graphql_path(app_path(scope))


def graphql_path(path: str) -> bool:
    """Whether ``path``, below the app's root path (:func:`app_path`), is the GraphQL
    endpoint's: :func:`for_graphql`, for a caller that has the path already."""
    return path.rstrip("/") == GRAPHQL_PATH


def graphql_error_response(
    status: int,
    message: str,
    code: str,
    headers: Mapping[str, str] | None = None,
    **extensions: object,
) -> Response:
    """``{"data": null, "errors": [{"message", "extensions": {"code", ...}}]}``: a request
    refused or failed before any field ran (GraphQL over HTTP, application/json). No
    Cache-Control of its own: the request middleware gives every error answer without one
    ``no-store`` (observability.requests, by orgql.asgi_headers.keep_out_of_caches), so a
    query over GET refused this way (a malformed ``variables``, a URL too long, a mutation)
    is not stored, and the same URL may be answered once the cause is gone."""
    error = {"message": message, "extensions": {"code": code, **extensions}}
    body = {"data": None, "errors": [error]}
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def refusal(
    scope: Scope,
    error: OrgqlError,
    status: int,
    graphql_code: str,
    headers: Mapping[str, str] | None = None,
    **extensions: object,
) -> Response:
    """``error`` answered with ``status`` to the request of ``scope``: a GraphQL error with
    ``graphql_code`` (and ``extensions``) on the GraphQL endpoint, else its errorModel."""
    if for_graphql(scope):
        return graphql_error_response(status, error.message, graphql_code, headers, **extensions)
    return error_response(error, status, headers)


def routing_refusal(scope: Scope, error: HTTPException) -> Response:
    """Starlette's ``error`` (an :class:`HTTPException` raised by a route or the app's router,
    orgql.routing) as the app answers it: no route has the path (404) or none takes the method
    (405, with ``Allow``) in the shape of the path asked, never Starlette's plain text. Any
    other status (StaticFiles' 401 of a file it may not read) as Starlette's
    ExceptionMiddleware answers it."""
    status = error.status_code
    if status not in (404, 405):
        if status in (204, 304):
            return Response(status_code=status, headers=error.headers)
        return PlainTextResponse(error.detail, status_code=status, headers=error.headers)
    headers = dict(error.headers or {})
    if "Allow" in headers:  # a set's order in Starlette: make it stable
        headers["Allow"] = ", ".join(sorted(headers["Allow"].split(", ")))
    graphql_code = METHOD_NOT_ALLOWED if status == 405 else "NOT_FOUND"
    return refusal(scope, routing_error(status), status, graphql_code, headers)


def query_refusal(scope: Scope) -> Response | None:
    """The 400 of an HTTP request whose query string is not UTF-8, on any path (REST's
    100002, GraphQL's BAD_REQUEST); None for any other request. Refused before anything
    reads the URL (ObserveRequests)."""
    error = unreadable_query(scope)
    if error is None:
        return None
    return refusal(scope, error, 400, BAD_REQUEST)
