"""Reads on the driver's own connection: a statement's rows as asyncpg records, without
SQLAlchemy's result objects.

The reads answered by one hand-written statement (the GraphQL SQL plans, the REST
snapshots) spend more CPU in SQLAlchemy than in the database: a ``text()`` statement's
result rebuilds its column metadata from the cursor description on every execution, and
each row is wrapped twice (issue 16's profile: about a fifth of a request for one
organization). Here the statement is compiled once to asyncpg's positional form and run on
the pooled connection SQLAlchemy checked out (same pool, timeouts, type codecs and
transaction state); the rows come back as asyncpg ``Record`` objects, which index like
SQLAlchemy's ``Row``.

The engine's ``before_cursor_execute`` listeners still hear every statement (the metrics
of statements per database, the tests' and bench's statement counts), and a failure is
raised as SQLAlchemy's ``DBAPIError`` with the engine's ``handle_error`` listeners told
(``observability.database``: a database gone answers 503), as for any other statement.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple
from weakref import WeakKeyDictionary

from sqlalchemy import Select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.util import LRUCache, greenlet_spawn

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
#: anew per request (a list's filter, sort and page) compiles once per shape, as in
#: SQLAlchemy's own cache; None for one this module does not run (expanding ``IN`` lists,
#: rendered at execution), which SQLAlchemy executes.
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


#: What :func:`_bind` made of each statement object (the REST reads by id reuse one).
_bound: WeakKeyDictionary[Select[Any], _Bound | None] = WeakKeyDictionary()


def _bind(statement: Select[Any], dialect: Dialect) -> _Bound | None:
    key = statement._generate_cache_key()  # None: a part that cannot be cached
    if key is None:
        return None
    cache_key = (dialect, key.key)
    compiled = _selects.get(cache_key)
    if compiled is None and cache_key not in _selects:
        # Compiled with its cache key, so that another statement of the same key can give
        # its own values of the parameters (construct_params' extracted_parameters).
        compiled = statement.compile(dialect=dialect, cache_key=key)
        if compiled.post_compile_params or compiled.literal_execute_params:
            compiled = None
        _selects[cache_key] = compiled
    if compiled is None:
        return None
    own = compiled.construct_params({}, extracted_parameters=key.bindparams, _check=False)
    assert own is not None  # None only for DDL
    names: list[str | None] = []
    values: list[Any] = []
    processors: list[Callable[[Any], Any] | None] = []
    for name in compiled.positiontup or ():
        bind = compiled.binds[name]
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

    def __init__(self, connection: AsyncConnection, adapted: Any, driver: Any) -> None:
        self.connection = connection
        #: SQLAlchemy's adaptation of the driver's connection, and the driver's.
        self.adapted = adapted
        self.driver = driver

    @classmethod
    async def of(cls, connection: AsyncConnection) -> RawReads:
        raw = await connection.get_raw_connection()
        return cls(connection, raw.dbapi_connection, raw.driver_connection)

    async def all(
        self, statement: TextClause, parameters: Mapping[str, Any] | None = None
    ) -> list[Any]:
        """The rows of ``statement`` with its named ``parameters``."""
        sql, names = compiled(statement, self.connection.dialect)
        return await self._fetch(sql, tuple((parameters or {})[name] for name in names))

    async def select(
        self, statement: Select[Any], parameters: Mapping[str, Any] | None = None
    ) -> list[Any]:
        """The rows of a ``Select`` with the values of its ``bindparam``s without one."""
        dialect = self.connection.dialect
        bound = _bound.get(statement)
        if bound is None or bound.dialect is not dialect:
            bound = _bind(statement, dialect)
            if bound is None:  # SQLAlchemy runs it
                return list((await self.connection.execute(statement, parameters)).all())
            _bound[statement] = bound
        return await self._fetch(bound.sql, bound.positional(parameters or {}))

    async def scalar(
        self, statement: TextClause, parameters: Mapping[str, Any] | None = None
    ) -> Any:
        """The first column of the first row (None without rows)."""
        rows = await self.all(statement, parameters)
        return rows[0][0] if rows else None

    async def _fetch(self, sql: str, values: tuple[Any, ...]) -> list[Any]:
        self._told(sql, values)
        try:
            return list(await self.driver.fetch(sql, *values))
        except Exception as error:
            await self._failed(error, sql, values)
            raise  # pragma: no cover (_failed raises)

    def _told(self, sql: str, values: Sequence[Any]) -> None:
        dispatch = self.connection.sync_engine.dispatch.before_cursor_execute
        if dispatch:
            dispatch(self.connection.sync_connection, None, sql, values, None, False)

    async def _failed(self, error: Exception, sql: str, values: Sequence[Any]) -> None:
        """Raise ``error`` as SQLAlchemy raises a statement's failure: translated to the
        DBAPI's exception by the dialect, then handled by the connection (its
        ``handle_error`` listeners told, a lost connection invalidated)."""
        sync = self.connection.sync_connection
        assert sync is not None
        try:
            self.adapted._handle_exception(error)
        except Exception as translated:
            await greenlet_spawn(sync._handle_dbapi_exception, translated, sql, values, None, None)
            raise
