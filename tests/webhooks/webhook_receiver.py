"""A real webhook receiver on loopback: an HTTP/1.1 server (asyncio streams) on 127.0.0.1
and an ephemeral port that records every POST and answers what ``behave`` says."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DRIP_BYTES = 1000


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def document(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    #: The status to answer a request with (it is recorded first).
    behave: Callable[[Received], int] = lambda received: 200
    received: list[Received] = field(default_factory=list)
    #: Headers added to every answer (a redirect's Location).
    answer_headers: dict[str, str] = field(default_factory=dict)
    #: When set, answers wait until it is set (a receiver that is slow to answer).
    hold: asyncio.Event | None = None
    #: When set, answers drip: a header byte every ``drip`` seconds, each in time for a
    #: per-read timeout, the whole answer never (bounded at DRIP_BYTES).
    drip: float | None = None
    _server: asyncio.Server | None = None
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}/hooks"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def wait_for(self, count: int) -> None:
        """Until ``count`` requests have arrived (bounded: a missing one fails the test)."""
        async with asyncio.timeout(10), self._arrived:
            await self._arrived.wait_for(lambda: len(self.received) >= count)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            request_line, *lines = head.split("\r\n")
            headers = {
                name.strip().lower(): value.strip()
                for name, _, value in (line.partition(":") for line in lines if line)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            received = Received(request_line.split(" ")[1], headers, body)
            status = self.behave(received)
            async with self._arrived:
                self.received.append(received)
                self._arrived.notify_all()
            if self.hold is not None:
                await self.hold.wait()
            if self.drip is not None:
                writer.write(f"HTTP/1.1 {status} X\r\nx-drip: ".encode())
                for _ in range(DRIP_BYTES):
                    writer.write(b"a")
                    await writer.drain()
                    await asyncio.sleep(self.drip)
            extra = "".join(f"{name}: {value}\r\n" for name, value in self.answer_headers.items())
            head = f"HTTP/1.1 {status} X\r\n{extra}content-length: 2\r\nconnection: close\r\n"
            writer.write(f"{head}\r\nok".encode())
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
