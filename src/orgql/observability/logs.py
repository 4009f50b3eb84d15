"""Logs as JSON lines: one object per record, with the request's id when there is one.

What is logged is chosen, never dumped: the access line names the method, the path without
its query string, the operation, status, outcome and duration. Headers, bodies, query
strings and variables are never logged: they carry tokens and personal data (emails).

Exceptions are logged with their traceback (files, lines, code) but not with their messages,
which carry data: PostgreSQL's "Failing row contains (…)" and "Key (email)=(…)", SQLAlchemy's
bind parameters, a parser's offending header line. A message is kept only for exceptions
about the code itself (:data:`CODE_ERRORS`); a database error shows its SQLSTATE and the
names of its constraint, table and column instead.
"""

from __future__ import annotations

import asyncio
import json
import logging
import logging.config
import traceback
from datetime import UTC, datetime
from typing import Any

from orgql.observability.database import current_observation

ACCESS_LOGGER = "orgql.access"

#: Attributes every LogRecord has; the others were passed with ``extra=`` and are logged.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


#: Exceptions whose messages the interpreter writes about code (names, types, errnos), not
#: about the data being handled: their messages are logged.
CODE_ERRORS: tuple[type[BaseException], ...] = (
    AttributeError,
    NameError,
    ImportError,
    NotImplementedError,
    RecursionError,
    TypeError,
    IndexError,
    ZeroDivisionError,
    MemoryError,
    OSError,
    asyncio.CancelledError,
)
#: Identifiers a database error carries (asyncpg's fields, SQLAlchemy's ``pgcode``).
_DATABASE_FIELDS = ("sqlstate", "constraint_name", "table_name", "column_name")


def safe_message(error: BaseException) -> str:
    """What a log may say about ``error``: its type, and its message only when it cannot
    carry data (see the module docstring)."""
    name = type(error).__qualname__
    module = type(error).__module__
    if module not in ("builtins", "__main__"):
        name = f"{module}.{name}"
    if isinstance(error, CODE_ERRORS):
        text = str(error)
        return f"{name}: {text}" if text else name
    # SQLAlchemy's error wraps the driver's (``orig``), which wraps asyncpg's (its cause).
    orig = getattr(error, "orig", None)
    sources = [error, orig, getattr(orig, "__cause__", None)]
    fields = {
        field: value
        for source in reversed(sources)
        for field in _DATABASE_FIELDS
        if isinstance(value := getattr(source, field, None), str)
    }
    described = [f"{field}={value}" for field, value in fields.items()]
    return f"{name} ({', '.join(described or ['message withheld'])})"


def safe_traceback(error: BaseException) -> str:
    """The traceback of ``error`` and of its causes and contexts, as Python prints it, with
    :func:`safe_message` in place of each message (and no notes)."""
    lines: list[str] = []
    seen: set[int] = set()

    def chain(current: BaseException) -> None:
        seen.add(id(current))
        cause = current.__cause__
        context = None if current.__suppress_context__ else current.__context__
        if cause is not None and id(cause) not in seen:
            chain(cause)
            lines.append(
                "\nThe above exception was the direct cause of the following exception:\n\n"
            )
        elif context is not None and id(context) not in seen:
            chain(context)
            lines.append(
                "\nDuring handling of the above exception, another exception occurred:\n\n"
            )
        if current.__traceback__ is not None:
            lines.append("Traceback (most recent call last):\n")
            lines.extend(traceback.format_tb(current.__traceback__))
        lines.append(safe_message(current) + "\n")
        if isinstance(current, BaseExceptionGroup):
            for index, member in enumerate(current.exceptions, 1):
                lines.append(f"+---------------- {index} ----------------\n")
                if id(member) not in seen:
                    chain(member)

    chain(error)
    return "".join(lines).rstrip("\n")


def _safe_record(record: logging.LogRecord) -> logging.LogRecord:
    """A copy of ``record`` whose exception arguments (``log.warning("%s", exc)``) are their
    safe messages, and with no traceback text cached by another formatter."""
    copy = logging.makeLogRecord(record.__dict__)
    copy.exc_text = None
    if isinstance(copy.msg, BaseException):
        copy.msg = safe_message(copy.msg)
    if isinstance(copy.args, tuple):
        copy.args = tuple(
            safe_message(arg) if isinstance(arg, BaseException) else arg for arg in copy.args
        )
    return copy


def _format_exception(exc_info: Any) -> str:
    error = exc_info[1] if isinstance(exc_info, tuple) else None
    return safe_traceback(error) if isinstance(error, BaseException) else ""


class TextFormatter(logging.Formatter):
    """Plain lines (``ORGQL_LOG_FORMAT=text``), exceptions as :func:`safe_traceback`."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(_safe_record(record))

    def formatException(self, ei: Any) -> str:
        return _format_exception(ei)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        record = _safe_record(record)
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        observation = current_observation.get()
        if observation is not None:
            entry["request_id"] = observation.request_id
        entry.update(
            (key, value)
            for key, value in record.__dict__.items()
            if key not in _STANDARD and not key.startswith("_")
        )
        if record.exc_info:
            entry["exception"] = _format_exception(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for orgql and uvicorn (given to ``uvicorn.run``)."""
    formatter: dict[str, Any] = (
        {"()": JsonFormatter}
        if log_format == "json"
        else {"()": TextFormatter, "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    )
    handler = {"class": "logging.StreamHandler", "formatter": "main", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "loggers": {
            "orgql": {"handlers": ["main"], "level": level.upper(), "propagate": False},
            "uvicorn": {"handlers": ["main"], "level": level.upper(), "propagate": False},
            # Our access line replaces uvicorn's, which logs query strings.
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
        # Everyone else (asyncio's "Task exception was never retrieved", sqlalchemy, httpx):
        # through the same formatter, which withholds exception messages about data.
        "root": {"handlers": ["main"], "level": "WARNING"},
    }


def configure(log_format: str, level: str) -> None:
    logging.config.dictConfig(logging_config(log_format, level))
