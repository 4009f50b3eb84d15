"""Requests no HTTP client sends: straight to the ASGI app, as a server that lets any byte
through would hand them over (httpx percent-encodes a query string)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.types import Message


async def get_raw(
    app: Starlette,
    state: Mapping[str, Any],
    path: str,
    query_string: bytes,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> tuple[int, bytes]:
    """GET ``path`` with the raw ``query_string`` (and ``headers``): the status and body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query_string,
        "root_path": "",
        "headers": [(b"host", b"localhost"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("localhost", 80),
        "state": dict(state),
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])
