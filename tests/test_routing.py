"""The app's router answers every path as Starlette's scan of all its routes does."""

from __future__ import annotations

import pytest
from starlette.routing import BaseRoute, Mount, Route, Router, WebSocketRoute
from starlette.types import Message, Receive, Scope, Send

from orgql.routing import SegmentRouter


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


async def _answer(router: Router, method: str, path: str) -> tuple[int, bytes]:
    messages: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        messages.append(message)

    scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}
    await router.app(scope, receive, send)
    return messages[0]["status"], b"".join(m.get("body", b"") for m in messages[1:])


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

    assert await _answer(ours, method, path) == await _answer(starlette, method, path)


async def test_routes_added_later_are_tried() -> None:
    router = SegmentRouter([Route("/healthz", _Answering("healthz"))], redirect_slashes=False)
    assert (await _answer(router, "GET", "/later"))[0] == 404

    router.routes.insert(0, Route("/later", _Answering("later")))

    assert await _answer(router, "GET", "/later") == (200, b"later")
    assert await _answer(router, "GET", "/healthz") == (200, b"healthz")
