"""Probes: ``/healthz`` (the process answers) and ``/readyz`` (it can do its work).

Ready means the database answers within the connect / command timeouts AND its schema is
at the migration scripts' head(s): a gateway started against an unmigrated database is
alive but not ready. Failures answer 503 with the reason, never a traceback.
"""

from __future__ import annotations

import asyncio

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from orgql.db.migrate import alembic_config
from orgql.observability.database import NO_ANSWER, unavailability
from orgql.settings import Settings


def script_heads() -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


class FixedAnswer:
    """An ASGI app that sends ``response`` to every request, its headers and body built once:
    ``/healthz``'s answer never changes, and built per request (a Request, Starlette's
    exception wrappers, json.dumps, the header list) it cost about 20,000 instructions of
    each probe (issue 16). Routed with ``methods``: other methods still answer 405."""

    def __init__(self, response: Response) -> None:
        self.status = response.status_code
        self.headers = response.raw_headers
        self.body = response.body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A copy of the headers: the middlewares outside add theirs to the list they get.
        start = {"type": "http.response.start", "status": self.status, "headers": [*self.headers]}
        await send(start)
        await send({"type": "http.response.body", "body": self.body})


#: The liveness probe: the process answers.
healthz = FixedAnswer(JSONResponse({"status": "ok"}))


async def database_problem(engine: AsyncEngine, settings: Settings) -> str | None:
    """Why the database cannot serve requests now, or None when it can."""
    try:
        # Bounded as a whole: a server that accepts and never answers must not hang us.
        async with asyncio.timeout(settings.db_connect_timeout_seconds * 2):
            async with engine.connect() as connection:
                try:
                    rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
                except ProgrammingError:
                    return "the database has no schema: run `orgql migrate`"
                current = frozenset(row[0] for row in rows)
    except (DBAPIError, PoolTimeoutError, OSError, TimeoutError) as error:
        # PoolTimeoutError: every pooled connection busy past ORGQL_DB_POOL_TIMEOUT_SECONDS
        # (SQLAlchemy's, neither a DBAPIError nor the builtin TimeoutError). A TimeoutError
        # not the driver's is the bound above: the database did not answer within it.
        reason = unavailability(error) or (
            NO_ANSWER if isinstance(error, TimeoutError) else type(error).__name__
        )
        return f"database unavailable: {reason}"
    expected = script_heads()
    if current != expected:
        have = ", ".join(sorted(current)) or "none"
        want = ", ".join(sorted(expected))
        return f"database schema at revision {have}, expected {want}: run `orgql migrate`"
    return None


async def readyz(request: Request) -> Response:
    engine: AsyncEngine = request.state.engine
    settings: Settings = request.state.settings
    problem = await database_problem(engine, settings)
    if problem is not None and problem.startswith("database unavailable"):
        # A pooled connection from before a database restart fails once, and SQLAlchemy then
        # replaces the pool's connections: ask again so the probe tells the present state.
        problem = await database_problem(engine, settings)
    if problem is not None:
        return JSONResponse({"status": "unavailable", "reason": problem}, status_code=503)
    return JSONResponse({"status": "ok"})
