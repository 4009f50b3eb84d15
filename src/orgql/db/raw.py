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
from sqlalchemy.engine import Compiled, Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.cache_key import CacheKey
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


class _CompiledSelect(NamedTuple):
    """A ``Select`` compiled for asyncpg, with its bound parameters' names in their order
    and the types' conversions of their values (asyncpg's dialect has few)."""

    compiled: Compiled
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]


#: Compiled ``Select`` statements by SQLAlchemy's cache key (and dialect): a statement built
#: anew per request (a list's filter, sort and page) compiles once per shape, as in
#: SQLAlchemy's own cache; None for one this module does not run (expanding ``IN`` lists,
#: rendered at execution), which SQLAlchemy executes.
_selects: LRUCache[tuple[Any, ...], _CompiledSelect | None] = LRUCache(256)


def _compile_select(
    statement: Select[Any], key: CacheKey, dialect: Dialect
) -> _CompiledSelect | None:
    # Compiled with its cache key, so that another statement of the same key can give its
    # own values of the parameters (construct_params' extracted_parameters).
    compiled = statement.compile(dialect=dialect, cache_key=key)
    if compiled.post_compile_params or compiled.literal_execute_params:
        return None
    names = tuple(compiled.positiontup or ())
    processors = tuple(
        compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    )
    return _CompiledSelect(compiled, names, processors)


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
        """The rows of a ``Select`` with its named ``parameters`` (its own values, such as a
        ``limit()``, are the statement's)."""
        dialect = self.connection.dialect
        key = statement._generate_cache_key()  # None: a part that cannot be cached
        found = None
        if key is not None:
            cache_key = (dialect, key.key)
            found = _selects.get(cache_key)
            if found is None and cache_key not in _selects:
                found = _selects[cache_key] = _compile_select(statement, key, dialect)
        if key is None or found is None:  # SQLAlchemy runs it
            return list((await self.connection.execute(statement, parameters)).all())
        # The values of this statement's own parameters (its literals, its limit) are its
        # cache key's, in the order of the compiled statement's.
        values = found.compiled.construct_params(parameters, extracted_parameters=key.bindparams)
        assert values is not None  # None only for DDL
        positional = tuple(
            values[name] if processor is None else processor(values[name])
            for name, processor in zip(found.names, found.processors, strict=True)
        )
        return await self._fetch(found.compiled.string, positional)

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
