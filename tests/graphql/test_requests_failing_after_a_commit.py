"""A request failing as a whole after a mutation field of it (or an earlier operation of
the batch) committed: the request's timeout (ORGQL_GRAPHQL_TIMEOUT_SECONDS, 503
``TIMEOUT``), an exception escaping execution (500, or the 503 of a lost database). The
answer keeps its status, code and ``data`` null (nothing of the fields' answers is left),
but has no ``Retry-After`` and a message that says something was committed, so that a
client does not send it again as it is and make the committed changes twice. With nothing
committed, the answers as before.

The timeout fires on cue: another transaction holds organization 100001's row, and a
create under it waits for that lock (the database's own lock and statement timeouts far
longer than the request's). The escaping exceptions are raised after the operation ran:
a bug, and a lost database's own (a connection refused)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import asyncpg
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
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from orgql.graphql.asgi import OrgqlGraphQL

TIMEOUT_SECONDS = 1.5
COMMITTED = (
    "Mutations of this request were committed before it failed: read the current state"
    " before sending any of it again."
)


@pytest.fixture
async def gateway(
    database_url: str, client_for: Callable[[Any, Mapping[str, Any]], httpx.AsyncClient]
) -> AsyncIterator[httpx.AsyncClient]:
    """An admin client of an app whose requests time out long before a lock wait does."""
    async with gateway_with(
        database_url,
        client_for,
        graphql_timeout_seconds=TIMEOUT_SECONDS,
        db_lock_timeout_seconds=60,
        db_statement_timeout_seconds=60,
        db_command_timeout_seconds=60,
    ) as client:
        yield client


@pytest.fixture
async def parent_locked(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """Organization 100001's row locked by another transaction until the test ends."""
    async with parent_row_held(engine) as holder:
        yield holder


def _assert_timed_out_after_a_commit(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    # Retry-After would invite sending the request again as it is.
    assert "retry-after" not in response.headers
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "TIMEOUT"}
    assert error["message"] == (
        f"The request took longer than {TIMEOUT_SECONDS:g} seconds. {COMMITTED}"
    )


async def test_a_timeout_after_a_field_committed_says_so_and_invites_no_retry(
    gateway: httpx.AsyncClient, parent_locked: AsyncConnection, engine: AsyncEngine
) -> None:
    document = mutation(create("first", "Alpha"), create("second", "Beta", LOCKED_PARENT))

    response = await gateway.post("/graphql", json=document)
    await parent_locked.rollback()

    _assert_timed_out_after_a_commit(response)
    assert await names_created(engine, "Alpha", "Beta") == ["Alpha"]


async def test_a_timeout_after_an_earlier_batch_operation_committed_says_so_too(
    gateway: httpx.AsyncClient, parent_locked: AsyncConnection, engine: AsyncEngine
) -> None:
    batch = [
        mutation(create("first", "Alpha")),
        mutation(create("second", "Beta", LOCKED_PARENT)),
    ]

    response = await gateway.post("/graphql", json=batch)
    await parent_locked.rollback()

    _assert_timed_out_after_a_commit(response)
    assert await names_created(engine, "Alpha", "Beta") == ["Alpha"]


async def test_a_timeout_with_nothing_committed_is_the_503_with_retry_after_as_before(
    gateway: httpx.AsyncClient, parent_locked: AsyncConnection, engine: AsyncEngine
) -> None:
    document = mutation(create("first", "Beta", LOCKED_PARENT), create("second", "Alpha"))

    response = await gateway.post("/graphql", json=document)
    await parent_locked.rollback()

    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": f"the request took longer than {TIMEOUT_SECONDS:g} seconds",
                "extensions": {"code": "TIMEOUT"},
            }
        ],
    }
    assert await names_created(engine, "Alpha", "Beta") == []


async def _unreachable() -> None:
    """A lost database's own exception (the connection refused)."""
    await asyncpg.connect("postgresql://postgres@127.0.0.1:1/unreachable")


async def _a_bug() -> None:
    raise RuntimeError("a bug after the operation ran")


@pytest.mark.parametrize(
    ("failure", "status", "start"),
    [
        (_a_bug, 500, "Unexpected error (reference "),
        (_unreachable, 503, "The database is unavailable ("),
    ],
    ids=["bug", "database_lost"],
)
async def test_an_exception_escaping_after_a_commit_says_so_and_invites_no_retry(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
    failure: Callable[[], Any],
    status: int,
    start: str,
) -> None:
    """The 500 of a bug outside execution (graphql.errors), and the 503 that replaces it when
    the database was lost (observability.requests), after the operation committed."""
    execute = OrgqlGraphQL.execute_operation

    async def failing_after(self: OrgqlGraphQL, *args: Any, **kwargs: Any) -> Any:
        await execute(self, *args, **kwargs)
        await failure()

    monkeypatch.setattr(OrgqlGraphQL, "execute_operation", failing_after)

    response = await client.post("/graphql", json=mutation(create("first", "Alpha")))

    assert response.status_code == status, response.text
    assert "retry-after" not in response.headers
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"].startswith(start)
    assert error["message"].endswith(f"). {COMMITTED}")
    assert await names_created(engine, "Alpha") == ["Alpha"]


async def test_an_exception_escaping_with_nothing_committed_is_answered_as_before(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    execute = OrgqlGraphQL.execute_operation

    async def failing_after(self: OrgqlGraphQL, *args: Any, **kwargs: Any) -> Any:
        await execute(self, *args, **kwargs)
        await _unreachable()

    monkeypatch.setattr(OrgqlGraphQL, "execute_operation", failing_after)

    response = await client.post("/graphql", json={"query": "{ sites { id } }"})

    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    [error] = response.json()["errors"]
    assert error["message"].endswith("; retry later.")
