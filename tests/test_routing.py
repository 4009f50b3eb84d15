"""The app's router answers every path as Starlette's scan of all its routes does, and its
routing failures as Starlette's ExceptionMiddleware did with the app's handlers."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.exceptions import HTTPException
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route, Router, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orgql.edge_errors import routing_refusal
from orgql.routing import RoutedApp, SegmentRouter


class _Answering:
    """An ASGI app answering its name (an object: a Route takes it as the app it is)."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": self.name.encode()})


def _routes() -> list[BaseRoute]:
    """Fixed first segments, parameters in and after them, mounts (one of everything)."""
    return [
        Route("/", _Answering("root")),
        Route("/healthz", _Answering("healthz")),
        Route("/graphql", _Answering("graphql-post"), methods=["POST"]),
        WebSocketRoute("/graphql", _Answering("graphql-ws")),
        Route("/v1/{id}", _Answering("v1-id"), methods=["GET"]),
        Route("/v1/{id}", _Answering("v1-id-put"), methods=["PUT"]),
        Route("/files{name}", _Answering("files-name")),
        Mount("/ccadmin", app=_Answering("ccadmin")),
        Route("/{anything}/x", _Answering("anything-x")),
        Mount("/ccadmin/deep", app=_Answering("never: the mount before takes it")),
        Mount("", app=_Answering("whole-app")),
    ]


async def _answer(
    router: ASGIApp, method: str, path: str, **scope: Any
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The status, headers and body ``router`` answers; ``scope``: more of the request's."""
    messages: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        messages.append(message)

    request = {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}
    await router({**request, **scope}, receive, send)
    start, *body = messages
    return start["status"], start["headers"], b"".join(m.get("body", b"") for m in body)


PATHS = [
    "/",
    "",
    "/healthz",
    "/healthz/",
    "/graphql",
    "/v1/7",
    "/v1/7/",
    "/v1/",
    "/files.txt",
    "/files",
    "/ccadmin",
    "/ccadmin/",
    "/ccadmin/deep/x",
    "/other/x",
    "/other",
    "//x",
    "/healthz/x",
    # Starlette's patterns end in "$", which also matches before a final newline (an
    # encoded %0A): "/healthz\n" is /healthz's, "/\n" the root's.
    "/healthz\n",
    "/\n",
    "/graphql\n",
    "/v1/7\n",
    "/ccadmin\n",
    "/ccadmin/x\n",
    "/healthz\n/x",
    "/healthz\n\n",
    "/other/x\n",
    "\n",
]


@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE"])
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("without_the_whole_app_mount", [False, True])
async def test_the_answer_is_that_of_starlettes_scan(
    method: str, path: str, without_the_whole_app_mount: bool
) -> None:
    routes = _routes()[:-1] if without_the_whole_app_mount else _routes()
    starlette, ours = Router(routes, redirect_slashes=False), SegmentRouter(routes)
    ours.redirect_slashes = False

    assert await _answer(ours.app, method, path) == await _answer(starlette.app, method, path)


def _refusal_handler(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    return routing_refusal(request.scope, error)


#: What the app gave Starlette's ExceptionMiddleware before its router answered them itself.
HANDLERS = {404: _refusal_handler, 405: _refusal_handler}


@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE"])
@pytest.mark.parametrize("path", PATHS)
async def test_a_routing_failure_is_answered_as_the_exception_middleware_did(
    method: str, path: str
) -> None:
    """Inside an app (``app`` in the scope) Starlette raises its 404 and 405 for the
    ExceptionMiddleware to answer: the router answers them as the app's handlers did there."""
    routes = _routes()[:-1]
    starlette = ExceptionMiddleware(Router(routes, redirect_slashes=False), handlers=HANDLERS)
    ours = SegmentRouter(routes)
    ours.redirect_slashes = False

    expected = await _answer(starlette, method, path, app=object())
    assert await _answer(ours, method, path, app=object()) == expected


async def _raising(request: Request) -> Response:
    status = int(request.path_params["status"])
    raise HTTPException(status, headers={"Allow": "POST, GET"} if status == 405 else None)


@pytest.mark.parametrize("status", [404, 405, 400, 401, 304])
async def test_an_http_exception_a_function_endpoint_raises_is_answered_as_before(
    status: int,
) -> None:
    """Starlette's function endpoints looked for the app's handlers in the scope, which a
    parent app mounting this one could have named: the router answers for them."""
    routes = [Route("/raise/{status}", _raising)]
    starlette = ExceptionMiddleware(Router(routes, redirect_slashes=False), handlers=HANDLERS)
    ours = SegmentRouter(routes)
    ours.redirect_slashes = False
    parent_handlers = ({HTTPException: _refusal_handler}, {status: _refusal_handler})

    expected = await _answer(starlette, "GET", f"/raise/{status}", app=object())
    answer = await _answer(
        ours,
        "GET",
        f"/raise/{status}",
        app=object(),
        **{"starlette.exception_handlers": parent_handlers},
    )
    assert answer == expected


async def test_an_app_given_exception_handlers_refuses_to_start() -> None:
    """They would never run: the app has no ExceptionMiddleware."""
    app = RoutedApp(exception_handlers=HANDLERS)

    with pytest.raises(TypeError, match="no exception handlers"):
        await app({"type": "lifespan"}, _never, _never)


async def _never(*args: Any) -> Any:
    raise AssertionError("not reached")


def test_the_app_stack_has_no_exception_middleware() -> None:
    app = RoutedApp(routes=[Route("/healthz", _Answering("healthz"))])
    app.add_middleware(ExceptionMiddleware)  # one of its own (a test's) is kept

    stack, kinds = app.build_middleware_stack(), []
    while hasattr(stack, "app"):
        kinds.append(type(stack).__name__)
        stack = stack.app

    assert kinds == ["ServerErrorMiddleware", "ExceptionMiddleware"]
    assert stack == app.router.app


async def test_routes_added_later_are_tried() -> None:
    router = SegmentRouter([Route("/healthz", _Answering("healthz"))], redirect_slashes=False)
    assert (await _answer(router, "GET", "/later"))[0] == 404

    router.routes.insert(0, Route("/later", _Answering("later")))

    assert await _answer(router, "GET", "/later") == (200, [], b"later")
    assert await _answer(router, "GET", "/healthz") == (200, [], b"healthz")
