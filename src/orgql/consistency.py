"""Read-your-writes across replicas (docs/scaling.md): the consistency token.

A request that committed a write answers ``X-Consistency-Token`` (and a GraphQL answer the
``consistencyToken`` extension): the primary's WAL position at or past its commit. A request
presenting the header is read where that position has been replayed (orgql.db.replicas).
A malformed token is the caller's error, answered 400 before anything runs.

The header goes on the answer in the send wrapper of ObserveRequests (observability.requests),
the one send wrapper of a request, which calls :func:`add_token` on the answer's start.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orgql.asgi_headers import header, set_header
from orgql.core.common.errors import Codes, OrgqlError
from orgql.db.engine import autocommit
from orgql.db.replicas import Databases, format_lsn, parse_lsn
from orgql.edge_errors import BAD_REQUEST, refusal

HEADER = "x-consistency-token"
_HEADER_KEY = HEADER.encode()
#: The header as documented (HTTP header names are case-insensitive).
HEADER_NAME = "X-Consistency-Token"
#: The GraphQL response extension carrying the token.
EXTENSION = "consistencyToken"
_STATE_KEY = "consistency"


@dataclass
class Consistency:
    """One request's token: the one it presented, and the one its writes produced."""

    #: Reads must see the primary's state at least as of this WAL position.
    after: int | None = None
    #: The request's last commit is at or before this WAL position.
    written: int | None = None
    #: A read of this request waited for ``after`` in vain: its other reads (the next
    #: operations of a batch) go to the primary at once, so the request waits once.
    on_primary: bool = False

    def wrote(self, position: int | None) -> None:
        if position is not None:
            self.written = max(self.written or 0, position)
            # What the request reads next includes its own writes.
            self.after = max(self.after or 0, position)

    @property
    def token(self) -> str | None:
        return None if self.written is None else format_lsn(self.written)


def consistency_of(state: Any) -> Consistency:
    """The request's Consistency from ``request.state`` (a fresh one outside the middleware:
    tests that call an app without it)."""
    found = getattr(state, _STATE_KEY, None)
    if isinstance(found, Consistency):
        return found
    created = Consistency()
    with contextlib.suppress(AttributeError):
        setattr(state, _STATE_KEY, created)
    return created


def _replicated(state: Any) -> Databases | None:
    found = getattr(state, "databases", None)
    return found if isinstance(found, Databases) and found.has_replicas else None


async def reads_from(state: Any, *, writes: bool) -> AsyncEngine | None:
    """Where a request reads, decided here for both transports: None for the primary (one
    database, or a request that writes: its reads see its writes), else what
    Databases.reader picks for the caller's token (a replica, or the primary)."""
    databases = _replicated(state)
    consistency = consistency_of(state)
    if databases is None or writes or consistency.on_primary:
        return None
    engine = await databases.reader(after=consistency.after)
    if consistency.after is not None and engine is databases.primary:
        consistency.on_primary = True
    return engine


async def reading_engine(state: Any, primary: AsyncEngine, *, writes: bool) -> AsyncEngine:
    """The engine a request's reads run on (:func:`reads_from`, else ``primary``), in
    AUTOCOMMIT: reads outside a unit of work need no BEGIN and COMMIT round trips."""
    return autocommit(await reads_from(state, writes=writes) or primary)


async def committed(state: Any) -> None:
    """After a request's commit on the primary: its answer carries the token of it."""
    databases = _replicated(state)
    if databases is not None:
        consistency_of(state).wrote(await databases.written())


def add_token(scope: Scope, message: Message) -> None:
    """After a write, the token of it on the ``http.response.start`` of the request's answer.
    Called by ObserveRequests' send wrapper (observability.requests) for every answer but
    the 500 of an exception that escaped and the 503 replacing an answer the database failed,
    which never carried one; a request ReadConsistency did not let in has no Consistency."""
    state = scope.get("state")
    consistency = state.get(_STATE_KEY) if state is not None else None
    if consistency is not None and consistency.written is not None:
        set_header(message, _HEADER_KEY, format_lsn(consistency.written))


def _refusal(scope: Scope, raw: str) -> Response:
    message = (
        f"{HEADER_NAME} must be the value of an earlier answer's {HEADER_NAME} header,"
        f" e.g. 0/16B3748 (got {raw[:40]!r})"
    )
    return refusal(scope, OrgqlError(Codes.INVALID_INPUT, message, HEADER_NAME), 400, BAD_REQUEST)


class ReadConsistency:
    """Reads the caller's token into the request's state and refuses a malformed one; the
    token of the request's writes goes on its answer by :func:`add_token`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        consistency = Consistency()
        raw = header(scope, _HEADER_KEY)
        if raw is not None:
            try:
                consistency.after = parse_lsn(raw)
            except ValueError:
                await _refusal(scope, raw)(scope, receive, send)
                return
        scope.setdefault("state", {})[_STATE_KEY] = consistency
        await self.app(scope, receive, send)
