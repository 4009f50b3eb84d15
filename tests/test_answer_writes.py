"""An answer of known length leaves in one write, its head joined to its body (two writes
were two packets for every small answer, issue 16); a streamed answer's head leaves at once.

A real uvicorn server on loopback runs with orgql's httptools protocol; its transport is
recorded where the protocol's writes reach it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from starlette.types import Receive, Scope, Send

from orgql.slow_clients import JOIN_AT_MOST, PROTOCOLS, BoundedHttpToolsProtocol
from test_slow_clients import running

GUARD = 10.0
#: What reached the socket's transport, write by write.
writes: list[bytes] = []


class _Recorded:
    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport

    def write(self, data: bytes) -> None:
        writes.append(bytes(data))
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class RecordedProtocol(BoundedHttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_Recorded(transport))  # type: ignore[arg-type]


LARGE = b"x" * (JOIN_AT_MOST + 1)
#: The streamed answer's part waits for this (made by its test, on its loop).
STREAM: dict[str, asyncio.Event] = {}


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await receive()
        await send({"type": "lifespan.startup.complete"})
        await receive()
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["path"] == "/stream":  # no Content-Length: chunked, the first part comes late
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await STREAM["go"].wait()
        await send({"type": "http.response.body", "body": b"late"})
        return
    body = LARGE if scope["path"] == "/large" else b"hello"
    headers = [(b"content-length", str(len(body)).encode()), (b"content-type", b"text/plain")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@asynccontextmanager
async def server() -> AsyncIterator[int]:
    assert PROTOCOLS["httptools"] is BoundedHttpToolsProtocol
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, http=RecordedProtocol, lifespan="on", log_config=None
    )
    async with running(config) as serving:
        yield serving.servers[0].sockets[0].getsockname()[1]


async def exchange(port: int, request: bytes, length: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), GUARD)
    body = await asyncio.wait_for(reader.readexactly(length), GUARD)
    writer.close()
    return head + body


async def test_an_answer_of_known_length_leaves_in_one_write() -> None:
    writes.clear()
    async with server() as port:
        answer = await exchange(port, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 5)

    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert answer.endswith(b"\r\ncontent-length: 5\r\ncontent-type: text/plain\r\n\r\nhello")
    assert writes == [answer]


async def test_a_large_body_follows_its_head_uncopied() -> None:
    writes.clear()
    async with server() as port:
        answer = await exchange(port, b"GET /large HTTP/1.1\r\nHost: a\r\n\r\n", len(LARGE))

    head, _, body = answer.partition(b"\r\n\r\n")
    assert body == LARGE
    assert writes == [head + b"\r\n\r\n", LARGE]


async def test_the_head_of_an_answer_to_head_leaves_alone() -> None:
    writes.clear()
    async with server() as port:
        answer = await exchange(port, b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", 0)

    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert answer.endswith(b"\r\ncontent-length: 5\r\ncontent-type: text/plain\r\n\r\n")
    assert writes == [answer]


async def test_a_streamed_answer_s_head_leaves_before_its_first_part() -> None:
    writes.clear()
    STREAM["go"] = go = asyncio.Event()
    async with server() as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /stream HTTP/1.1\r\nHost: a\r\n\r\n")
        # The part waits for the head to arrive: a head held back would never arrive.
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), GUARD)
        go.set()
        body = await asyncio.wait_for(reader.readuntil(b"0\r\n\r\n"), GUARD)
        writer.close()

    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"transfer-encoding: chunked\r\n" in head
    assert body == b"4\r\nlate\r\n0\r\n\r\n"
    assert writes == [head, b"4\r\nlate\r\n0\r\n\r\n"]
