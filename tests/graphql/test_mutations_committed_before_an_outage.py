"""An operation's mutation fields run one after the other, each in a transaction of its own.
When the database fails one of them (unavailable, or a statement it cancelled) after another
committed, the answer says what was done: 200, the committed fields' payloads, the failed
fields null with the 503's code and message. A 503 would have the client send the whole
operation again and make the committed changes twice. With nothing committed the answer is
the 503 as before (tests/test_database_timeouts.py, tests/test_database_outage.py).

The database fails on cue: another transaction holds organization 100001's row, and a
create under it waits for that lock until the server (ORGQL_DB_LOCK_TIMEOUT_SECONDS) or the
driver (ORGQL_DB_COMMAND_TIMEOUT_SECONDS) gives up."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import httpx
import pytest
from commit_failures import (
    LOCKED_PARENT,
    create,
    gateway_with,
    mutation,
    names_created,
    parent_row_held,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from orgql.observability.logs import ACCESS_LOGGER

#: Each outage: the settings that make a wait on the held lock fail, the 503's code and the
#: start of its message.
OUTAGES = {
    # The driver gives up waiting for the statement's answer: the database unavailable.
    "no_answer": (
        {"db_command_timeout_seconds": 1, "db_lock_timeout_seconds": 60},
        "unavailable",
        "The database is unavailable (the database did not answer in time); retry later.",
    ),
    # The server cancels the statement waiting for the lock (SQLSTATE 55P03).
    "lock_timeout": (
        {"db_statement_timeout_seconds": 30, "db_lock_timeout_seconds": 0.1},
        "STATEMENT_TIMEOUT",
        "The database cancelled the request's work (a lock the request needs was held by"
        " another transaction for too long); retry later.",
    ),
}


@pytest.fixture(params=list(OUTAGES), ids=list(OUTAGES))
def outage(request: pytest.FixtureRequest) -> tuple[dict[str, Any], str, str]:
    return OUTAGES[request.param]


@pytest.fixture
async def gateway(
    database_url: str,
    outage: tuple[dict[str, Any], str, str],
    client_for: Callable[[Any, Mapping[str, Any]], httpx.AsyncClient],
) -> AsyncIterator[httpx.AsyncClient]:
    """An admin client of an app on its own engine, whose waits on a lock fail (``outage``)."""
    async with gateway_with(database_url, client_for, **outage[0]) as client:
        yield client


@pytest.fixture
async def parent_locked(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """Organization 100001's row locked by another transaction until the test ends."""
    async with parent_row_held(engine) as holder:
        yield holder


def _assert_failed_field(error: dict[str, Any], path: list[str], code: str, message: str) -> None:
    assert error["path"] == path
    assert error["message"] == message
    assert error["extensions"]["code"] == code
    assert "committed" not in error["extensions"]  # failed before committing: may be resent
    # The reference of the warning logged for it (graphql.errors).
    assert re.fullmatch(r"[0-9a-f]{16}", error["extensions"]["reference"])


async def test_a_later_field_failing_for_the_database_answers_what_the_earlier_committed(
    gateway: httpx.AsyncClient,
    parent_locked: AsyncConnection,
    engine: AsyncEngine,
    outage: tuple[dict[str, Any], str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, code, message = outage
    document = mutation(create("first", "Alpha"), create("second", "Beta", LOCKED_PARENT))

    with caplog.at_level(logging.INFO):
        response = await gateway.post("/graphql", json=document)
    await parent_locked.rollback()

    assert response.status_code == 200, response.text
    # Retry-After would invite sending the operation again: only its failed fields may be.
    assert "retry-after" not in response.headers
    body = response.json()
    assert body["data"] == {
        "first": {"organization": {"name": "Alpha"}, "userErrors": []},
        "second": None,
    }
    [error] = body["errors"]
    _assert_failed_field(error, ["second"], code, message)
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert f"(reference {error['extensions']['reference']}) at ['second']" in warning
    assert await names_created(engine, "Alpha", "Beta") == ["Alpha"]
    # Counted as what it is: the database failed the request (metrics, access log).
    line = [r for r in caplog.records if r.name == ACCESS_LOGGER][-1]
    assert (line.status, line.outcome, line.error_codes) == (200, "unavailable", [code])  # type: ignore[attr-defined]


async def test_a_field_committing_after_one_the_database_failed_is_answered_too(
    gateway: httpx.AsyncClient,
    parent_locked: AsyncConnection,
    engine: AsyncEngine,
    outage: tuple[dict[str, Any], str, str],
) -> None:
    """The first field failed, the next one committed: a 503 would have it made twice."""
    _, code, message = outage
    document = mutation(create("first", "Beta", LOCKED_PARENT), create("second", "Alpha"))

    response = await gateway.post("/graphql", json=document)
    await parent_locked.rollback()

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] == {
        "first": None,
        "second": {"organization": {"name": "Alpha"}, "userErrors": []},
    }
    [error] = body["errors"]
    _assert_failed_field(error, ["first"], code, message)
    assert await names_created(engine, "Alpha", "Beta") == ["Alpha"]


async def test_with_nothing_committed_the_answer_is_the_503_as_before(
    gateway: httpx.AsyncClient,
    parent_locked: AsyncConnection,
    engine: AsyncEngine,
    outage: tuple[dict[str, Any], str, str],
) -> None:
    _, code, message = outage
    document = mutation(
        create("first", "Beta", LOCKED_PARENT), create("second", "Gamma", LOCKED_PARENT)
    )

    response = await gateway.post("/graphql", json=document)
    await parent_locked.rollback()

    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": code}  # no path, no reference: the whole request's
    # The reason may differ: the request's first (the engine calls a statement the driver
    # gave up on a connection lost), where a field's error names its own failure.
    assert error["message"].startswith(message.split(" (")[0] + " (")
    assert await names_created(engine, "Beta", "Gamma") == []


async def test_a_batch_whose_later_operation_the_database_failed_answers_the_earlier_one(
    gateway: httpx.AsyncClient,
    parent_locked: AsyncConnection,
    engine: AsyncEngine,
    outage: tuple[dict[str, Any], str, str],
) -> None:
    _, code, message = outage
    batch = [
        mutation(create("first", "Alpha")),
        mutation(create("second", "Beta", LOCKED_PARENT)),
    ]

    response = await gateway.post("/graphql", json=batch)
    await parent_locked.rollback()

    assert response.status_code == 200, response.text
    first, second = response.json()
    assert first == {"data": {"first": {"organization": {"name": "Alpha"}, "userErrors": []}}}
    assert second["data"] == {"second": None}
    [error] = second["errors"]
    _assert_failed_field(error, ["second"], code, message)
    assert await names_created(engine, "Alpha", "Beta") == ["Alpha"]


async def test_a_retry_with_the_same_idempotency_key_gets_the_same_answer_and_changes_nothing(
    gateway: httpx.AsyncClient, parent_locked: AsyncConnection, engine: AsyncEngine
) -> None:
    document = mutation(create("first", "Alpha"), create("second", "Beta", LOCKED_PARENT))
    headers = {"Idempotency-Key": "partial-1"}

    response = await gateway.post("/graphql", json=document, headers=headers)
    await parent_locked.rollback()
    retried = await gateway.post("/graphql", json=document, headers=headers)

    assert response.status_code == retried.status_code == 200
    assert retried.json() == response.json()
    assert await names_created(engine, "Alpha", "Beta") == ["Alpha"]


@pytest.fixture
async def documents_locked(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """The persisted documents' table locked by another transaction until the test ends: a
    lookup of a document waits for it until the database (or the driver) gives up."""
    async with engine.connect() as holder:
        await holder.execute(text("LOCK TABLE persisted_documents IN ACCESS EXCLUSIVE MODE"))
        yield holder
        await holder.rollback()


async def test_a_batch_whose_later_persisted_document_the_database_failed_answers_the_earlier(
    gateway: httpx.AsyncClient,
    documents_locked: AsyncConnection,
    engine: AsyncEngine,
    outage: tuple[dict[str, Any], str, str],
) -> None:
    """The later operation's document could not be read: that operation's error, not a 503
    of the whole batch (its Retry-After would have the committed operation sent again)."""
    _, code, message = outage
    unknown = {"version": 1, "sha256Hash": "ab" * 32}
    batch = [mutation(create("first", "Alpha")), {"extensions": {"persistedQuery": unknown}}]

    response = await gateway.post("/graphql", json=batch)
    await documents_locked.rollback()

    assert response.status_code == 200, response.text
    assert "retry-after" not in response.headers
    first, second = response.json()
    assert first == {"data": {"first": {"organization": {"name": "Alpha"}, "userErrors": []}}}
    assert second["data"] is None
    [error] = second["errors"]
    assert error["extensions"]["code"] == code
    assert error["message"].startswith(message.split(" (")[0] + " (")
    assert await names_created(engine, "Alpha") == ["Alpha"]


async def test_a_persisted_document_the_database_failed_alone_is_the_503_as_before(
    gateway: httpx.AsyncClient,
    documents_locked: AsyncConnection,
    outage: tuple[dict[str, Any], str, str],
) -> None:
    _, code, _ = outage
    unknown = {"version": 1, "sha256Hash": "cd" * 32}

    response = await gateway.post("/graphql", json={"extensions": {"persistedQuery": unknown}})
    await documents_locked.rollback()

    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert response.json()["errors"][0]["extensions"] == {"code": code}


async def test_a_batch_operation_refused_after_an_earlier_one_committed_answers_what_was_done(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """A later operation refused as a request would be (no operation of the name asked): its
    error, not a 400 of the whole batch that says nothing of the committed one (whose
    caller would correct the batch and send it again, making that change twice)."""
    batch = [
        mutation(create("first", "Alpha")),
        {"query": "query Sites { sites { id } }", "operationName": "Nope"},
    ]

    response = await client.post("/graphql", json=batch)

    assert response.status_code == 200, response.text
    first, second = response.json()
    assert first == {"data": {"first": {"organization": {"name": "Alpha"}, "userErrors": []}}}
    assert second == {
        "data": None,
        "errors": [
            {"message": 'Unknown operation named "Nope".', "extensions": {"code": "BAD_REQUEST"}}
        ],
    }
    assert await names_created(engine, "Alpha") == ["Alpha"]


async def test_a_batch_operation_refused_with_nothing_committed_is_the_400_as_before(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    batch = [
        {"query": "query Sites { sites { id } }"},
        {"query": "query Sites { sites { id } }", "operationName": "Nope"},
        mutation(create("third", "Alpha")),
    ]

    response = await client.post("/graphql", json=batch)

    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert await names_created(engine, "Alpha") == []
