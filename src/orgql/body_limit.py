"""Request bodies larger than ``ORGQL_MAX_BODY_BYTES`` get 413 on every route, before the
whole body is read (a declared Content-Length, or the bytes counted as they stream in): an
errorModel (100002), or on /graphql a GraphQL error (``BAD_REQUEST``, as its other unusable
bodies)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orgql.asgi_headers import header, without_body
from orgql.core.common.errors import Codes, OrgqlError
from orgql.edge_errors import BAD_REQUEST, refusal

#: The answer to a body whose client hung up before its end: nothing of it runs (the client
#: is gone and reads no answer; it is not the gateway's error either).
BODY_CUT_SHORT = "the request body ended before its end; send it again whole"


class _TooLarge(BaseException):
    """BaseException: no handler's `except Exception` turns it into a 500 on its way out."""


class LimitBody:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _refusal(self, scope: Scope) -> ASGIApp:
        err = OrgqlError(
            Codes.INVALID_INPUT, f"the request body is larger than {self.max_bytes} bytes"
        )
        return refusal(scope, err, 413, BAD_REQUEST)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or without_body(scope):
            await self.app(scope, receive, send)
            return
        declared = header(scope, b"content-length") or ""
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refusal(scope)(scope, receive, send)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _TooLarge:
            if started:  # too late for an answer: end the connection
                raise
            await self._refusal(scope)(scope, receive, send)
