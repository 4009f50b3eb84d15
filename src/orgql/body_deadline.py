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


class BodyRefused(BaseException):
    """A body refused while it is read (too large: 413, orgql.body_limit; too slow: 408, here),
    carrying its ``answer``. The contract with ObserveRequests (observability.requests), the
    outermost middleware, which alone knows whether the response has started: it gives the
    answer when nothing was sent yet, else it raises the refusal on and the server ends the
    connection (too late for an answer), logging it under its subclass's name, which says
    which refusal it was. BaseException: no handler's ``except Exception`` turns it into a
    500 on its way out, and nothing runs on a body cut short."""

    def __init__(self, answer: Response) -> None:
        super().__init__()  # no args: the server logs an escaped one as it did (no answer)
        self.answer = answer


class _BodyTooSlow(BodyRefused):
    """The deadline passed (the name the server logs when the answer had started)."""


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

    def refused(self, scope: Scope) -> BodyRefused:
        """The refusal to raise when :meth:`ended_wait` says the deadline passed."""
        return _BodyTooSlow(request_timeout(scope, BODY_TOO_SLOW.format(seconds=self.seconds)))
