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

from collections.abc import Mapping, Sequence
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.util import greenlet_spawn
from sqlalchemy.sql.elements import TextClause

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
        values = tuple((parameters or {})[name] for name in names)
        self._told(sql, values)
        try:
            return list(await self.driver.fetch(sql, *values))
        except Exception as error:
            await self._failed(error, sql, values)
            raise  # pragma: no cover (_failed raises)

    async def scalar(
        self, statement: TextClause, parameters: Mapping[str, Any] | None = None
    ) -> Any:
        """The first column of the first row (None without rows)."""
        rows = await self.all(statement, parameters)
        return rows[0][0] if rows else None

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
            await greenlet_spawn(
                sync._handle_dbapi_exception, translated, sql, values, None, None
            )
            raise
