"""When the database is unavailable, or cancelled a statement that waited or ran too long:
which failures mean it, and who gets told.

An engine listener (``handle_error``) marks the current request as having lost the
database; the request middleware then answers 503 instead of the transport's generic 500
(REST) or masked error (GraphQL). SQLAlchemy itself invalidates the pool on a disconnect
of its own statements, and the engine replaces at checkout a pooled connection the server
closed (db.engine.make_engine), so the next checkouts open fresh connections: the gateway
recovers without a restart.
"""

from __future__ import annotations

import errno
import logging
import socket
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import FrameType

import asyncpg
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
    #: Set when the server cancelled a statement of the request (statement or lock timeout).
    statement_cancelled: str | None = None
    #: Which execution path answered a GraphQL operation ("sql_plan", "compiled",
    #: "resolvers"; graphql.execution.paths), and why not a faster one when it fell back.
    execution_path: str | None = None
    fallback_reason: str | None = None
    #: A query answered directly, without strawberry's request pipeline (a document the
    #: SQL plans answered before: graphql.execution.direct).
    direct: bool = False
    #: A GraphQL mutation field of the request committed its transaction (:func:`note_commit`):
    #: its answer reports what committed, and no 503 replaces it (observability.requests).
    #: Not the GraphQL context's count of its commits (graphql.context.Context.commits):
    #: this one is read where no context is at hand (see :func:`note_commit`).
    mutation_committed: bool = False


current_observation: ContextVar[Observation | None] = ContextVar("orgql_observation", default=None)

#: :func:`unavailability`'s reason when the one connection a statement ran on was lost (the
#: server ended it, or it broke): the pool's other connections, or a new one, may answer.
CONNECTION_LOST = "the connection to the database was lost"
#: Its reason when the driver waited past its bound: ORGQL_DB_CONNECT_TIMEOUT_SECONDS for
#: a new connection, ORGQL_DB_COMMAND_TIMEOUT_SECONDS for a statement's answer.
NO_ANSWER = "the database did not answer in time"


def unavailability(error: BaseException) -> str | None:
    """A short reason when ``error`` means the database is unreachable, else None.

    Precise on purpose, both ways. A statement the driver refused (asyncpg's InterfaceError
    for more than 32,767 parameters, say) or the server rejected is our bug or the caller's,
    not an outage, and must not be answered "retry later". And an ``OSError`` or a
    ``TimeoutError`` counts only when the driver raised it (:func:`_from_driver`): one of
    our own code's (a file it reads missing, another service refusing or silent, a bound of
    ours expiring) is a bug, to be answered 500 and logged with its traceback. Nor does every
    one the driver raised: it reads files too (``sslrootcert``: a CA file missing or
    unreadable is a configuration bug); only a failure of the network counts
    (:func:`_network_failure`)."""
    if isinstance(error, PoolTimeoutError):
        return "no database connection became free in time"
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return CONNECTION_LOST
    original = error.orig if isinstance(error, DBAPIError) else error
    if isinstance(original, TimeoutError) and _from_driver(original):
        return NO_ANSWER
    if isinstance(original, OSError) and _network_failure(original) and _from_driver(original):
        return "the database refused or dropped the connection"
    state = _sqlstate(original)
    if state is not None and (state.startswith("08") or state in _UNAVAILABLE_STATES):
        return "the database is not accepting connections"
    if type(original).__name__ == "InterfaceError" and "connection is closed" in str(original):
        return CONNECTION_LOST  # SQLAlchemy's asyncpg rule
    cause = error.__cause__
    return unavailability(cause) if cause is not None and cause is not error else None


#: The errnos of a socket that found no server, or lost it: the network or the server's host
#: unreachable or down, the connection refused, reset, aborted or timed out, the address
#: unassignable (the local ports used up).
_NETWORK_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EPIPE,
        errno.ENOTCONN,
        errno.ETIMEDOUT,
        errno.EHOSTUNREACH,
        errno.EHOSTDOWN,
        errno.ENETUNREACH,
        errno.ENETDOWN,
        errno.ENETRESET,
        errno.EADDRNOTAVAIL,
    }
)

#: How the event loop (asyncio's and uvloop's alike) words the one error, without an errno,
#: of a connect to a name whose every address failed, each in its own words.
_EVERY_ADDRESS_FAILED = "Multiple exceptions: "


def _network_failure(error: OSError) -> bool:
    """Whether ``error`` is the network's failure (the server refused, unreachable, gone, its
    name not resolved, no answer in time), not a file's or a certificate's: a
    ``ConnectionError``, ``socket.gaierror``, ``TimeoutError``, or an ``OSError`` of a
    network errno (:data:`_NETWORK_ERRNOS`) or of every address of a name failing. And the
    file missing of a Unix-domain socket the driver connects to (``host=/run/postgresql``):
    the server that makes it is not running."""
    if isinstance(error, ConnectionError | socket.gaierror | TimeoutError):
        return True
    if error.errno is None:
        return str(error).startswith(_EVERY_ADDRESS_FAILED)
    if error.errno == errno.ENOENT:
        return _walk(error).unix_connect
    return error.errno in _NETWORK_ERRNOS


def _from_driver(error: BaseException) -> bool:
    """Whether ``error`` came up through asyncpg: the driver raised it, or let it through
    from the socket it reads (a refused connect, a timeout on its wait for the server).
    Its traceback tells, not its class: an ``OSError`` looks the same from anywhere."""
    return _walk(error).from_driver


@dataclass(frozen=True)
class _Walk:
    """What an error's traceback tells: whether it came up through the driver, whether it
    was raised while the driver opened a connection (:func:`_connecting`), and whether while
    the event loop connected a Unix-domain socket (:func:`_network_failure`)."""

    from_driver: bool
    connecting: bool
    unix_connect: bool


#: The attribute an error's :class:`_Walk` is remembered in. A failure that found no
#: connection is raised again for every later field of the request (graphql.context), its
#: traceback longer each time, and classified again each time: walked once, the hundredth
#: field costs what the first did, not a walk of a hundred raises.
_WALKED = "_orgql_walk"


def _walk(error: BaseException) -> _Walk:
    """``error``'s traceback, walked on first asking. Frames are only ever added on its
    caller's side (raised again, it keeps the frames it came up through), so the answer
    stays true."""
    walked = getattr(error, _WALKED, None)
    if isinstance(walked, _Walk):
        return walked
    from_driver = connecting = unix_connect = False
    for frame in _frames(error):
        from_driver = from_driver or _is_driver(frame)
        connecting = connecting or frame.f_code is _CONNECT
        # By name: asyncio's method and uvloop's (compiled, its frame named alike).
        unix_connect = unix_connect or frame.f_code.co_name == "create_unix_connection"
    walked = _Walk(from_driver, connecting, unix_connect)
    if error.__traceback__ is not None:  # raised: its frames are known
        setattr(error, _WALKED, walked)
    return walked


def _is_driver(frame: FrameType) -> bool:
    module = frame.f_globals.get("__name__")
    return isinstance(module, str) and (module == "asyncpg" or module.startswith("asyncpg."))


def _frames(error: BaseException) -> Iterator[FrameType]:
    """The frames ``error`` was raised in and went up through, to where it was caught."""
    traceback = error.__traceback__
    while traceback is not None:
        yield traceback.tb_frame
        traceback = traceback.tb_next


#: SQLSTATEs of a server that is going away or full (class 08, connection exceptions, too):
#: admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections.
_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03", "53300"})


def statement_cancelled(error: BaseException) -> str | None:
    """A short reason when the server cancelled the statement for waiting or running too
    long (statement_timeout, lock_timeout: SQLSTATE 57014, 55P03) or to resolve a conflict
    with a concurrent transaction (a deadlock, a serialization failure: 40P01, 40001), else
    None. The database is up; the request may succeed when retried, once the other
    transaction is done."""
    original = error.orig if isinstance(error, DBAPIError) else error
    state = _sqlstate(original)
    if state == "57014":
        return "a statement ran longer than the database's statement timeout"
    if state == "55P03":
        return "a lock the request needs was held by another transaction for too long"
    if state == "40P01":
        return "the database broke a deadlock with a concurrent transaction"
    if state == "40001":
        return "a concurrent transaction changed what the request read"
    cause = error.__cause__
    return statement_cancelled(cause) if cause is not None and cause is not error else None


def expected_failure(error: BaseException) -> str | None:
    """Why ``error`` is no bug of ours, or None when it may be one: the database is
    unavailable (:func:`unavailability`) or cancelled the statement
    (:func:`statement_cancelled`). Such a failure is answered 503 and logged as one warning
    with this reason, without a traceback: an overloaded gateway (its pool exhausted) fails
    many requests at once, and a traceback each would cost CPU and log volume just then."""
    return unavailability(error) or statement_cancelled(error)


def log_failure(logger: logging.Logger, error: BaseException, message: str, *args: object) -> None:
    """Log ``error``, which ended ``message``'s work (a background loop's round, a write),
    as requests' failures are logged: an expected failure (:func:`expected_failure`, the
    database unavailable or cancelling the statement) as one warning, ``message: reason``,
    without a traceback; anything else, which may be a bug, at error with its traceback."""
    reason = expected_failure(error)
    if reason is not None:
        logger.warning(f"{message}: %s", *args, reason)
    else:
        logger.error(message, *args, exc_info=error)


def no_connection(error: BaseException) -> str | None:
    """Why ``error`` means no connection can be had now, or None: the pool had none free
    within ORGQL_DB_POOL_TIMEOUT_SECONDS, or the driver could not open one (the server
    refused it, did not answer within ORGQL_DB_CONNECT_TIMEOUT_SECONDS, or is not accepting
    connections). A second try would wait and fail alike (graphql.execution.sql_plans
    .SqlPlan.run, graphql.context.Context). Not the failure of a statement on a connection
    it had, the connection lost (:data:`CONNECTION_LOST`) or its answer not come within
    ORGQL_DB_COMMAND_TIMEOUT_SECONDS (one slow statement, a lock it waits for): another
    statement, on another connection, may be answered."""
    if isinstance(error, PoolTimeoutError) or any(_connecting(cause) for cause in _causes(error)):
        return unavailability(error)
    return None


#: The code of the driver's connect, which SQLAlchemy's pool calls when a checkout finds no
#: idle connection.
_CONNECT = asyncpg.connect.__code__


def _connecting(error: BaseException) -> bool:
    """Whether ``error`` was raised while the driver opened a connection."""
    return _walk(error).connecting


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error`` and what it was raised from: SQLAlchemy's error, the dialect's translation,
    the driver's error."""
    seen: set[int] = set()
    found: BaseException | None = error
    while found is not None and id(found) not in seen:
        seen.add(id(found))
        yield found
        found = found.__cause__


def _sqlstate(error: BaseException | None) -> str | None:
    """The SQLSTATE of an asyncpg error or of SQLAlchemy's adapter of one."""
    state = getattr(error, "sqlstate", None)
    return state if isinstance(state, str) else None


def _on_error(context: ExceptionContext) -> None:
    observation = current_observation.get()
    if observation is None:
        return
    if not isinstance(context.original_exception, Exception):
        # CancelledError (a BaseException): SQLAlchemy calls the cancelled statement's
        # connection lost (and drops it), but the request cancelled it, not the database.
        return
    reason = _failure_reason(context.original_exception, context.is_disconnect)
    if reason is not None and observation.database_unavailable is None:
        observation.database_unavailable = reason
    cancelled = statement_cancelled(context.original_exception)
    if cancelled is not None and observation.statement_cancelled is None:
        observation.statement_cancelled = cancelled


def _failure_reason(original: Exception, is_disconnect: bool) -> str | None:
    """The reason a statement's failure gives the request (:func:`unavailability`), where
    SQLAlchemy says whether it was a disconnect. SQLAlchemy calls every asyncio
    ``TimeoutError`` a disconnect (one of its "exit exceptions": the connection is dropped),
    so the driver's for ORGQL_DB_COMMAND_TIMEOUT_SECONDS would read "connection lost": it is
    the database not answering in time (:data:`NO_ANSWER`)."""
    lost = CONNECTION_LOST if is_disconnect else None
    if isinstance(original, TimeoutError):
        return unavailability(original) or lost
    return lost or unavailability(original)


def watch(engine: AsyncEngine) -> None:
    """Report ``engine``'s connection failures to the request that suffered them."""
    if not event.contains(engine.sync_engine, "handle_error", _on_error):
        event.listen(engine.sync_engine, "handle_error", _on_error)


def unwatch(engine: AsyncEngine) -> None:
    if event.contains(engine.sync_engine, "handle_error", _on_error):
        event.remove(engine.sync_engine, "handle_error", _on_error)


def note_commit() -> None:
    """A GraphQL mutation field's transaction committed (graphql.context.Context.unit_of_work).
    Its operation's fields run one after the other, each in a transaction of its own: when a
    later one fails for the database, the answer must tell what was done (the committed
    fields' payloads, the failed fields null with their errors), not a 503 that has the
    client run the operation again and make the committed changes twice. Not REST's: a REST
    call is one transaction, nothing of it committed when it fails.

    The request's record, beside the context's (``Context.commits``, written on the same
    commit, which marks each field that committed): the request middleware wraps the
    GraphQL app and never sees its contexts, nor does a failure of the whole request (its
    timeout, an error outside execution) have one at hand. Over WebSocket nothing is
    recorded here (no request observed): the context's count alone marks the fields."""
    observation = current_observation.get()
    if observation is not None:
        observation.mutation_committed = True


def mutation_committed() -> bool:
    """Whether a GraphQL mutation field of the current request committed (:func:`note_commit`)."""
    observation = current_observation.get()
    return observation is not None and observation.mutation_committed


#: Said by an answer that fails the whole request (the request's timeout, an error outside
#: execution: ``data`` null, no field's payload) after a mutation of it committed.
COMMITTED_BEFORE_FAILURE = (
    "Mutations of this request were committed before it failed: read the current state"
    " before sending any of it again."
)


def telling_commits(message: str) -> str:
    """The message of an answer failing the whole request: when a mutation of the request
    committed (:func:`note_commit`), followed by :data:`COMMITTED_BEFORE_FAILURE`. Such an
    answer has no Retry-After: sent again as it is, the request would make the committed
    changes twice (docs/graphql.md, "Several mutation fields")."""
    if not mutation_committed():
        return message
    return f"{message[:1].upper()}{message[1:].rstrip('.')}. {COMMITTED_BEFORE_FAILURE}"


#: How a database failure's message ends when sending the request again is the remedy.
RETRY_LATER = "; retry later."


def retry_advice(message: str, retry_after: str) -> tuple[str, dict[str, str]]:
    """The message and headers of a 503 failing the whole request: ``Retry-After``, unless a
    mutation of the request committed (:func:`telling_commits`): then none, and the message
    (its :data:`RETRY_LATER` ending dropped) says what was committed."""
    if not mutation_committed():
        return message, {"Retry-After": retry_after}
    return telling_commits(message.removesuffix(RETRY_LATER)), {}


def note_failure(error: BaseException) -> None:
    """Transports call this with the unexpected errors they mask: connection failures that
    never reached the engine's events (refused connects, pool timeouts) mark the request."""
    observation = current_observation.get()
    if observation is None:
        return
    if observation.database_unavailable is None:
        observation.database_unavailable = unavailability(error)
    if observation.statement_cancelled is None:
        observation.statement_cancelled = statement_cancelled(error)
