"""The database failing to keep an automatic persisted query's document does not fail the
operation that already ran (graphql.persisted.PersistedDocuments.register): its answer is
sent, over HTTP and over WebSocket, and the failure is logged as one warning. asyncpg raises
a refused or silent connect unwrapped (``ConnectionRefusedError``, ``TimeoutError``), not as
SQLAlchemy's error: HTTP answered 500 ``internal``, and WebSocket sent a bare ``complete``
without the ``next`` holding the data. And a failure the engine reports to the request (a
statement the server cancelled) no longer has the middleware replace the answer with a 503.
Nor does the server refusing the statement for the database's state, not the statement's
(a read-only transaction, a disk full): those were re-raised, answered 500 ``internal``.

The store's database is really out of reach: the requests' sessionmaker (the lifespan state
the app reads) is on a port that refuses or never answers, and the operation, ``{ __typename
}``, needs no database of its own."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from commit_failures import gateway_with, holding
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Receive, Scope, Send
from test_subscriptions import GUARD, PROTOCOL, admin_token, running

from orgql.app import create_app
from orgql.db.engine import make_engine, make_sessionmaker
from orgql.settings import Settings

TYPENAME = "{ __typename }"
ANSWER = {"data": {"__typename": "Query"}}
EXTENSIONS = {
    "persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(TYPENAME.encode()).hexdigest()}
}
WITH_TEXT = {"query": TYPENAME, "extensions": EXTENSIONS}


@pytest.fixture(params=["refusing", "silent"])
async def out_of_reach(
    request: pytest.FixtureRequest, silent_port: int
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A sessionmaker on a database that refuses connections, or never answers them."""
    port = 9 if request.param == "refusing" else silent_port
    engine = make_engine(f"postgresql://nobody@127.0.0.1:{port}/none", connect_timeout=0.5)
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


@contextmanager
def warnings_of(caplog: pytest.LogCaptureFixture) -> Iterator[list[logging.LogRecord]]:
    records: list[logging.LogRecord] = []
    caplog.set_level(logging.WARNING, logger="orgql.graphql")
    yield records
    records.extend(r for r in caplog.records if r.name == "orgql.graphql")


def _assert_one_warning(records: list[logging.LogRecord], *, saying: str = "") -> None:
    [record] = records
    assert record.levelno == logging.WARNING
    assert record.exc_info is None  # the database's failure, no bug: no traceback
    assert record.getMessage().startswith(
        f"persisted document {EXTENSIONS['persistedQuery']['sha256Hash']} not registered: "
    )
    assert saying in record.getMessage()
    assert TYPENAME not in record.getMessage()  # the hash, never the document's text


@asynccontextmanager
async def _client(
    settings: Settings,
    engine: AsyncEngine,
    client_for: Callable[[Any, Mapping[str, Any]], httpx.AsyncClient],
    store: async_sessionmaker[AsyncSession] | None = None,
) -> AsyncIterator[httpx.AsyncClient]:
    """An admin client of an app on ``engine``; ``store``: its requests' sessionmaker (the
    persisted documents' store among them) instead of the app's."""
    app = create_app(settings, engine=engine)
    async with app.router.lifespan_context(app) as state:
        requests_state = {**(state or {})}
        if store is not None:
            requests_state["sessionmaker"] = store
        async with client_for(app, requests_state) as client:
            yield client


async def test_over_http_the_answer_is_sent_when_its_document_cannot_be_kept(
    settings: Settings,
    engine: AsyncEngine,
    client_for: Callable[[Any, Mapping[str, Any]], httpx.AsyncClient],
    out_of_reach: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with _client(settings, engine, client_for, store=out_of_reach) as client:
        with warnings_of(caplog) as records:
            response = await client.post("/graphql", json=WITH_TEXT)

    assert (response.status_code, response.json()) == (200, ANSWER)
    _assert_one_warning(records)


class _StoreOutOfReach:
    """The app, its requests' and WebSocket connections' sessionmaker ``out_of_reach``."""

    def __init__(self, app: ASGIApp, out_of_reach: async_sessionmaker[AsyncSession]) -> None:
        self.app, self.out_of_reach = app, out_of_reach

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = {**scope, "state": {**scope["state"], "sessionmaker": self.out_of_reach}}
        await self.app(scope, receive, send)


async def test_over_websocket_the_next_is_sent_when_its_document_cannot_be_kept(
    settings: Settings,
    engine: AsyncEngine,
    out_of_reach: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The ``next`` with the data, then ``complete``; a bare ``complete`` before."""
    app = _StoreOutOfReach(create_app(settings, engine=engine), out_of_reach)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, ws="websockets-sansio", lifespan="on", log_config=None
    )
    async with running(config) as server:
        port = server.servers[0].sockets[0].getsockname()[1]
        url = f"ws://127.0.0.1:{port}/graphql"
        async with websockets.connect(url, subprotocols=[PROTOCOL]) as connection:  # type: ignore[list-item]
            payload = {"Authorization": f"Bearer {admin_token(settings)}"}
            await connection.send(json.dumps({"type": "connection_init", "payload": payload}))
            ack = json.loads(await asyncio.wait_for(connection.recv(), GUARD))
            with warnings_of(caplog) as records:
                subscribe = {"id": "1", "type": "subscribe", "payload": WITH_TEXT}
                await connection.send(json.dumps(subscribe))
                messages = [json.loads(await asyncio.wait_for(connection.recv(), GUARD))]
                while messages[-1]["type"] not in ("complete", "error"):
                    messages.append(json.loads(await asyncio.wait_for(connection.recv(), GUARD)))

    assert ack == {"type": "connection_ack"}
    assert messages == [
        {"id": "1", "type": "next", "payload": ANSWER},
        {"id": "1", "type": "complete"},
    ]
    _assert_one_warning(records)


async def test_a_cancelled_registration_does_not_turn_the_answer_into_a_503(
    database_url: str,
    engine: AsyncEngine,
    client_for: Callable[[Any, Mapping[str, Any]], httpx.AsyncClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The documents' table locked by another transaction: the registration waits past the
    lock timeout, and the server cancels it. The engine marked the request as failed by the
    database, and the middleware answered the query's 200 with a 503 (Retry-After: run it
    again) instead; a failure to keep the document fails no answer."""
    lock = "LOCK TABLE persisted_documents IN ACCESS EXCLUSIVE MODE"
    async with (
        gateway_with(database_url, client_for, db_lock_timeout_seconds=0.1) as gateway,
        holding(engine, lock),
    ):
        with warnings_of(caplog) as records:
            response = await gateway.post("/graphql", json=WITH_TEXT)

    assert (response.status_code, response.json()) == (200, ANSWER)
    assert "retry-after" not in response.headers
    _assert_one_warning(records)


async def test_a_registration_failing_for_a_bug_is_no_database_failure(
    settings: Settings,
    engine: AsyncEngine,
    server: Any,
    client_for: Callable[[Any, Mapping[str, Any]], httpx.AsyncClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Only the database's failures are let go: the store on a database without its table
    (a statement PostgreSQL refuses, SQLAlchemy's error as the outages' are) is a bug,
    answered 500 and logged with its traceback, not a warning passed over."""
    name = f"orgql_unmigrated_{uuid.uuid4().hex[:8]}"
    await server.create_database(name)
    unmigrated = make_engine(server.database_url(name))
    try:
        store = make_sessionmaker(unmigrated)
        async with _client(settings, engine, client_for, store=store) as client:
            caplog.set_level(logging.WARNING)
            response = await client.post("/graphql", json=WITH_TEXT)
    finally:
        await unmigrated.dispose()
        await server.drop_database(name)

    assert response.status_code == 500, response.text
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["internal"]
    assert not any("not registered" in r.getMessage() for r in caplog.records)
    assert any(r.levelno == logging.ERROR and r.exc_info for r in caplog.records)


async def test_a_read_only_database_does_not_cost_the_answer(
    settings: Settings,
    engine: AsyncEngine,
    database_url: str,
    client_for: Callable[[Any, Mapping[str, Any]], httpx.AsyncClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The store's connections read-only, as on a standby after a failover: the server
    refuses the INSERT (25006), which expected_failure does not name; it was raised, and
    the query that had answered was answered 500 ``internal`` (review3's repro)."""
    read_only = make_engine(database_url)

    @event.listens_for(read_only.sync_engine, "connect")
    def _read_only(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.run_async(
            lambda connection: connection.execute("SET default_transaction_read_only = on")
        )

    try:
        store = make_sessionmaker(read_only)
        async with _client(settings, engine, client_for, store=store) as client:
            with warnings_of(caplog) as records:
                response = await client.post("/graphql", json=WITH_TEXT)
    finally:
        await read_only.dispose()

    assert (response.status_code, response.json()) == (200, ANSWER)
    _assert_one_warning(records, saying="sqlstate=25006")


async def _refusing(engine: AsyncEngine, sqlstate: str) -> None:
    """The documents' table refusing every insert with ``sqlstate``, its message quoting the
    document (which no log may repeat)."""
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "CREATE FUNCTION refuse_document() RETURNS trigger LANGUAGE plpgsql AS $$"
                f" BEGIN RAISE EXCEPTION 'refused %', NEW.document USING ERRCODE = '{sqlstate}';"
                " END $$"
            )
        )
        await connection.execute(
            text(
                "CREATE TRIGGER refuse_document BEFORE INSERT ON persisted_documents"
                " FOR EACH ROW EXECUTE FUNCTION refuse_document()"
            )
        )


@pytest.mark.parametrize(
    "sqlstate",
    [
        "53100",  # disk_full
        "58030",  # io_error
        "XX001",  # data_corrupted
        "55000",  # object_not_in_prerequisite_state
    ],
)
async def test_a_refusal_for_the_database_s_state_does_not_cost_the_answer(
    sqlstate: str,
    settings: Settings,
    engine: AsyncEngine,
    client_for: Callable[[Any, Mapping[str, Any]], httpx.AsyncClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    await _refusing(engine, sqlstate)
    async with _client(settings, engine, client_for) as client:
        with warnings_of(caplog) as records:
            response = await client.post("/graphql", json=WITH_TEXT)

    assert (response.status_code, response.json()) == (200, ANSWER)
    _assert_one_warning(records, saying=f"sqlstate={sqlstate}")


@pytest.mark.parametrize(
    "sqlstate",
    [
        "23514",  # check_violation: our size bound and the table's disagree
        "22001",  # string_data_right_truncation
        "42501",  # insufficient_privilege
    ],
)
async def test_a_refusal_of_the_statement_itself_is_a_bug(
    sqlstate: str,
    settings: Settings,
    engine: AsyncEngine,
    client_for: Callable[[Any, Mapping[str, Any]], httpx.AsyncClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """As a table missing (above): a statement any database of our schema would refuse."""
    await _refusing(engine, sqlstate)
    async with _client(settings, engine, client_for) as client:
        caplog.set_level(logging.WARNING)
        response = await client.post("/graphql", json=WITH_TEXT)

    assert response.status_code == 500, response.text
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["internal"]
    assert not any("not registered" in r.getMessage() for r in caplog.records)
    assert any(r.levelno == logging.ERROR and r.exc_info for r in caplog.records)
