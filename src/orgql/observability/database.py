"""When the database is unavailable: which failures mean it, and who gets told.

An engine listener (``handle_error``) marks the current request as having lost the
database; the request middleware then answers 503 instead of the transport's generic 500
(REST) or masked error (GraphQL). SQLAlchemy itself invalidates the pool on a disconnect,
so the next checkout opens fresh connections: the gateway recovers without a restart.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass
class Observation:
    """What one request did, filled in as it runs; read by logs and metrics at its end."""

    request_id: str
    transport: str
    operation: str | None = None
    #: OCC codes (or "internal") of the errors the caller was shown, in order.
    error_codes: list[str] = field(default_factory=list)
    #: Set when a database operation failed because the server was unreachable.
    database_unavailable: str | None = None


current_observation: ContextVar[Observation | None] = ContextVar("orgql_observation", default=None)


def unavailability(error: BaseException) -> str | None:
    """A short reason when ``error`` means the database is unreachable, else None."""
    if isinstance(error, PoolTimeoutError):
        return "no database connection became free in time"
    if isinstance(error, TimeoutError | asyncio.TimeoutError):
        return "the database did not answer in time"
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return "the connection to the database was lost"
    original = error.orig if isinstance(error, DBAPIError) else error
    if isinstance(original, OSError | ConnectionError):
        return "the database refused or dropped the connection"
    name = type(original).__name__
    if name in _ASYNCPG_UNAVAILABLE:
        return "the database is not accepting connections"
    cause = error.__cause__
    return unavailability(cause) if cause is not None and cause is not error else None


# asyncpg's names (matched by name: the dialect wraps them in its own adapter classes).
_ASYNCPG_UNAVAILABLE = frozenset(
    {
        "CannotConnectNowError",
        "ConnectionDoesNotExistError",
        "ConnectionFailureError",
        "InterfaceError",
        "AdminShutdownError",
        "CrashShutdownError",
        "TooManyConnectionsError",
    }
)


def _on_error(context: ExceptionContext) -> None:
    observation = current_observation.get()
    if observation is None:
        return
    if not isinstance(context.original_exception, Exception):
        # CancelledError (a BaseException): SQLAlchemy calls the cancelled statement's
        # connection lost (and drops it), but the request cancelled it, not the database.
        return
    reason = "the connection to the database was lost" if context.is_disconnect else None
    reason = reason or unavailability(context.original_exception)
    if reason is not None and observation.database_unavailable is None:
        observation.database_unavailable = reason


def watch(engine: AsyncEngine) -> None:
    """Report ``engine``'s connection failures to the request that suffered them."""
    if not event.contains(engine.sync_engine, "handle_error", _on_error):
        event.listen(engine.sync_engine, "handle_error", _on_error)


def unwatch(engine: AsyncEngine) -> None:
    if event.contains(engine.sync_engine, "handle_error", _on_error):
        event.remove(engine.sync_engine, "handle_error", _on_error)


def note_failure(error: BaseException) -> None:
    """Transports call this with the unexpected errors they mask: connection failures that
    never reached the engine's events (refused connects, pool timeouts) mark the request."""
    observation = current_observation.get()
    if observation is None or observation.database_unavailable is not None:
        return
    observation.database_unavailable = unavailability(error)
