"""A connection given back to the pool in a state its next user cannot trust is closed
instead (db.engine.make_engine listens with :func:`watch`).

asyncpg keeps its own idea of a connection's transaction beside the server's:
``Transaction.start()`` records itself as the connection's transaction before it sends the
BEGIN, and a BEGIN that fails leaves it recorded. SQLAlchemy's adapter keeps no transaction
whose BEGIN failed, so nothing ever clears it: every later ``transaction()`` on that
connection sends a SAVEPOINT in place of a BEGIN, which the server refuses (SQLSTATE 25P01,
"SAVEPOINT can only be used in transaction blocks"), and the pooled connection failed every
request and webhook dispatch round it served, until a restart.

What failed those BEGINs was a statement timeout started long before. asyncpg sends a
statement's Parse (with a Flush, no Sync) before it encodes the arguments; when it refuses
one (a lone surrogate in a string, too few arguments) it sends nothing more, and the server
keeps that statement's timeout running. Once the timeout passed, the connection idle in the
pool, the server cancels whatever statement comes next on it: an unrelated request's BEGIN.
Only a statement outside a transaction leaves it so (the driver's reads, db.raw; the
AUTOCOMMIT engine): in a transaction, the rollback after the failure ends it.

A connection is therefore closed, not pooled, when

- the driver refused one of its statements (:func:`distrust`: the engine's ``handle_error``
  for SQLAlchemy's statements, db.raw for its own), or
- at checkin, asyncpg records a transaction, or the server reports one open (SQLAlchemy rolls
  back every connection given back, so neither has a reason to be).

Each is logged as one warning. The check at checkin reads a few attributes: 0.3 µs, and
within the noise of a loop of 5,000 pooled ``SELECT 1`` reads (db.raw.read_once: 170 µs of
CPU each, with or without it).
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

import asyncpg
from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.pool import ConnectionPoolEntry

logger = logging.getLogger("orgql.db")

#: The key of a pooled connection's ``info`` that asks :func:`_close_untrusted` to close it.
_DISTRUSTED = "orgql.distrusted"

REFUSED = (
    "the driver refused a statement after sending part of it (the server may cancel the"
    " connection's next statement)"
)


def watch(engine: Engine) -> None:
    event.listen(engine, "handle_error", _distrust_refused)
    event.listen(engine, "checkin", _close_untrusted)


def refused_by_driver(error: BaseException | None) -> bool:
    """Whether asyncpg failed the statement itself rather than the server answering: its own
    errors carry no severity (every error the server sends has one). ``error`` may be
    SQLAlchemy's translation of asyncpg's (its cause)."""
    for candidate in (error, error.__cause__ if error is not None else None):
        if isinstance(candidate, _DRIVER_ERRORS):
            return getattr(candidate, "severity", None) is None
    return False


_DRIVER_ERRORS = (
    asyncpg.exceptions.PostgresError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.InternalClientError,
)


def distrust(info: MutableMapping[Any, Any], reason: str) -> None:
    """Have the pooled connection of ``info`` (its ``info`` dictionary) closed when given
    back, for ``reason``."""
    info[_DISTRUSTED] = reason


def _distrust_refused(context: ExceptionContext) -> None:
    # A connection lost is dropped by SQLAlchemy already.
    if context.is_disconnect or context.connection is None:
        return
    if refused_by_driver(context.original_exception):
        distrust(context.connection.info, REFUSED)


def _close_untrusted(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    if dbapi_connection is None:  # closed already (invalidated)
        return
    reason = record.info.pop(_DISTRUSTED, None) or _out_of_step(record.driver_connection)
    if reason is not None:
        logger.warning("closed a database connection instead of pooling it: %s", reason)
        record.invalidate()


def _out_of_step(driver: Any) -> str | None:
    """Why asyncpg's ``driver`` connection, given back, is in a transaction, or None."""
    if driver is None:
        return None
    if driver._top_xact is not None:  # private: no public reader of it
        return (
            "the driver records a transaction the server does not have (its BEGIN failed);"
            " its next BEGIN would be a SAVEPOINT the server refuses"
        )
    if driver.is_in_transaction():
        return "the server reports a transaction still open"
    return None
