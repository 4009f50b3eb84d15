"""Request bodies larger than ``ORGQL_MAX_BODY_BYTES`` get 413 on every route, before the
whole body is read (a declared Content-Length, or the bytes counted as they stream in): an
errorModel (100002), or on /graphql a GraphQL error (``BAD_REQUEST``, as its other unusable
bodies).

A request with a ``Content-Encoding`` other than ``identity`` gets 415 on every route, before
anything reads its body: orgql decodes no body, and one read as if it were not encoded (a
gzip stream parsed as JSON, or a plain body said to be gzip) is not what the client sent.
The same shapes, with the GraphQL code ``UNSUPPORTED_MEDIA_TYPE``.

LimitBody also bounds the body's time (408, :mod:`orgql.body_deadline`): one receive wrapper
per request counts the bytes and bounds the waits. A refusal while the body is read is raised
as a :class:`orgql.body_deadline.BodyRefused`, which the outermost middleware answers
(ObserveRequests, the one that sees every message sent)."""

from __future__ import annotations

import asyncio

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orgql.asgi_headers import header, header_values, without_body
from orgql.body_deadline import BodyDeadline, BodyRefused
from orgql.core.common.errors import Codes, OrgqlError
from orgql.edge_errors import BAD_REQUEST, refusal

#: The answer to a body whose client hung up before its end: nothing of it runs (the client
#: is gone and reads no answer; it is not the gateway's error either).
BODY_CUT_SHORT = "the request body ended before its end; send it again whole"


#: The GraphQL code of a request whose body is content-encoded (415).
UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"


def encoding_refusal(scope: Scope) -> ASGIApp | None:
    """The 415 of a request whose ``Content-Encoding`` (every line, each comma-separated
    coding, in any case) names a coding other than ``identity``; None when it names none."""
    codings = [
        coding.strip()
        for line in header_values(scope, b"content-encoding")
        for coding in line.split(",")
    ]
    refused = [coding for coding in codings if coding and coding.lower() != "identity"]
    if not refused:
        return None
    err = OrgqlError(
        Codes.INVALID_INPUT,
        f"Content-Encoding {refused[0][:40]!r} is not supported: send the body unencoded",
        "Content-Encoding",
    )
    return refusal(scope, err, 415, UNSUPPORTED_MEDIA_TYPE)


class _TooLarge(BodyRefused):
    """Past ``max_bytes`` (the name the server logs when the answer had started)."""


class LimitBody:
    """``max_bytes``: ORGQL_MAX_BODY_BYTES; ``seconds``: ORGQL_BODY_TIMEOUT_SECONDS."""

    def __init__(self, app: ASGIApp, max_bytes: int, seconds: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.seconds = seconds

    def _refusal(self, scope: Scope) -> Response:
        err = OrgqlError(
            Codes.INVALID_INPUT, f"the request body is larger than {self.max_bytes} bytes"
        )
        return refusal(scope, err, 413, BAD_REQUEST)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        encoded = encoding_refusal(scope)
        if encoded is not None:
            await encoded(scope, receive, send)
            return
        if without_body(scope):
            await self.app(scope, receive, send)
            return
        declared = header(scope, b"content-length") or ""
        if declared.isascii() and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refusal(scope)(scope, receive, send)
            return
        deadline = BodyDeadline(self.seconds)
        received = 0
        complete = False

        async def bounded_receive() -> Message:
            nonlocal received, complete
            if complete:  # after the body: waiting for a disconnect is not bounded here
                return await receive()
            task = asyncio.current_task()
            assert task is not None  # an ASGI app runs in a task
            cancelling = task.cancelling()
            timer = deadline.arm(task)
            try:
                message = await receive()
            except asyncio.CancelledError:
                if deadline.ended_wait(task, cancelling):
                    raise deadline.refused(scope) from None
                raise
            finally:
                timer.cancel()
            if message["type"] != "http.request":  # the client left
                complete = True
                return message
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise _TooLarge(self._refusal(scope))
            complete = not message.get("more_body", False)
            return message

        await self.app(scope, bounded_receive, send)
