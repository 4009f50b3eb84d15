"""The timeout of one GraphQL request over HTTP (ORGQL_GRAPHQL_TIMEOUT_SECONDS), shared by
the direct path's read and the pipeline's operations (graphql.asgi)."""

from __future__ import annotations

import asyncio
from types import TracebackType

from cross_web import HTTPException


class RequestTimedOut(HTTPException):
    """The request used up ORGQL_GRAPHQL_TIMEOUT_SECONDS."""

    def __init__(self, seconds: float) -> None:
        super().__init__(503, f"the request took longer than {seconds:g} seconds")


class RequestTimeout:
    """The request's timeout around a block (the direct path's read, the pipeline's
    operations): cancelled at ``deadline`` (the event loop's clock), RequestTimedOut (503
    TIMEOUT) raised then. A TimeoutError of the database driver's own raised in the block
    (ORGQL_DB_COMMAND_TIMEOUT_SECONDS, a server not answering) goes through as it is: the
    database's failure, answered 503 unavailable and logged as one warning with its reason
    (graphql.errors.unexpected_error_response), not the request's timeout.

    ``asyncio.timeout_at``'s way, written out here: the task cancelled by a timer at the
    deadline (at once when it is past), and that cancellation, when the block ends with it
    and no other was asked meanwhile (``Task.uncancel``), raised as the timeout. asyncio's
    Timeout behind this class cost 31 thousand instructions a request, where the timer's
    own scheduling and cancelling cost 8 (issue 16: 2% of a read of one organization). A
    plain context manager: entering and leaving await nothing."""

    __slots__ = ("_cancelling", "_expired", "_task", "_timer", "deadline", "seconds")

    def __init__(self, deadline: float, seconds: float) -> None:
        self.deadline = deadline
        self.seconds = seconds
        self._timer: asyncio.Handle | None = None
        self._expired = False

    def __enter__(self) -> None:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("RequestTimeout should be used inside a task")
        self._task = task
        self._cancelling = task.cancelling()
        self.reschedule(self.deadline)

    def reschedule(self, deadline: float) -> None:
        """The block cancelled at ``deadline`` instead (at once when it is past)."""
        loop = asyncio.get_running_loop()
        if self._timer is not None:
            self._timer.cancel()
        self.deadline = deadline
        if deadline <= loop.time():
            self._timer = loop.call_soon(self._expire)
        else:
            self._timer = loop.call_at(deadline, self._expire)

    def _expire(self) -> None:
        self._task.cancel()
        self._expired = True
        self._timer = None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        # The cancellation is the timer's when no other was asked while the block ran.
        if (
            self._expired
            and self._task.uncancel() <= self._cancelling
            and kind is asyncio.CancelledError
        ):
            raise RequestTimedOut(self.seconds) from None
