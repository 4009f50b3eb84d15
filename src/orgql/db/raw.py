"""Reads on the driver's own connection: a statement's rows as asyncpg records, without
SQLAlchemy's result objects.

The reads answered by one hand-written statement (the GraphQL SQL plans, the REST
snapshots) spent more CPU in SQLAlchemy than in the database: a ``text()`` statement's
result rebuilds its column metadata from the cursor description on every execution, each
row is wrapped twice, and a ``Connection`` (or a session) is built around the pooled
connection (issue 16's profile: about a fifth of a request for one organization). Here the
statement is compiled once to asyncpg's positional form and run on a connection of the
engine's own pool (same timeouts, type codecs and server settings); the rows come back as
asyncpg ``Record`` objects, which index like SQLAlchemy's ``Row``.

:func:`read_once` checks a connection out of the engine's pool for the reads of one
request (no ``Connection`` object, no transaction: each statement is its own, as in
AUTOCOMMIT), gives it back when the read ends, or closes it for good when it was lost or
cancelled mid-statement, or when the driver refused a statement half-sent (db.checkin: an
argument it could not encode); the REST snapshots, the GraphQL SQL plans.

Statements are ``text()`` (:meth:`RawReads.all`) or ``Select`` (:meth:`RawReads.select`: the
REST snapshots, compiled once per shape by SQLAlchemy's cache key and bound once per
statement object).

The engine's ``before_cursor_execute`` listeners hear every statement (the
metrics of statements per database, the tests' and bench's statement counts), and a failure
is raised as SQLAlchemy raises one, a ``DBAPIError`` wrapping the driver's error (its
parameters hidden, as the engine hides them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, NamedTuple, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Select, exc
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.util import LRUCache, await_, greenlet_spawn

from orgql.db.checkin import REFUSED, distrust, refused_by_driver

T = TypeVar("T")

#: A statement compiled for asyncpg: its SQL with ``$n`` placeholders and the names of
#: its parameters in their order.
_Compiled = tuple[str, tuple[str, ...]]

_compiled: WeakKeyDictionary[TextClause, _Compiled] = WeakKeyDictionary()


def compiled(statement: TextClause, dialect: Dialect) -> _Compiled:
    """``statement`` in asyncpg's form, compiled once per statement object."""
    found = _compiled.get(statement)
    if found is None:
        compiled = statement.compile(dialect=dialect)
        found = _compiled[statement] = (compiled.string, tuple(compiled.positiontup or ()))
    return found


#: ``Select`` statements compiled by SQLAlchemy's cache key (and dialect): a statement built
#: anew per request compiles once per shape, as in SQLAlchemy's own cache; None for a shape
#: with parameters rendered at execution (an expanding ``IN``), compiled per statement.
_selects: LRUCache[tuple[Any, ...], SQLCompiler | None] = LRUCache(256)


class _Bound(NamedTuple):
    """A ``Select`` statement object ready to run: its SQL and, for each of its positional
    parameters, either the name of the caller's parameter (a ``bindparam`` without value)
    with its type's conversion, or the statement's own value (a literal, a ``limit()``)."""

    dialect: Dialect
    sql: str
    names: tuple[str | None, ...]  # None: the statement's own value
    values: tuple[Any, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]

    def positional(self, parameters: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(
            value if name is None else parameters[name] if to is None else to(parameters[name])
            for name, value, to in zip(self.names, self.values, self.processors, strict=True)
        )


#: What :func:`_bind` made of each statement object (the REST reads reuse theirs).
_bound: WeakKeyDictionary[Select[Any], _Bound] = WeakKeyDictionary()


def _bind(statement: Select[Any], dialect: Dialect) -> _Bound:
    key = statement._generate_cache_key()  # None: a part that cannot be cached
    compiled: SQLCompiler | None = None
    if key is not None:
        cache_key = (dialect, key.key)
        compiled = _selects.get(cache_key)
        if compiled is None and cache_key not in _selects:
            # Compiled with its cache key, so that another statement of the same key can
            # give its own values of the parameters (construct_params' extracted_parameters).
            compiled = statement.compile(dialect=dialect, cache_key=key)
            if compiled.post_compile_params or compiled.literal_execute_params:
                compiled = None
            _selects[cache_key] = compiled
    if compiled is not None and key is not None:
        own = compiled.construct_params({}, extracted_parameters=key.bindparams, _check=False)
    else:  # this statement's values written into its SQL where rendered at execution
        compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        own = compiled.construct_params({}, _check=False)
    assert own is not None  # None only for DDL
    names: list[str | None] = []
    values: list[Any] = []
    processors: list[Callable[[Any], Any] | None] = []
    for name in compiled.positiontup or ():
        bind = compiled.binds.get(name)
        if bind is None:  # an element of an expanding IN, rendered with its values
            names.append(None)
            values.append(own[name])
            processors.append(None)
            continue
        to = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if bind.required:
            names.append(name)
            values.append(None)
            processors.append(to)
        else:
            names.append(None)
            values.append(own[name] if to is None else to(own[name]))
            processors.append(None)
    return _Bound(dialect, compiled.string, tuple(names), tuple(values), tuple(processors))


class RawReads:
    """Statements run on one checked-out connection's driver connection."""

    def __init__(self, engine: Engine, adapted: Any, driver: Any) -> None:
        self.engine = engine
        #: SQLAlchemy's adaptation of the driver's connection, and the driver's.
        self.adapted = adapted
        self.driver = driver
        #: The connection was lost: it must not go back to the pool.
        self.lost = False
        #: The driver refused a statement half-sent: the connection is closed when given
        #: back (db.checkin).
        self.refused = False

    async def all(
        self, statement: TextClause, parameters: Mapping[str, Any] | None = None
    ) -> list[Any]:
        """The rows of ``statement`` with its named ``parameters``."""
        sql, names = compiled(statement, self.engine.dialect)
        return await self._fetch(sql, tuple((parameters or {})[name] for name in names))

    async def select(
        self, statement: Select[Any], parameters: Mapping[str, Any] | None = None
    ) -> list[Any]:
        """The rows of a ``Select`` with the values of its ``bindparam``s without one."""
        dialect = self.engine.dialect
        bound = _bound.get(statement)
        if bound is None or bound.dialect is not dialect:
            bound = _bound[statement] = _bind(statement, dialect)
        return await self._fetch(bound.sql, bound.positional(parameters or {}))

    async def _fetch(self, sql: str, values: tuple[Any, ...]) -> list[Any]:
        listeners = self.engine.dispatch.before_cursor_execute
        if listeners:
            listeners(None, None, sql, values, None, False)
        try:
            return list(await self.driver.fetch(sql, *values))
        except Exception as error:
            raise self._translated(error, sql, values) from error

    async def scalar(
        self, statement: TextClause, parameters: Mapping[str, Any] | None = None
    ) -> Any:
        """The first column of the first row (None without rows)."""
        rows = await self.all(statement, parameters)
        return rows[0][0] if rows else None

    def _translated(self, error: Exception, sql: str, values: Sequence[Any]) -> Exception:
        """``error`` as SQLAlchemy raises a statement's failure: the dialect's DBAPI error
        (its translation of asyncpg's) wrapped in ``DBAPIError``; a lost connection noted,
        and told as SQLAlchemy tells it (``connection_invalidated``: the request answers
        503), whatever the driver raised (asyncpg may raise InternalClientError, "cannot
        switch to state", when the server's FATAL message came just before the statement)."""
        self.refused = self.refused or refused_by_driver(error)
        try:
            self.adapted._handle_exception(error)
        except Exception as translated:
            error = translated
        dialect = self.engine.dialect
        dbapi_error = dialect.loaded_dbapi.Error
        if isinstance(error, dbapi_error) and dialect.is_disconnect(error, self.adapted, None):
            self.lost = True
        return exc.DBAPIError.instance(
            sql,
            values,
            error,
            dbapi_error,
            hide_parameters=True,
            connection_invalidated=self.lost,
            dialect=dialect,
        )


async def read_once(engine: AsyncEngine, work: Callable[[RawReads], Awaitable[T]]) -> T:
    """What ``work`` makes of its reads (its statements and the work between them) on a
    connection of ``engine``'s pool, without a ``Connection`` or a transaction (see the
    module): the connection checked out, ``work`` awaited, and the connection given back,
    or closed for good when it was lost or the read was cancelled while a statement may
    still be running on it.

    All three in one greenlet of SQLAlchemy's: the pool's checkout and return may do IO (a
    new connection, also one replacing a connection the server closed; a lost one closed,
    and the driver's close is a coroutine), so each needs one, and starting a greenlet costs
    more CPU than the pool's own work (12 µs in a loop of nothing else, more between a
    request's other work; issue 16: restGet's read took 256-292 µs of CPU with a greenlet
    for the checkout and one for the return, 192-222 µs here). ``work`` is awaited from the
    greenlet (``await_``: a switch, not a new greenlet; the coroutine runs in the caller's
    task).

    A connection is closed as SQLAlchemy closes one it invalidates: in its greenlet, where
    the driver closes gracefully, its cancellation of the running statement acknowledged
    first. Out of one, the driver drops the socket at once and its cancel request with it:
    the server runs the statement on (a lock wait until the lock is free, a long read until
    the statement timeout), a server connection nobody reads held all that while."""
    return await greenlet_spawn(_read_once, engine.sync_engine, work)


def _read_once(engine: Engine, work: Callable[[RawReads], Awaitable[T]]) -> T:
    raw = engine.raw_connection()
    reads = RawReads(engine, raw.dbapi_connection, raw.driver_connection)
    try:
        # A cancellation of the caller is raised here (greenlet_spawn throws it in).
        return await_(work(reads))
    except asyncio.CancelledError:
        reads.lost = True
        raise
    finally:
        # In the greenlet (see read_once).
        if reads.refused:
            distrust(raw.info, REFUSED)
        if reads.lost:
            raw.invalidate()
        else:
            raw.close()
