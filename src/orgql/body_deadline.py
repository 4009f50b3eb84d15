"""A request's whole body must arrive within ``ORGQL_BODY_TIMEOUT_SECONDS`` of its headers;
a client that trickles it gets 408 with ``Connection: close`` (the connection then ends).

One deadline for the whole body, not per chunk: a byte every few seconds cannot stretch it.
It bounds the waits for the body's parts in the one receive wrapper of a request, LimitBody's
(orgql.body_limit), which raises the refusal; waiting for a disconnect after the body is not
bounded. What the application does not wait for (a body sent after the answer) is bounded by
the server's protocol (:mod:`orgql.slow_clients`)."""

from __future__ import annotations

import asyncio

from starlette.responses import Response
from starlette.types import Scope

from orgql.edge_errors import REQUEST_TIMEOUT, refusal
from orgql.slow_clients import transport_error

BODY_TOO_SLOW = "the request body did not arrive within {seconds:g} seconds"


def request_timeout(scope: Scope, message: str) -> Response:
    """The 408 in the shape of the endpoint asked: a GraphQL error on /graphql, else the
    errorModel the server's own 408 has (errorCode "408", orgql.slow_clients)."""
    error = transport_error(408, message)
    return refusal(scope, error, 408, REQUEST_TIMEOUT, {"Connection": "close"})


class BodyDeadline:
    """The deadline of one request's body, ``seconds`` from its making (as the request enters
    the middlewares: its headers have just arrived).

    Each wait for a part of the body arms a timer at the deadline that cancels the waiting
    task (:meth:`arm`, disarmed by the caller when the wait ends), and :meth:`ended_wait` tells
    that cancellation apart from any other: what ``asyncio.timeout_at`` around the wait does,
    to the same effect, in about a third of its instructions (issue 16: its Timeout object and
    its two coroutine methods, per request)."""

    __slots__ = ("_expired", "_loop", "_when", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._loop = asyncio.get_running_loop()
        self._when = self._loop.time() + seconds
        self._expired = False

    def arm(self, task: asyncio.Task[object]) -> asyncio.TimerHandle:
        """The timer cancelling ``task``, about to wait for a part of the body, at the
        deadline (at once if it has passed: a part already there is still taken)."""
        # call_later, not call_at: uvloop's call_at is call_later behind a Python-level call.
        return self._loop.call_later(self._when - self._loop.time(), self._expire, task)

    def _expire(self, task: asyncio.Task[object]) -> None:
        self._expired = True
        task.cancel()

    def ended_wait(self, task: asyncio.Task[object], cancelling: int) -> bool:
        """Whether the cancellation ``task`` got while it waited is the deadline's own, which
        is then taken back (``Task.uncancel``); not when another came too (``cancelling``:
        the task's count of them before the wait), which goes on as Timeout lets it."""
        return self._expired and task.uncancel() <= cancelling

    def refusal(self, scope: Scope) -> Response:
        return request_timeout(scope, BODY_TOO_SLOW.format(seconds=self.seconds))
