"""What a GraphQL operation fails at once for, and what it tries again
(observability.database.no_connection). No connection to be had (none free in the pool:
tests/test_pool_exhausted.py; a new one refused, or not opened within
ORGQL_DB_CONNECT_TIMEOUT_SECONDS) fails the operation's other root fields at once, without
a second wait (graphql.context.Context). One statement failed, its answer not come within
ORGQL_DB_COMMAND_TIMEOUT_SECONDS or its connection ended by the server, is not that: the
other root fields are still tried, on a new connection, without a bug logged for want of
one; and a SQL plan's statement past the command timeout is answered by the compiled plan,
as one the server cancelled is (graphql.execution.sql_plans.SqlPlan.run). Either way the
answer is a 503: the request lost the database (observability.requests)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from types import FrameType
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from orgql.app import create_app
from orgql.db.raw import RawReads
from orgql.graphql.execution import executor as compiled
from orgql.graphql.execution import page_sql
from orgql.observability import database
from orgql.observability.logs import ACCESS_LOGGER
from orgql.settings import Settings

NO_ANSWER = "the database did not answer in time"
#: Root fields each reading on their own, for the resolvers (test_pool_exhausted.py's).
THREE_ROOT_FIELDS = {
    "query": 'query Three { sites { id } organization(id: "100001") { id }'
    ' organizationByKey(uniqueId: "x") { id } }'
}
#: Two root fields the resolvers answer one after the other (the request's one session):
#: ``sites`` first, whose statement waits on the locked table; ``organization`` then.
TWO_ROOT_FIELDS = {"query": 'query Two { sites { id } organization(id: "100001") { id } }'}
ONE = {"query": 'query One { organization(id: "100001") { id name } }'}


class Gateway:
    """An app whose statements the driver gives up on after 1 s (not less: a connection's
    first statements run under it too, on a loaded machine), and no server timeout; the SQL
    statements its engine sends, in order."""

    def __init__(self, client: httpx.AsyncClient, engine: AsyncEngine) -> None:
        self.client = client
        self.statements: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._sent)

    def _sent(self, *args: Any) -> None:
        self.statements.append(args[2])  # (connection, cursor, statement, ...)

    def sent_from(self, table: str) -> bool:
        return any(f"FROM {table}" in statement for statement in self.statements)


@pytest.fixture
async def gateway(
    database_url: str, client_for: Callable[..., httpx.AsyncClient]
) -> AsyncIterator[Gateway]:
    compiled.clear_cache()
    settings = Settings(
        database_url=database_url,
        db_command_timeout_seconds=1,
        db_statement_timeout_seconds=None,
        db_lock_timeout_seconds=None,
        graphql_timeout_seconds=60,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state, client_for(app, state) as client:
        yield Gateway(client, state["engine"])


@asynccontextmanager
async def sites_locked(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """The sites table locked by another transaction until the block ends: a read of it
    waits."""
    async with engine.connect() as holder:
        await holder.execute(text("LOCK TABLE sites IN ACCESS EXCLUSIVE MODE"))
        yield holder
        await holder.rollback()


async def _end_the_waiting_connection(engine: AsyncEngine) -> None:
    """Once a connection of this database waits for a lock, the server ends it."""
    async with engine.connect() as connection:
        for _ in range(1000):
            ended = await connection.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            if ended:
                return
            await connection.rollback()  # pg_stat_activity is a snapshot per transaction
            await asyncio.sleep(0.01)
    raise AssertionError("no connection waited for a lock")


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The errors and tracebacks logged."""
    return [r.getMessage() for r in caplog.records if r.levelno > logging.WARNING or r.exc_info]


def _unavailable(response: httpx.Response) -> str:
    assert response.status_code == 503, response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "unavailable"
    message: str = error["message"]
    return message


async def test_a_root_field_past_the_command_timeout_leaves_the_others_tried(
    gateway: Gateway, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    assert (await gateway.client.post("/graphql", json=TWO_ROOT_FIELDS)).status_code == 200
    gateway.statements.clear()
    caplog.set_level(logging.DEBUG)
    async with sites_locked(engine):
        response = await gateway.client.post("/graphql", json=TWO_ROOT_FIELDS)

    # SQLAlchemy drops a connection whose statement timed out: its reason is the one lost.
    assert _unavailable(response).startswith("The database is unavailable (")
    assert gateway.sent_from("sites")
    assert gateway.sent_from("organizations")
    assert _errors(caplog) == []


async def test_a_root_field_whose_connection_the_server_ends_leaves_the_others_tried(
    gateway: Gateway, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    """The first field's connection ended mid-statement (a restart, a failover,
    pg_terminate_backend): the next field reads on a new connection, rather than fail
    with "Can't reconnect until invalid transaction is rolled back", a bug logged."""
    assert (await gateway.client.post("/graphql", json=TWO_ROOT_FIELDS)).status_code == 200
    gateway.statements.clear()
    caplog.set_level(logging.DEBUG)
    async with sites_locked(engine):
        request = asyncio.ensure_future(gateway.client.post("/graphql", json=TWO_ROOT_FIELDS))
        await _end_the_waiting_connection(engine)
        response = await request

    assert _unavailable(response).startswith("The database is unavailable (")
    assert gateway.sent_from("organizations")
    assert _errors(caplog) == []


async def test_a_sql_plan_statement_past_the_command_timeout_is_answered_by_the_compiled_plan(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """As a statement the server cancelled: the compiled plan's statements may be answered."""

    async def slow(self: page_sql.PagePlan, reads: RawReads, **parameters: Any) -> Any:
        return await reads.all(text("SELECT pg_sleep(60)"))

    monkeypatch.setattr(page_sql.PagePlan, "read", slow)
    caplog.set_level(logging.DEBUG)
    response = await gateway.client.post("/graphql", json=ONE)

    assert response.status_code == 200, response.text
    organization = {"id": "T3JnYW5pemF0aW9uOjEwMDAwMQ", "name": "Sample"}  # Organization:100001
    assert response.json() == {"data": {"organization": organization}}
    [line] = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    assert (line.execution_path, line.fallback_reason) == ("compiled", "statement_failed")  # type: ignore[attr-defined]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [f"SQL plan failed ({NO_ANSWER}); the compiled plan answers"]
    assert _errors(caplog) == []


@pytest.mark.parametrize("server", ["refusing", "silent"])
async def test_root_fields_after_a_connection_refused_or_not_opened_in_time_fail_at_once(
    client_for: Callable[..., httpx.AsyncClient],
    silent_port: int,
    caplog: pytest.LogCaptureFixture,
    server: str,
) -> None:
    """The first root field's connection could not be opened: the others fail with its
    error, without trying to connect again (each would wait and fail alike)."""
    # Port 1 on the loopback interface refuses connections at once.
    port = 1 if server == "refusing" else silent_port
    url = f"postgresql://postgres@127.0.0.1:{port}/unreachable"
    app = create_app(Settings(database_url=url, db_connect_timeout_seconds=0.2))
    attempts: list[object] = []
    async with app.router.lifespan_context(app) as state, client_for(app, state) as client:
        event.listen(state["engine"].sync_engine, "do_connect", lambda *_: attempts.append(_))
        caplog.set_level(logging.DEBUG)
        response = await client.post("/graphql", json=THREE_ROOT_FIELDS)

    assert _unavailable(response).startswith("The database is unavailable (")
    assert len(attempts) == 1
    assert _errors(caplog) == []
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len([r for r in warnings if r.name == "orgql.graphql"]) == 1


#: Nullable root fields of one operation, each failed on its own (as many as aliases may be).
MANY_ROOT_FIELDS = {
    "query": "{ "
    + " ".join(f'k{i}: organizationByKey(uniqueId: "{i}") {{ id }}' for i in range(30))
    + " }"
}


async def test_the_refused_connection_raised_for_every_root_field_is_walked_once(
    client_for: Callable[..., httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Raised again for each of 30 root fields, the refused connection's error has a longer
    traceback each time; telling it for the database's failure walks its traceback once (not
    once per field, each walk longer than the last: quadratic in the fields)."""
    walked: list[int] = []
    walk = database._frames

    def counted(error: BaseException) -> Iterator[FrameType]:
        walked.append(id(error))
        return walk(error)

    monkeypatch.setattr(database, "_frames", counted)
    url = "postgresql://postgres@127.0.0.1:1/unreachable"  # port 1 refuses at once
    app = create_app(Settings(database_url=url))
    async with app.router.lifespan_context(app) as state, client_for(app, state) as client:
        response = await client.post("/graphql", json=MANY_ROOT_FIELDS)

    assert _unavailable(response).startswith("The database is unavailable (")
    assert walked
    assert len(walked) == len(set(walked))
