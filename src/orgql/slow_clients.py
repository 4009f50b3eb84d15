"""uvicorn's HTTP protocols with bounds on slow clients (``orgql serve`` runs these).

uvicorn waits for a request's headers, and for a body that the application no longer reads,
as long as bytes keep coming: a client sending one byte every few seconds holds its
connection (and a slot of the server) for ever. Here:

- **headers**: a request's headers must be complete ``ORGQL_HEADER_TIMEOUT_SECONDS`` after
  its first byte (or after the connection opened, for the first request); else the answer is
  408 with ``Connection: close`` and the connection closes. A connection that opened but sent
  nothing is closed without an answer, as uvicorn ends an idle keep-alive connection (a 408
  there could be read as the answer to a request the client sends just then).
- **header size**: a request line and headers larger than ``ORGQL_MAX_HEADER_BYTES`` answer
  431 and the connection closes (httptools alone keeps any amount; h11 has its own limit).
- **reading the answer**: a client whose unread answer keeps the send buffer full for
  ``ORGQL_WRITE_TIMEOUT_SECONDS`` is disconnected (uvicorn waits for it for ever).
- **body**: a request's body must be complete ``ORGQL_BODY_TIMEOUT_SECONDS`` after its
  headers. The application answers 408 while it waits for the body
  (:mod:`orgql.body_deadline`); here the connection ends after the answer, and one whose
  answer was already sent closes then.

The 408 and 431 of a head are answered here, on the transport, in the shape of the endpoint
asked (orgql.edge_errors) once the request line has been read: a GraphQL error on /graphql.

Between requests, uvicorn's keep-alive timeout (5 s) bounds an idle connection. The bounds
come from the settings in the app's lifespan state. Both of uvicorn's parsers are covered:
httptools (picked when installed) and h11.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

import h11
import httptools
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from orgql.core.common.errors import ErrorKind, OrgqlError
from orgql.edge_errors import BAD_REQUEST, REQUEST_TIMEOUT, refusal
from orgql.settings import Settings

logger = logging.getLogger("orgql.http")

HEADERS_TOO_SLOW = "the request headers did not arrive within {seconds:g} seconds"
HEADERS_TOO_LARGE = "the request line and headers are larger than {limit} bytes"


def transport_error(status: int, message: str) -> OrgqlError:
    """A transport refusal: no OCC code names it, so the status is the code, as for routing
    errors."""
    return OrgqlError(str(status), message, None, ErrorKind.INVALID)


#: The GraphQL code of each refusal of a head: too slow, too large (unusable, as a body too
#: large is: edge_errors.BAD_REQUEST).
GRAPHQL_CODES = {408: REQUEST_TIMEOUT, 431: BAD_REQUEST}


def error_body(status: int, message: str, path: str | None, root_path: str = "") -> bytes:
    """The body of a transport refusal, in the shape of the endpoint asked (orgql.edge_errors):
    the request's head is not parsed whole, but once its request line is, its ``path`` is
    known. Without it (None: the request line itself is what is incomplete or too large) the
    errorModel, the shape of every other path."""
    scope = {"type": "http", "path": root_path + (path or ""), "root_path": root_path}
    error = transport_error(status, message)
    return bytes(refusal(scope, error, status, GRAPHQL_CODES[status]).body)


class _SlowClientBounds:
    """The clocks, shared by both protocols. Each protocol says when a request begins, when
    its headers and its body are complete, and whether bytes of a request are pending."""

    # Set by the protocol classes' __init__ (uvicorn's attributes).
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    app_state: dict[str, Any]
    server_state: Any
    cycle: Any
    root_path: str

    def _init_bounds(self) -> None:
        settings = self.app_state.get("settings")
        if not isinstance(settings, Settings):  # an app without our lifespan: the defaults
            settings = Settings.model_construct()
        self.header_timeout = settings.header_timeout_seconds
        self.body_timeout = settings.body_timeout_seconds
        self.max_header_bytes = settings.max_header_bytes
        self.write_timeout = settings.write_timeout_seconds
        self._write_clock: asyncio.TimerHandle | None = None
        self._write_buffered = 0  # bytes buffered when the write clock was last armed
        self._header_clock: asyncio.TimerHandle | None = None
        self._body_clock: asyncio.TimerHandle | None = None

    def _request_pending(self) -> bool:
        """Bytes of a request whose headers are not complete have arrived."""
        raise NotImplementedError

    def _pending_path(self) -> str | None:
        """The path of the request whose headers are not complete, once its request line has
        been read (as uvicorn decodes it); else None."""
        raise NotImplementedError

    def _start_header_clock(self) -> None:
        if self._header_clock is None:
            self._header_clock = self.loop.call_later(self.header_timeout, self._headers_late)

    def _stop_header_clock(self) -> None:
        if self._header_clock is not None:
            self._header_clock.cancel()
            self._header_clock = None

    def _start_body_clock(self) -> None:
        if self._body_clock is None:
            self._body_clock = self.loop.call_later(self.body_timeout, self._body_late)

    def _stop_body_clock(self) -> None:
        if self._body_clock is not None:
            self._body_clock.cancel()
            self._body_clock = None

    def _stop_clocks(self) -> None:
        self._stop_header_clock()
        self._stop_body_clock()
        if self._write_clock is not None:
            self._write_clock.cancel()
            self._write_clock = None

    # The transport calls these when its buffer passes its high and low water marks.
    def pause_writing(self) -> None:
        super().pause_writing()  # type: ignore[misc]
        if self._write_clock is None:
            self._arm_write_clock()

    def _arm_write_clock(self) -> None:
        self._write_buffered = self.transport.get_write_buffer_size()
        self._write_clock = self.loop.call_later(self.write_timeout, self._write_stalled)

    def resume_writing(self) -> None:
        if self._write_clock is not None:
            self._write_clock.cancel()
            self._write_clock = None
        super().resume_writing()  # type: ignore[misc]

    def _write_stalled(self) -> None:
        """The client has read nothing of its answer for the bound: drop the connection.
        abort, not close: close would wait for a buffer this client never drains. A client
        that read some of it meanwhile (the buffer shrank) is slow, not stalled: the clock
        starts again (a large answer goes to the transport in one write)."""
        self._write_clock = None
        if self.transport.get_write_buffer_size() < self._write_buffered:
            self._arm_write_clock()
            return
        message = f"the client read none of its answer for {self.write_timeout:g} seconds"
        logger.info("connection dropped: %s", message)
        self.transport.abort()

    def _headers_late(self) -> None:
        self._header_clock = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            # A pipelined request trickles in behind one being answered: end after the answer.
            cycle.keep_alive = False
            return
        if self._request_pending():
            self._refuse(408, HEADERS_TOO_SLOW.format(seconds=self.header_timeout))
        self.transport.close()

    def _body_late(self) -> None:
        self._body_clock = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is None or cycle.response_complete:
            # Answered without reading the whole body, which still trickles in.
            self.transport.close()
        else:
            # The application answers (408 if it waits for the body): the connection then ends.
            cycle.keep_alive = False

    def _refuse(self, status: int, message: str) -> None:
        """Answer a request that was never parsed whole, straight on the transport, and close."""
        self._stop_clocks()
        request_id = uuid.uuid4().hex
        body = error_body(status, message, self._pending_path(), self.root_path)
        headers = [
            *self.server_state.default_headers,
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
            (b"x-request-id", request_id.encode()),
        ]
        lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}".encode()]
        lines.extend(name + b": " + value for name, value in headers)
        self.transport.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        self.transport.close()
        logger.info("%s: %s", status, message, extra={"request_id": request_id, "status": status})


class BoundedHttpToolsProtocol(_SlowClientBounds, HttpToolsProtocol):
    """httptools calls back at each step (message begin, headers complete, message
    complete); after each read, the clocks run for what is still incomplete. A request that
    arrives whole in one read, the common case, arms no clock at all."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_bounds()
        #: A request has begun and its headers are not complete.
        self._pending = False
        #: A request's headers are complete and its body is not.
        self._in_body = False
        #: Bytes of the pending request's head in the reads after the one it began in.
        self._head_bytes = 0

    def _request_pending(self) -> bool:
        return self._pending

    def _pending_path(self) -> str | None:
        """httptools says nothing when the request line ends: its first header complete
        (uvicorn's ``headers``) is the sign that ``url`` is whole. A head whose first header
        is what is too large or too slow is answered as one without a path."""
        if not self._pending or not self.headers:
            return None
        try:
            path: bytes = httptools.parse_url(self.url).path
        except httptools.HttpParserInvalidURLError:
            return None
        return _decoded(path)

    def data_received(self, data: bytes) -> None:
        pending_before = self._pending
        super().data_received(data)
        if self.transport.is_closing():
            return
        if self._in_body:
            self._start_body_clock()
        if not self._pending:
            self._head_bytes = 0
            return
        self._start_header_clock()
        # httptools keeps a request's line and headers, however long, until they end. The
        # read a request begins in is not counted (it may end another request's body): a
        # head is bounded by the limit plus one read (256 KiB).
        if pending_before:
            self._head_bytes += len(data)
        if self._head_bytes > self.max_header_bytes:
            cycle = self.cycle
            if cycle is not None and not cycle.response_complete:
                cycle.keep_alive = False  # behind a request being answered: end after it
                self.flow.pause_reading()
                return
            self._refuse(431, HEADERS_TOO_LARGE.format(limit=self.max_header_bytes))

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_header_clock()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_clocks()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._pending = True

    def on_headers_complete(self) -> None:
        self._pending = False
        self._in_body = True
        self._stop_header_clock()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_body = False
        self._stop_body_clock()
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        self._stop_clocks()
        super().handle_websocket_upgrade()


class BoundedH11Protocol(_SlowClientBounds, H11Protocol):
    """h11 has no callbacks: after each batch of events its state for the client says where
    the request is (IDLE: before its headers, SEND_BODY: in its body)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_bounds()

    def _request_pending(self) -> bool:
        data, _closed = self.conn.trailing_data
        return self.conn.their_state is h11.IDLE and bool(data)

    def _pending_path(self) -> str | None:
        """h11 parses a head only when it is whole: its request line is read here, from what
        h11 holds, once that line has ended."""
        data, _closed = self.conn.trailing_data
        line, ended, _rest = bytes(data).partition(b"\r\n")
        parts = line.split(b" ")
        if not ended or len(parts) != 3:
            return None
        return _decoded(parts[1].partition(b"?")[0])

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_header_clock()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_clocks()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self.transport.is_closing():
            self._stop_clocks()
            return
        state = self.conn.their_state
        if state is h11.IDLE:
            if self._request_pending():
                self._start_header_clock()
        elif state is h11.SEND_BODY:
            self._stop_header_clock()
            self._start_body_clock()
        else:
            self._stop_clocks()

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        self._stop_clocks()
        super().handle_websocket_upgrade(event)


def _decoded(raw_path: bytes) -> str | None:
    """A request target's path as uvicorn hands it to the app (percent-decoded); None for one
    that is not ASCII."""
    try:
        return unquote(raw_path.decode("ascii"))
    except UnicodeDecodeError:
        return None


#: The protocol class for uvicorn's ``http=`` by parser: uvicorn itself picks httptools
#: when it is installed (it is a dependency).
PROTOCOLS: dict[str, type[asyncio.Protocol]] = {
    "httptools": BoundedHttpToolsProtocol,
    "h11": BoundedH11Protocol,
}
