"""A request failing as a whole after a mutation field of it (or an earlier operation of
the batch) committed: the request's timeout (ORGQL_GRAPHQL_TIMEOUT_SECONDS, 503
``TIMEOUT``), an exception escaping execution (500, or the 503 of a lost database). The
answer keeps its status, code and ``data`` null (nothing of the fields' answers is left),
but has no ``Retry-After`` and a message that says something was committed, so that a
client does not send it again as it is and make the committed changes twice. With nothing
committed, the answers as before.

The timeout fires on cue: another transaction holds organization 100001's row, a create
under it waits for that lock (the database's own lock and statement timeouts far away),
and once the test sees it wait, the request's running timeout is made to expire then.
Whatever committed before had all the time it took (a 1.5 s timeout, counted from the
request's start, raced the first create's commit on a loaded machine). The escaping
exceptions are raised after the operation ran: a bug, and a lost database's own (a
connection refused)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
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

from database_checks import wait_until_waiting_on_locks
from orgql.graphql import asgi
from orgql.graphql.asgi import OrgqlGraphQL
from orgql.graphql.request_timeout import RequestTimeout

#: The request's timeout as configured, and named in its answer: never reached here, the
#: test makes it expire on cue (:func:`timed_out_waiting`).
TIMEOUT_SECONDS = 60
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


@pytest.fixture
def running_timeouts(monkeypatch: pytest.MonkeyPatch) -> list[RequestTimeout]:
    """The requests' timeouts (graphql.asgi's RequestTimeout) whose block runs now."""
    running: list[RequestTimeout] = []

    class Recorded(RequestTimeout):
        def __enter__(self) -> None:
            super().__enter__()
            running.append(self)

        def __exit__(self, *exited: Any) -> None:
            running.remove(self)
            super().__exit__(*exited)

    monkeypatch.setattr(asgi, "RequestTimeout", Recorded)
    return running


async def timed_out_waiting(
    engine: AsyncEngine, running: list[RequestTimeout], sent: Awaitable[httpx.Response]
) -> httpx.Response:
    """The answer to ``sent`` once its timeout expired while it waited for the held lock."""
    request = asyncio.ensure_future(sent)
    await wait_until_waiting_on_locks(engine, 1)
    [timeout] = running
    timeout.reschedule(asyncio.get_running_loop().time())
    return await request


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
    gateway: httpx.AsyncClient,
    parent_locked: AsyncConnection,
    engine: AsyncEngine,
    running_timeouts: list[RequestTimeout],
) -> None:
    document = mutation(create("first", "Alpha"), create("second", "Beta", LOCKED_PARENT))

    response = await timed_out_waiting(
        engine, running_timeouts, gateway.post("/graphql", json=document)
    )
    await parent_locked.rollback()

    _assert_timed_out_after_a_commit(response)
    assert await names_created(engine, "Alpha", "Beta") == ["Alpha"]


async def test_a_timeout_after_an_earlier_batch_operation_committed_says_so_too(
    gateway: httpx.AsyncClient,
    parent_locked: AsyncConnection,
    engine: AsyncEngine,
    running_timeouts: list[RequestTimeout],
) -> None:
    batch = [
        mutation(create("first", "Alpha")),
        mutation(create("second", "Beta", LOCKED_PARENT)),
    ]

    response = await timed_out_waiting(
        engine, running_timeouts, gateway.post("/graphql", json=batch)
    )
    await parent_locked.rollback()

    _assert_timed_out_after_a_commit(response)
    assert await names_created(engine, "Alpha", "Beta") == ["Alpha"]


async def test_a_timeout_with_nothing_committed_is_the_503_with_retry_after_as_before(
    gateway: httpx.AsyncClient,
    parent_locked: AsyncConnection,
    engine: AsyncEngine,
    running_timeouts: list[RequestTimeout],
) -> None:
    document = mutation(create("first", "Beta", LOCKED_PARENT), create("second", "Alpha"))

    response = await timed_out_waiting(
        engine, running_timeouts, gateway.post("/graphql", json=document)
    )
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
