"""A request's whole body must arrive within ``ORGQL_BODY_TIMEOUT_SECONDS`` of its headers;
a client that trickles it gets 408 with ``Connection: close`` (the connection then ends).

One deadline for the whole body, not per chunk: a byte every few seconds cannot stretch it.
What the application does not wait for (a body sent after the answer) is bounded by the
server's protocol (:mod:`orgql.slow_clients`)."""

from __future__ import annotations

import asyncio

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orgql.asgi_headers import without_body
from orgql.edge_errors import REQUEST_TIMEOUT, refusal
from orgql.slow_clients import transport_error

BODY_TOO_SLOW = "the request body did not arrive within {seconds:g} seconds"


class _BodyTooSlow(BaseException):
    """BaseException: no handler's ``except Exception`` turns it into a 500 on its way out,
    and nothing runs on a body cut short."""


def request_timeout(scope: Scope, message: str) -> Response:
    """The 408 in the shape of the endpoint asked: a GraphQL error on /graphql, else the
    errorModel the server's own 408 has (errorCode "408", orgql.slow_clients)."""
    error = transport_error(408, message)
    return refusal(scope, error, 408, REQUEST_TIMEOUT, {"Connection": "close"})


class BodyDeadline:
    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or without_body(scope):
            await self.app(scope, receive, send)
            return
        deadline = asyncio.get_running_loop().time() + self.seconds
        complete = False
        started = False

        async def bounded_receive() -> Message:
            nonlocal complete
            if complete:  # after the body: waiting for a disconnect is not bounded here
                return await receive()
            bound = asyncio.timeout_at(deadline)
            try:
                async with bound:
                    message = await receive()
            except TimeoutError:
                if bound.expired():
                    raise _BodyTooSlow from None
                raise
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, bounded_receive, tracked_send)
        except _BodyTooSlow:
            if started:  # too late for an answer: the server ends the connection
                raise
            message = BODY_TOO_SLOW.format(seconds=self.seconds)
            await request_timeout(scope, message)(scope, receive, send)
