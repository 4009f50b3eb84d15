"""A real upstream financial service on loopback, for the HTTP adapter's tests (and the bench).

A small HTTP/1.1 server (asyncio streams) on 127.0.0.1 and an ephemeral port, serving the
contract of README.md ("Financial data sync"): ``GET /parties/{partyId}/customerAccounts``
with ``offset``, ``limit`` and ``businessUnitId``. ``behave`` decides, request by request,
whether to answer properly or to fail in one of the ways an upstream fails.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

#: "serve": the contract's answer; an int: that HTTP status; "truncate": the answer's headers
#: and half its body, then the connection closes; "hang": no answer at all; "malformed": a
#: 200 whose body is not JSON; "drop": the connection closes before any answer; "endless": a
#: 200 without a length whose body never ends (until the gateway closes the connection).
Behaviour = Literal["serve", "truncate", "hang", "malformed", "drop", "endless"] | int


@dataclass(frozen=True)
class Recorded:
    path: str
    query: dict[str, str]
    headers: dict[str, str]

    @property
    def offset(self) -> int:
        return int(self.query.get("offset", "0"))


@dataclass
class Upstream:
    #: partyId -> the contract's account objects, in order.
    parties: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    behave: Callable[[Recorded], Behaviour] = lambda request: "serve"
    requests: list[Recorded] = field(default_factory=list)
    #: When set, a served answer waits until this many requests have arrived.
    hold_until: int | None = None
    #: When set, awaited before each answer: the test acts while the gateway waits on us.
    during: Callable[[Recorded], Awaitable[None]] | None = None
    #: Set: a served answer holds ``parties`` as they were when the request arrived, however
    #: they change while ``during`` runs (an answer that takes its time to arrive).
    as_of_arrival: bool = False
    #: Set: a served answer's body is compressed by these codings, in order, and sent with
    #: ``Content-Encoding`` naming them (("gzip",), ("gzip", "gzip"), ...).
    encodings: tuple[str, ...] = ()
    #: Set: how a served answer's body is encoded instead (``Content-Encoding`` still names
    #: ``encodings``): a cut or corrupt stream, a bomb whatever the page.
    encode: Callable[[bytes], bytes] | None = None
    _server: asyncio.Server | None = None
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)

    async def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request = _parse(head)
            async with self._arrived:
                self.requests.append(request)
                self._arrived.notify_all()
            await self._answer(request, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _answer(self, request: Recorded, writer: asyncio.StreamWriter) -> None:
        arrived = self.page(request) if self.as_of_arrival else None
        if self.during is not None:
            await self.during(request)
        behaviour = self.behave(request)
        if behaviour == "hang":
            await self._stopping.wait()
            return
        if behaviour == "drop":
            return
        if behaviour == "endless":
            await self._endless(writer)
            return
        if behaviour == "malformed":
            _write(writer, 200, b'{"items": [{"accountId": "1", ')
        elif isinstance(behaviour, int):
            _write(writer, behaviour, b'{"error": "upstream failure"}')
        else:
            body = json.dumps(arrived if arrived is not None else self.page(request)).encode()
            if self.hold_until is not None:
                async with self._arrived:
                    await self._arrived.wait_for(
                        lambda: len(self.requests) >= (self.hold_until or 0)
                    )
            body, headers = _encoded(body, self.encodings, self.encode)
            if behaviour == "truncate":
                _write(writer, 200, body, cut=len(body) // 2, headers=headers)
            else:
                _write(writer, 200, body, headers=headers)
        await writer.drain()

    async def _endless(self, writer: asyncio.StreamWriter) -> None:
        """A JSON page's start, then blanks for as long as the gateway reads them."""
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
            b'{"items": ['
        )
        blanks = b" " * 65536
        while not self._stopping.is_set():
            writer.write(blanks)
            await writer.drain()  # ConnectionError once the gateway closed the connection

    def page(self, request: Recorded) -> dict[str, Any]:
        parts = request.path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != "parties" or parts[2] != "customerAccounts":
            return {"items": [], "hasMore": False}
        accounts = self.parties.get(unquote(parts[1]), [])
        unit = request.query.get("businessUnitId")
        if unit is not None:
            accounts = [a for a in accounts if str(a.get("businessUnitId")) == unit]
        offset = request.offset
        limit = int(request.query.get("limit", "100"))
        return {
            "items": accounts[offset : offset + limit],
            "hasMore": offset + limit < len(accounts),
        }


def _parse(head: bytes) -> Recorded:
    lines = head.decode("latin-1").split("\r\n")
    _, target, _ = lines[0].split(" ", 2)
    url = urlsplit(target)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return Recorded(url.path, dict(parse_qsl(url.query)), headers)


_REASONS = {200: "OK", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests"}


def _encoded(
    body: bytes, encodings: tuple[str, ...], encode: Callable[[bytes], bytes] | None
) -> tuple[bytes, str]:
    """``body`` compressed by ``encodings`` (or ``encode``: Upstream.encode), and the headers
    saying so."""
    if encode is not None:
        body = encode(body)
    else:
        for coding in encodings:
            body = gzip.compress(body) if coding == "gzip" else zlib.compress(body)
    return body, "".join(f"Content-Encoding: {coding}\r\n" for coding in encodings)


def _write(
    writer: asyncio.StreamWriter,
    status: int,
    body: bytes,
    *,
    cut: int | None = None,
    headers: str = "",
) -> None:
    reason = _REASONS.get(status, "Server Error" if status >= 500 else "Status")
    writer.write(
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n{headers}"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode("latin-1")
    )
    writer.write(body if cut is None else body[:cut])


# ---------------------------------------------------------------- contract builders


def address(external_id: str, **values: Any) -> dict[str, Any]:
    """A contract address; ``values`` override the complete default (city=None drops it)."""
    fields: dict[str, Any] = {
        "externalId": external_id,
        "address1": f"{external_id} Main Street",
        "address2": None,
        "address3": None,
        "city": "Boston",
        "state": "MA",
        "postalCode": "02110",
        "country": "US",
        "county": None,
    }
    fields.update(values)
    return fields


def site(
    external_id: str,
    *uses: tuple[str, bool],
    site_id: str | None = None,
    **values: Any,
) -> dict[str, Any]:
    """An account site; ``uses`` are (purpose, primary) pairs such as ("BILL_TO", True)."""
    return {
        "siteId": site_id or f"site-{external_id}",
        "uses": [{"purpose": purpose, "primary": primary} for purpose, primary in uses],
        "address": address(external_id, **values),
    }


def account(
    account_id: str, *sites: dict[str, Any], business_unit_id: int | None = 300000001
) -> dict[str, Any]:
    return {
        "accountId": account_id,
        "accountNumber": account_id.removeprefix("ca"),
        "accountName": f"Account {account_id}",
        "businessUnitId": business_unit_id,
        "sites": list(sites),
    }


BILL_TO = ("BILL_TO", False)
PRIMARY_BILL_TO = ("BILL_TO", True)
SHIP_TO = ("SHIP_TO", False)
PRIMARY_SHIP_TO = ("SHIP_TO", True)
