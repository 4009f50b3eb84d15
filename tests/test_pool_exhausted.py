"""Every pooled connection taken (ORGQL_DB_POOL_TIMEOUT_SECONDS passes with none given back):
the request is answered 503 and logged as one warning with the reason, without a traceback,
on both transports; a GraphQL read a SQL plan answers waits on the pool once, not a second
time for its compiled plan (observability.database.expected_failure; graphql.execution
.sql_plans.SqlPlan.run), nor an operation the resolvers answer once per root field
(graphql.context.Context). A genuine failure of the SQL plan's statement, or the loss of its
one connection, is still answered by the compiled plan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from orgql.app import create_app
from orgql.db.engine import PRIMARY_HELD_CONNECTIONS
from orgql.db.raw import RawReads
from orgql.graphql.execution import executor as compiled
from orgql.graphql.execution import page_sql
from orgql.observability.database import CONNECTION_LOST
from orgql.observability.logs import ACCESS_LOGGER
from orgql.settings import Settings

ORGANIZATION = "/ccadmin/v1/organizations/100001"
ONE = {"query": 'query One { organization(id: "100001") { id name } }'}
PAGE = {"query": "query Page { organizations(first: 2) { edges { node { id name } } } }"}
WAITED = "no database connection became free in time"


class Gateway:
    """An app whose pool holds four connections (ORGQL_DB_POOL_SIZE=1: twice that, and the
    two held long, db.engine.PRIMARY_HELD_CONNECTIONS; its dispatcher is off), which the
    test can take, and whose pool checkouts are counted (each a wait on the pool while it
    is taken)."""

    def __init__(self, client: httpx.AsyncClient, engine: AsyncEngine) -> None:
        self.client = client
        self.engine = engine
        self.checkouts = 0

    @asynccontextmanager
    async def pool_taken(self) -> AsyncIterator[None]:
        """Every connection of the pool checked out by the test until the block ends."""
        pool = self.engine.sync_engine.pool
        async with AsyncExitStack() as taken:
            for _ in range(pool.size()):
                await taken.enter_async_context(self.engine.connect())
            assert pool.checkedout() == pool.size() == 2 * 1 + PRIMARY_HELD_CONNECTIONS
            yield


@pytest.fixture
async def gateway(
    database_url: str,
    client_for: Callable[..., httpx.AsyncClient],
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Gateway]:
    compiled.clear_cache()
    settings = Settings(database_url=database_url, db_pool_size=1, db_pool_timeout_seconds=0.2)
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state, client_for(app, state) as client:
        found = Gateway(client, state["engine"])
        pool = found.engine.sync_engine.pool
        connect = pool.connect

        def counted() -> Any:  # every checkout: a session's, a raw read's (db.raw)
            found.checkouts += 1
            return connect()

        monkeypatch.setattr(pool, "connect", counted)
        yield found


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.DEBUG):
        yield caplog


def _problems(caplog: pytest.LogCaptureFixture) -> tuple[list[str], list[str]]:
    """The warnings logged, and the errors and tracebacks."""
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    errors = [r.getMessage() for r in caplog.records if r.levelno > logging.WARNING or r.exc_info]
    return warnings, errors


def _access_line(caplog: pytest.LogCaptureFixture) -> logging.LogRecord:
    lines = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    assert len(lines) == 1
    return lines[0]


async def test_a_rest_read_without_a_free_connection_is_a_503_logged_as_one_warning(
    gateway: Gateway, logs: pytest.LogCaptureFixture
) -> None:
    async with gateway.pool_taken():
        logs.clear()
        response = await gateway.client.get(ORGANIZATION)

    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    body = response.json()
    assert (body["errorCode"], body["status"]) == ("503", "503")
    assert body["message"] == f"The database is unavailable ({WAITED}); retry later."
    warnings, errors = _problems(logs)
    assert errors == []
    assert len(warnings) == 1
    assert warnings[0].endswith(f" in GET {ORGANIZATION}: {WAITED}")


@pytest.mark.parametrize("known", [False, True], ids=["pipeline", "direct"])
@pytest.mark.parametrize("body", [ONE, PAGE], ids=["organization", "organizations"])
async def test_a_sql_plan_read_without_a_free_connection_waits_once_and_is_a_503(
    gateway: Gateway, logs: pytest.LogCaptureFixture, body: dict[str, str], known: bool
) -> None:
    """The SQL plan's statement finds no connection: the compiled plan does not wait on the
    pool a second time to fail alike; the answer is the 503 it answered (``known``: the
    document was answered before, so the direct path reads, graphql.execution.direct)."""
    if known:
        assert (await gateway.client.post("/graphql", json=body)).status_code == 200
    async with gateway.pool_taken():
        logs.clear()
        gateway.checkouts = 0
        response = await gateway.client.post("/graphql", json=body)
        checkouts = gateway.checkouts

    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": f"The database is unavailable ({WAITED}); retry later.",
                "extensions": {"code": "unavailable"},
            }
        ],
    }
    assert checkouts == 1
    warnings, errors = _problems(logs)
    assert errors == []
    assert len(warnings) == 1
    assert warnings[0].endswith(f": {WAITED}")
    line = _access_line(logs)
    assert (line.execution_path, line.fallback_reason) == ("sql_plan", None)  # type: ignore[attr-defined]
    assert line.error_codes == ["unavailable"]  # type: ignore[attr-defined]
    assert line.operation == body["query"].split()[1]  # type: ignore[attr-defined]
    assert line.direct is known  # type: ignore[attr-defined]  # the path that answered the 503


async def test_a_graphql_read_of_the_resolvers_without_a_free_connection_logs_one_warning(
    gateway: Gateway, logs: pytest.LogCaptureFixture
) -> None:
    """Two root fields (no SQL plan: the compiled plan's resolvers), each failing for want
    of a connection: one warning for the operation, not one per field."""
    query = 'query Two { a: organization(id: "100001") { id } b: organization(id: "1") { id } }'
    async with gateway.pool_taken():
        logs.clear()
        response = await gateway.client.post("/graphql", json={"query": query})

    assert response.status_code == 503
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["unavailable"]
    warnings, errors = _problems(logs)
    assert errors == []
    assert len(warnings) == 1
    assert warnings[0].endswith(f": {WAITED}")


async def test_a_sql_plan_statement_that_fails_is_still_answered_by_the_compiled_plan(
    gateway: Gateway, logs: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A statement of the SQL plan's own that the database refuses (here: one dividing by
    zero, as a bug in its SQL would) is no outage: the compiled plan answers, and the SQL
    plan's failure is logged with its traceback."""

    async def broken(self: page_sql.PagePlan, reads: RawReads, **parameters: Any) -> Any:
        return await reads.all(text("SELECT 1 / 0"))

    monkeypatch.setattr(page_sql.PagePlan, "read", broken)
    logs.clear()
    response = await gateway.client.post("/graphql", json=ONE)

    assert response.status_code == 200
    organization = {"id": "T3JnYW5pemF0aW9uOjEwMDAwMQ", "name": "Sample"}  # Organization:100001
    assert response.json() == {"data": {"organization": organization}}
    line = _access_line(logs)
    assert (line.execution_path, line.fallback_reason) == ("compiled", "statement_failed")  # type: ignore[attr-defined]
    failed = [r for r in logs.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in failed] == ["SQL plan failed; the compiled plan answers"]
    assert failed[0].exc_info


@pytest.mark.parametrize("known", [False, True], ids=["pipeline", "direct"])
async def test_a_sql_plan_whose_connection_the_server_ends_is_answered_by_the_compiled_plan(
    gateway: Gateway, logs: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, known: bool
) -> None:
    """One connection lost (the server ended it mid-statement: a restart, a failover,
    pg_terminate_backend) is not the database unavailable: the compiled plan answers on
    another connection, as before the SQL plans stopped falling back on an outage, and the
    loss is logged as one warning without a traceback."""
    if known:
        assert (await gateway.client.post("/graphql", json=ONE)).status_code == 200

    async def ended(self: page_sql.PagePlan, reads: RawReads, **parameters: Any) -> Any:
        return await reads.all(text("SELECT pg_terminate_backend(pg_backend_pid())"))

    monkeypatch.setattr(page_sql.PagePlan, "read", ended)
    logs.clear()
    gateway.checkouts = 0
    response = await gateway.client.post("/graphql", json=ONE)

    assert response.status_code == 200
    organization = {"id": "T3JnYW5pemF0aW9uOjEwMDAwMQ", "name": "Sample"}  # Organization:100001
    assert response.json() == {"data": {"organization": organization}}
    assert gateway.checkouts == 2  # the SQL plan's connection, then the compiled plan's
    line = _access_line(logs)
    assert (line.execution_path, line.fallback_reason) == ("compiled", "statement_failed")  # type: ignore[attr-defined]
    warnings, errors = _problems(logs)
    assert errors == []
    assert warnings == [f"SQL plan failed ({CONNECTION_LOST}); the compiled plan answers"]


async def test_readyz_without_a_free_connection_is_a_503_with_the_reason(
    gateway: Gateway, logs: pytest.LogCaptureFixture
) -> None:
    """The probe waits on the pool as requests do: every connection taken, it answers 503
    with the reason (observability.health), not a 500 with a traceback."""
    async with gateway.pool_taken():
        logs.clear()
        response = await gateway.client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reason": f"database unavailable: {WAITED}"}
    assert _problems(logs) == ([], [])


#: Root fields each reading or writing on their own, for the resolvers: three of a query
#: (aliases of organization(id:) would share one loader's batch), and two of a mutation, run one
#: after the other, each in its unit of work (fields that may be null: the first failing does
#: not end the operation).
_SEVERAL_ROOT_FIELDS = {
    "query": 'query Three { sites { id } organization(id: "100001") { id }'
    ' organizationByKey(uniqueId: "x") { id } }',
    "mutation": 'mutation Two { a: createContact(input: {email: "a@waits.example"})'
    ' { userErrors { code } } b: createContact(input: {email: "b@waits.example"})'
    " { userErrors { code } } }",
}


@pytest.mark.parametrize("kind", sorted(_SEVERAL_ROOT_FIELDS))
async def test_root_fields_of_the_resolvers_without_a_free_connection_wait_once(
    gateway: Gateway, logs: pytest.LogCaptureFixture, kind: str
) -> None:
    """The first root field finds no connection to be had; the others fail at once with its
    error (graphql.context.Context), without waiting on the pool again; the answer is the 503
    it was."""
    async with gateway.pool_taken():
        logs.clear()
        gateway.checkouts = 0
        response = await gateway.client.post("/graphql", json={"query": _SEVERAL_ROOT_FIELDS[kind]})
        checkouts = gateway.checkouts

    assert response.status_code == 503
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["unavailable"]
    assert checkouts == 1
    warnings, errors = _problems(logs)
    assert errors == []
    assert len(warnings) == 1
    assert warnings[0].endswith(f": {WAITED}")
