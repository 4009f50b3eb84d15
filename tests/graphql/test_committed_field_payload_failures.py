"""A mutation field's payload is read after its change committed. When the database fails
that read, the field's error says the change was made (``extensions.committed: true``, and
its message): told to send the failed fields again, a caller would otherwise make it twice
(docs/graphql.md, "Several mutation fields"). A field that failed before committing has no
such mark.

The read fails on cue: another transaction holds the customer accounts' table (which
creating an organization does not write), and the payload's ``customerAccounts`` waits for
it until the server gives up (ORGQL_DB_LOCK_TIMEOUT_SECONDS)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import httpx
import pytest
from commit_failures import gateway_with, holding, names_created
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from test_subscriptions import _serve
from test_websocket_operations import _answer, _send, _signed_in

from orgql.settings import Settings

CANCELLED = (
    "The database cancelled the request's work (a lock the request needs was held by"
    " another transaction for too long); retry later."
)
COMMITTED = (
    " This field's change was committed before the failure: do not send it again; read the"
    " current state instead."
)


@pytest.fixture
async def gateway(
    database_url: str, client_for: Callable[[Any, Mapping[str, Any]], httpx.AsyncClient]
) -> AsyncIterator[httpx.AsyncClient]:
    """An admin client of an app whose waits on a lock fail at once (55P03)."""
    async with gateway_with(
        database_url, client_for, db_statement_timeout_seconds=30, db_lock_timeout_seconds=0.1
    ) as client:
        yield client


@pytest.fixture
async def accounts_locked(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with holding(engine, "LOCK TABLE customer_accounts IN ACCESS EXCLUSIVE MODE") as holder:
        yield holder


def _create(alias: str, name: str, payload: str) -> str:
    return (
        f'{alias}: createOrganization(input: {{name: "{name}"}})'
        f" {{ organization {{ name {payload} }} userErrors {{ code }} }}"
    )


async def test_a_committed_field_whose_payload_read_failed_says_it_committed(
    gateway: httpx.AsyncClient, accounts_locked: AsyncConnection, engine: AsyncEngine
) -> None:
    document = {
        "query": "mutation { " + _create("first", "Alpha", "customerAccounts { id }") + " }"
    }

    response = await gateway.post("/graphql", json=document)
    await accounts_locked.rollback()

    assert response.status_code == 200, response.text
    assert "retry-after" not in response.headers
    body = response.json()
    assert body["data"] == {"first": {"organization": None, "userErrors": []}}
    [error] = body["errors"]
    assert error["path"] == ["first", "organization", "customerAccounts"]
    assert error["message"] == CANCELLED + COMMITTED
    assert error["extensions"]["code"] == "STATEMENT_TIMEOUT"
    assert error["extensions"]["committed"] is True
    assert re.fullmatch(r"[0-9a-f]{16}", error["extensions"]["reference"])
    assert await names_created(engine, "Alpha") == ["Alpha"]


async def test_a_field_after_one_whose_payload_read_failed_runs_as_usual(
    gateway: httpx.AsyncClient, accounts_locked: AsyncConnection, engine: AsyncEngine
) -> None:
    """The failed read was the first statement on the committed field's session after its
    commit, in a transaction the server then aborted: the next field's unit of work reused
    that session and failed ("current transaction is aborted"), an internal error."""
    first = _create("first", "Alpha", "customerAccounts { id }")
    document = {"query": "mutation { " + first + " " + _create("second", "Beta", "") + " }"}

    response = await gateway.post("/graphql", json=document)
    await accounts_locked.rollback()

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] == {
        "first": {"organization": None, "userErrors": []},
        "second": {"organization": {"name": "Beta"}, "userErrors": []},
    }
    [error] = body["errors"]
    assert (error["path"], error["extensions"]["committed"]) == (
        ["first", "organization", "customerAccounts"],
        True,
    )
    assert await names_created(engine, "Alpha", "Beta") == ["Alpha", "Beta"]


async def test_a_committed_field_whose_payload_read_failed_says_it_over_websocket_too(
    settings: Settings, engine: AsyncEngine
) -> None:
    """No HTTP request is observed over WebSocket (observability.database.note_commit): the
    operation's context alone tells which field committed (graphql.context.Context.commits)."""
    impatient = settings.model_copy(
        update={
            "db_statement_timeout_seconds": 30,
            "db_lock_timeout_seconds": 0.1,
            "webhook_dispatcher": False,
        }
    )
    query = "mutation { " + _create("first", "Alpha", "customerAccounts { id }") + " }"
    async for live in _serve(impatient, None):  # the app's engine, with that lock timeout
        connection = await _signed_in(live)
        async with holding(engine, "LOCK TABLE customer_accounts IN ACCESS EXCLUSIVE MODE"):
            await _send(connection, "write", query)
            answer = await _answer(connection, "write")
        await connection.close()

    assert answer["data"] == {"first": {"organization": None, "userErrors": []}}
    [error] = answer["errors"]
    assert error["path"] == ["first", "organization", "customerAccounts"]
    assert error["message"] == CANCELLED + COMMITTED
    assert error["extensions"]["committed"] is True
    assert await names_created(engine, "Alpha") == ["Alpha"]
