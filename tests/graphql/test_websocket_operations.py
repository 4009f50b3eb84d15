"""Queries and mutations over graphql-transport-ws (the subscriptions' WebSocket): the
operations of one connection run independently of each other, as HTTP requests do, and a
database failure is answered as over HTTP (``unavailable``, ``STATEMENT_TIMEOUT``), not as a
bug. A real uvicorn server on loopback (test_subscriptions), plain ``websockets`` clients;
an operation is held in the database by a table lock the test takes, never by a clock."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import websockets
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from test_subscriptions import (
    GUARD,
    LiveServer,
    _closed,
    _init,
    _serve,
    _signed_in,
    _waiting_on_lock,
)

from graphql_client import gid
from orgql.db.engine import make_engine
from orgql.graphql.websocket import PROFILE_UNREAD, TRY_AGAIN_LATER
from orgql.settings import Settings

UPDATE = (
    'mutation { updateOrganization(id: "100001", input: {description: "changed meanwhile"})'
    " { userErrors { code } } }"
)
#: Read by a SQL plan on a connection of its own (graphql.execution.sql_plans).
ORGANIZATION = '{ organization(id: "100002") { id name } }'
#: Read by a resolver on the operation's session (graphql.context.Context.run).
SITES = "{ sites { id } }"
#: An automatic persisted query by its hash alone: its document is read from the database.
PERSISTED = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
ALL_SITES = {"sites": [{"id": gid(site, "Site")} for site in ("site1", "site2", "siteUS")]}


@pytest.fixture
async def live(settings: Settings, engine: AsyncEngine) -> AsyncIterator[LiveServer]:
    async for server in _serve(settings, engine):
        yield server


async def _send(
    connection: websockets.ClientConnection, id: str, query: str | None, **payload: Any
) -> None:
    message = {"id": id, "type": "subscribe", "payload": {"query": query, **payload}}
    await connection.send(json.dumps(message))


async def _answer(connection: websockets.ClientConnection, id: str) -> dict[str, Any]:
    """The payload of operation ``id``'s one ``next``, read up to its ``complete``; the
    connection's other messages must not come meanwhile."""
    answer = json.loads(await asyncio.wait_for(connection.recv(), GUARD))
    assert (answer["id"], answer["type"]) == (id, "next"), answer
    complete = json.loads(await asyncio.wait_for(connection.recv(), GUARD))
    assert complete == {"id": id, "type": "complete"}
    payload: dict[str, Any] = answer["payload"]
    return payload


async def test_an_operation_ending_leaves_the_others_of_its_connection_running(
    live: LiveServer, engine: AsyncEngine
) -> None:
    """A query answered while a mutation of the same connection waits for a lock: its end
    closed the session the mutation was writing on (one context for the connection), and
    the mutation failed with an internal error."""
    connection = await _signed_in(live)
    async with engine.connect() as locker:
        await locker.execute(text("LOCK TABLE organizations IN SHARE MODE"))
        await _send(connection, "write", UPDATE)
        await asyncio.wait_for(_waiting_on_lock(locker, "organizations"), GUARD)
        await _send(connection, "read", ORGANIZATION)
        read = await _answer(connection, "read")
        await locker.rollback()
    written = await _answer(connection, "write")
    await connection.close()

    assert read == {"data": {"organization": {"id": gid("100002"), "name": "Sample East"}}}
    assert written == {"data": {"updateOrganization": {"userErrors": []}}}
    async with engine.connect() as reader:
        stored = await reader.scalar(
            text("SELECT description FROM organizations WHERE id = '100001'")
        )
    assert stored == "changed meanwhile"


async def test_an_operation_does_not_wait_for_another_of_its_connection(
    live: LiveServer, engine: AsyncEngine
) -> None:
    """A query sent while a mutation of the same connection waits for a lock is answered
    meanwhile: it waited for the mutation's session (one context for the connection)."""
    connection = await _signed_in(live)
    async with engine.connect() as locker:
        await locker.execute(text("LOCK TABLE organizations IN SHARE MODE"))
        await _send(connection, "write", UPDATE)
        await asyncio.wait_for(_waiting_on_lock(locker, "organizations"), GUARD)
        await _send(connection, "read", SITES)
        read = await _answer(connection, "read")
        await locker.rollback()
    written = await _answer(connection, "write")
    await connection.close()

    assert read == {"data": ALL_SITES}
    assert written == {"data": {"updateOrganization": {"userErrors": []}}}


async def test_no_database_connection_is_answered_unavailable_over_websocket(
    settings: Settings, database_url: str
) -> None:
    """Every pooled connection taken: each operation's field is answered the error of the
    HTTP path's 503 (code ``unavailable``), not an internal error, and so is an operation
    whose persisted document could not be read (the connection ended with the exception);
    the connection stays open, and its next operation reads once a connection is free."""
    small = make_engine(database_url, pool_size=1, pool_timeout=0.2)
    quiet = settings.model_copy(update={"webhook_dispatcher": False})
    unavailable = (
        "The database is unavailable (no database connection became free in time); retry later."
    )
    try:
        async for live in _serve(quiet, small):
            connection = await _signed_in(live)
            async with small.connect(), small.connect():  # the pool taken
                await _send(connection, "resolvers", SITES)
                resolvers = await _answer(connection, "resolvers")
                await _send(connection, "plan", ORGANIZATION)
                plan = await _answer(connection, "plan")
                await _send(connection, "persisted", None, extensions=PERSISTED)
                persisted = json.loads(await asyncio.wait_for(connection.recv(), GUARD))
            await _send(connection, "again", SITES)
            again = await _answer(connection, "again")
            await connection.close()
    finally:
        await small.dispose()

    for payload, field in ((resolvers, "sites"), (plan, "organization")):
        [error] = payload["errors"]
        assert (error["message"], error["path"]) == (unavailable, [field])
        assert set(error["extensions"]) == {"code", "reference"}
        assert error["extensions"]["code"] == "unavailable"
    assert persisted == {
        "id": "persisted",
        "type": "error",
        "payload": [{"message": unavailable, "extensions": {"code": "unavailable"}}],
    }
    assert again == {"data": ALL_SITES}


async def test_a_persisted_document_s_lookup_holds_up_no_other_message_of_its_connection(
    live: LiveServer, engine: AsyncEngine
) -> None:
    """A subscribe naming a persisted document by its hash alone waits for the database (the
    documents' table locked): a ping sent meanwhile is answered at once, and the subscribe
    as ever once the lookup ends. The lookup ran in the loop reading the connection's
    messages: the ping waited for it (in an outage, up to ORGQL_DB_POOL_TIMEOUT_SECONDS)."""
    connection = await _signed_in(live)
    messages = []
    async with engine.connect() as locker:
        await locker.execute(text("LOCK TABLE persisted_documents IN ACCESS EXCLUSIVE MODE"))
        await _send(connection, "persisted", None, extensions=PERSISTED)
        await asyncio.wait_for(_waiting_on_lock(locker, "persisted_documents"), GUARD)
        await connection.send(json.dumps({"type": "ping"}))
        with contextlib.suppress(TimeoutError):  # only a ping held up by the lookup
            messages.append(json.loads(await asyncio.wait_for(connection.recv(), GUARD)))
        await locker.rollback()
    while len(messages) < 2:
        messages.append(json.loads(await asyncio.wait_for(connection.recv(), GUARD)))
    await connection.close()

    not_found = {
        "message": "PersistedQueryNotFound",
        "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
    }
    assert messages == [
        {"type": "pong"},
        {"id": "persisted", "type": "error", "payload": [not_found]},
    ]


async def test_a_statement_the_database_cancels_is_answered_statement_timeout_over_websocket(
    settings: Settings, engine: AsyncEngine
) -> None:
    """A mutation waits for a lock past ORGQL_DB_LOCK_TIMEOUT_SECONDS: answered with the
    HTTP path's code, STATEMENT_TIMEOUT (retry later), not an internal error."""
    impatient = settings.model_copy(
        update={"db_lock_timeout_seconds": 0.2, "webhook_dispatcher": False}
    )
    async for live in _serve(impatient, None):  # the app's engine, with that lock timeout
        connection = await _signed_in(live)
        async with engine.connect() as locker:
            await locker.execute(text("LOCK TABLE organizations IN SHARE MODE"))
            await _send(connection, "write", UPDATE)
            written = await _answer(connection, "write")
            await locker.rollback()
        await connection.close()

    [error] = written["errors"]
    assert error["extensions"]["code"] == "STATEMENT_TIMEOUT"
    assert error["message"].startswith("The database cancelled the request's work (")
    assert error["path"] == ["updateOrganization"]


async def test_a_shopper_whose_profile_the_database_fails_to_find_is_told_to_come_back(
    settings: Settings, database_url: str, identity_provider: Any
) -> None:
    """connection_init's shopper token names its profile by email, looked up in the
    database, which has no connection free: closed with 1013 Try Again Later, as the HTTP
    path answers 503, not 4403 Forbidden (a token not accepted, which a client drops)."""
    small = make_engine(database_url, pool_size=1, pool_timeout=0.2)
    by_email = settings.model_copy(
        update={
            "shopper_identity_claim": "email",
            "shopper_identity_match": "email",
            "webhook_dispatcher": False,
        }
    )
    token = identity_provider.token("anyone", email="shelly.smith@example.com", email_verified=True)
    try:
        async for live in _serve(by_email, small):
            async with small.connect(), small.connect():  # the pool taken
                connection = await _init(live, {"Authorization": f"Bearer {token}"})
                code, messages = await _closed(connection)
            again = await _init(live, {"Authorization": f"Bearer {token}"})
            ack = json.loads(await asyncio.wait_for(again.recv(), GUARD))
            await again.close()
    finally:
        await small.dispose()

    assert (code, messages) == (TRY_AGAIN_LATER, [])
    assert connection.close_reason == PROFILE_UNREAD
    assert ack == {"type": "connection_ack"}


async def test_documents_and_variables_over_the_limits_are_refused_over_websocket(
    live: LiveServer,
) -> None:
    """As over HTTP (tests/auth/test_validation_bounds.py): before graphql-core's
    validation compares the repeated fields in pairs, or coerces the list."""
    connection = await _signed_in(live)
    repeated = "{" + " sites { id }" * 400 + " }"
    nodes = "query($i: [ID!]!) { nodes(ids: $i) { id } }"
    await _send(connection, "1", repeated)
    await _send(connection, "2", nodes, variables={"i": ["1"] * 1001})
    answers = [json.loads(await asyncio.wait_for(connection.recv(), GUARD)) for _ in range(2)]
    await connection.close()

    refusals = {
        answer["id"]: (answer["type"], [e["extensions"]["code"] for e in answer["payload"]])
        for answer in answers
    }
    assert refusals == {
        "1": ("error", ["TOO_MANY_REPEATS"]),
        "2": ("error", ["VARIABLES_TOO_LARGE"]),
    }
