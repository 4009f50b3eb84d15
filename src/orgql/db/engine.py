"""Engine and session factory. Engines live in the app's lifespan state, never in globals."""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from orgql.core.common import json_text
from orgql.database_urls import to_asyncpg_url
from orgql.db import checkin

#: Connections of the primary's pool held for long periods rather than per request, on top
#: of the requests' twice ``ORGQL_DB_POOL_SIZE``: the webhook dispatcher's LISTEN
#: (webhooks.wakeup, while the dispatcher runs) and the live feed's presence (live.feed,
#: while GraphQL subscriptions are open). Counted in the ceiling, they take nothing from
#: requests: left out, a pool of size 1 (two connections) had both out at once, and every
#: request waited ``ORGQL_DB_POOL_TIMEOUT_SECONDS`` to answer 503. Replicas hold none.
PRIMARY_HELD_CONNECTIONS = 2


def make_engine(
    url: str,
    *,
    pool_size: int = 10,
    held: int = 0,
    connect_timeout: float = 5.0,
    command_timeout: float | None = 30.0,
    pool_timeout: float = 10.0,
    statement_timeout: float | None = None,
    lock_timeout: float | None = None,
) -> AsyncEngine:
    """An engine whose every wait is bounded: a database that is gone or silent gives an
    error within the timeouts (the gateway answers 503), never a request that hangs.

    Its pool holds at most twice ``pool_size`` connections (``ORGQL_DB_POOL_SIZE``: as many
    again as the size, the overflow SQLAlchemy would allow) plus ``held``, the connections
    kept out for long periods rather than per request (the primary's
    :data:`PRIMARY_HELD_CONNECTIONS`): requests have their twice ``pool_size`` while those
    are out. Each is opened when a checkout finds none idle and kept open from then on.
    SQLAlchemy's own overflow closes a connection past the size as soon as it is given back
    while the size are idle: under a load swinging around the size, every swing opened a
    new connection (TLS negotiation, a server process forked), and that cost more than the
    reads it served (issue 16: a worker serving 16 connections opened about 20 a second and
    answered 598 REST reads a second, 984 with them kept). A checkout past the most waits
    for a connection given back, ``pool_timeout`` at most.

    A pooled connection the server closed while it was idle (a restart, a failover,
    pg_terminate_backend) is replaced at checkout (:func:`_replace_closed`), before a
    statement fails on it: a connection that died idle fails no request. One given back in a
    state its next user cannot trust (a transaction the driver or the server still holds, a
    statement the driver refused half-sent) is closed instead (:mod:`orgql.db.checkin`).

    ``statement_timeout`` (seconds) is PostgreSQL's own: the server cancels a statement
    running longer, whatever the client does."""
    # No JIT: the gateway's statements are short, and per-row subqueries (the effective-value
    # filter) inflate cost estimates past jit_above_cost, so that PostgreSQL spent ~270 ms
    # compiling a 2 ms query (descendants of 20 organizations, 100,000 in all).
    server_settings = {"jit": "off"}
    for name, seconds in (("statement_timeout", statement_timeout), ("lock_timeout", lock_timeout)):
        if seconds is not None:
            server_settings[name] = str(max(1, round(seconds * 1000)))  # milliseconds
    connect_args: dict[str, object] = {
        "timeout": connect_timeout,
        "command_timeout": command_timeout,
        "server_settings": server_settings,
    }
    engine = create_async_engine(
        to_asyncpg_url(url),
        pool_size=2 * pool_size + held,  # see the docstring
        max_overflow=0,
        pool_pre_ping=False,
        # Bind parameters (emails, names) never reach an error message or a log line.
        hide_parameters=True,
        pool_timeout=pool_timeout,
        connect_args=connect_args,
        json_deserializer=json_text.loads,  # as json.loads reads, faster
    )
    event.listen(engine.sync_engine, "checkout", _replace_closed)
    checkin.watch(engine.sync_engine)
    _OpenConnections.watch(engine.sync_engine)
    return engine


def _replace_closed(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
    """A pooled connection the driver knows closed (the server ended it while it was idle)
    is replaced at checkout by a new one, before a statement fails on it; a server that is
    down then fails to connect (503), and one that restarted is answered at once.

    Without it, each such connection failed one request: SQLAlchemy invalidates the whole
    pool on the first disconnect only for its own statements, and the driver's own reads
    (db.raw.read_once) drop just their connection; the pool keeps up to twice
    ``ORGQL_DB_POOL_SIZE`` of them, and the primary's held ones. The driver's flag, not a
    ping (``pool_pre_ping``: a round trip per checkout): about a microsecond a checkout. A
    connection whose server vanished without closing it is still found by its statement's
    failure or timeout."""
    driver = record.driver_connection  # asyncpg's Connection
    if driver is not None and driver.is_closed():
        raise DisconnectionError("the database closed this pooled connection")


class _OpenConnections:
    """The connections of an engine's pool that are open, counted by its events from the
    engine's start: each opened, less each closed (given up, invalidated, replaced). The
    pool's own ``checkedin()`` counts its free slots, and a slot whose connection was closed
    (lost mid-statement, a cancelled read's, a replacement that failed to connect) stays one
    until a checkout opens a connection in it: counted as an idle connection, it was none."""

    def __init__(self) -> None:
        self.count = 0

    @classmethod
    def watch(cls, engine: Engine) -> None:
        counted = _open_connections[engine] = cls()
        event.listen(engine, "connect", counted.opened)
        event.listen(engine, "close", counted.closed)
        event.listen(engine, "detach", counted.closed)  # out of the pool for good

    def opened(self, *args: Any) -> None:
        self.count += 1

    def closed(self, *args: Any) -> None:
        self.count -= 1


_open_connections: WeakKeyDictionary[Engine, _OpenConnections] = WeakKeyDictionary()


def open_connections(engine: AsyncEngine) -> int | None:
    """How many connections ``engine``'s pool holds open, checked out or idle; None for an
    engine not made by :func:`make_engine`."""
    counted = _open_connections.get(engine.sync_engine)
    return None if counted is None else counted.count


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: objects stay readable after the transport commits.
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


_autocommit_engines: WeakKeyDictionary[AsyncEngine, AsyncEngine] = WeakKeyDictionary()


def autocommit(engine: AsyncEngine) -> AsyncEngine:
    """``engine`` with AUTOCOMMIT (the same pool and event listeners), made once: for reads of
    one statement, which need no transaction (no BEGIN and COMMIT round trips)."""
    found = _autocommit_engines.get(engine)
    if found is None:
        found = _autocommit_engines[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return found
