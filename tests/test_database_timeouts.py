"""A statement PostgreSQL cancels for waiting or running too long (statement_timeout,
lock_timeout) is not our bug and not an outage: 503 with Retry-After and code
STATEMENT_TIMEOUT on both transports, a warning without traceback in the log. And a statement
the driver refuses (asyncpg's 32,767 bind parameters) is not an outage either
(observability/database.py)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import httpx
import pytest
from sqlalchemy import column, select, table, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from orgql.app import create_app
from orgql.db.engine import make_engine
from orgql.graphql.asgi import OrgqlGraphQL
from orgql.observability.database import statement_cancelled, unavailability
from orgql.observability.logs import ACCESS_LOGGER
from orgql.settings import Settings

UPDATE = """
mutation { updateOrganization(id: "100001", input: {description: "later"}) {
  organization { id } userErrors { code } } }
"""
ORGANIZATION = "/ccadmin/v1/organizations/100001"


@pytest.fixture
async def gateway(
    database_url: str, client_for: Callable[[Any, Mapping[str, Any]], httpx.AsyncClient]
) -> AsyncIterator[httpx.AsyncClient]:
    """The app on its own engine, whose statements the server cancels after 1 s (not less:
    the connection's own first statements run under it too, on a loaded machine)."""
    app = create_app(Settings(database_url=database_url, db_statement_timeout_seconds=1))
    async with app.router.lifespan_context(app) as state, client_for(app, state or {}) as client:
        yield client


@pytest.fixture
async def row_lock(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """Organization 100001 locked by another transaction until the test ends."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1 FROM organizations WHERE id = '100001' FOR UPDATE"))
        yield connection
        await connection.rollback()


def _assert_statement_timeout(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert response.headers["x-request-id"]
    assert "cancelled" in response.text


async def test_rest_waiting_on_a_lock_past_the_statement_timeout_is_a_503(
    gateway: httpx.AsyncClient, row_lock: AsyncConnection, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        response = await gateway.put(ORGANIZATION, json={"description": "later"})

    _assert_statement_timeout(response)
    body = response.json()
    assert (body["errorCode"], body["status"]) == ("STATEMENT_TIMEOUT", "503")
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []


async def test_graphql_waiting_on_a_lock_past_the_statement_timeout_is_a_503(
    gateway: httpx.AsyncClient, row_lock: AsyncConnection, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        response = await gateway.post("/graphql", json={"query": UPDATE})

    _assert_statement_timeout(response)
    body = response.json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["STATEMENT_TIMEOUT"]
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []


async def test_the_change_goes_through_once_the_lock_is_released(
    impatient_admin: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    # The lock timeout refuses only what waits for a lock: the retry cannot run out of a
    # short budget on a loaded machine (a 200 ms statement timeout could cancel it).
    gateway = impatient_admin
    async with engine.connect() as holder:
        await holder.execute(text("SELECT 1 FROM organizations WHERE id = '100001' FOR UPDATE"))
        refused = await gateway.put(ORGANIZATION, json={"description": "later"})
        await holder.rollback()
    retried = await gateway.put(ORGANIZATION, json={"description": "later"})

    assert refused.status_code == 503
    assert retried.status_code == 200
    assert retried.json()["description"] == "later"


async def test_a_lock_wait_past_the_lock_timeout_is_a_503_too(
    database_url: str,
    engine: AsyncEngine,
    client_for: Callable[[Any, Mapping[str, Any]], httpx.AsyncClient],
) -> None:
    settings = Settings(
        database_url=database_url, db_statement_timeout_seconds=30, db_lock_timeout_seconds=0.1
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app) as state,
        client_for(app, state or {}) as client,
        engine.connect() as holder,
    ):
        await holder.execute(text("SELECT 1 FROM organizations WHERE id = '100001' FOR UPDATE"))
        rest = await client.put(ORGANIZATION, json={"description": "later"})
        graphql = await client.post("/graphql", json={"query": UPDATE})
        await holder.rollback()

    _assert_statement_timeout(rest)
    assert rest.json()["errorCode"] == "STATEMENT_TIMEOUT"
    _assert_statement_timeout(graphql)
    assert graphql.json()["errors"][0]["extensions"]["code"] == "STATEMENT_TIMEOUT"


async def test_a_statement_past_the_command_timeout_says_the_database_did_not_answer_in_time(
    database_url: str,
    row_lock: AsyncConnection,
    client_for: Callable[[Any, Mapping[str, Any]], httpx.AsyncClient],
) -> None:
    """A write waits for the locked row past ORGQL_DB_COMMAND_TIMEOUT_SECONDS (the database's
    own timeouts further away): the driver gives up, and SQLAlchemy calls its TimeoutError a
    disconnect; the answer says the database did not answer in time, not that the
    connection was lost, on both transports."""
    settings = Settings(
        database_url=database_url,
        db_command_timeout_seconds=1,
        db_lock_timeout_seconds=60,
        db_statement_timeout_seconds=60,
        graphql_timeout_seconds=60,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state, client_for(app, state or {}) as client:
        rest = await client.put(ORGANIZATION, json={"description": "later"})
        graphql = await client.post("/graphql", json={"query": UPDATE})

    message = "The database is unavailable (the database did not answer in time); retry later."
    assert (rest.status_code, graphql.status_code) == (503, 503)
    assert (rest.json()["errorCode"], rest.json()["message"]) == ("503", message)
    assert graphql.json()["errors"] == [{"message": message, "extensions": {"code": "unavailable"}}]


async def test_too_many_bind_parameters_are_not_an_outage(engine: AsyncEngine) -> None:
    ids = table("organizations", column("id"))
    statement = select(ids.c.id).where(ids.c.id.in_([str(n) for n in range(40_000)]))

    async with engine.connect() as connection:
        with pytest.raises(DBAPIError, match="32767") as raised:
            await connection.execute(statement)

    assert unavailability(raised.value) is None
    assert statement_cancelled(raised.value) is None


async def test_a_cancelled_statement_is_classed_as_such(database_url: str) -> None:
    # 1 s, not less: the connection's own first statements run under it too (loaded machine).
    engine = make_engine(database_url, pool_size=1, statement_timeout=1)
    try:
        async with engine.connect() as connection:
            with pytest.raises(DBAPIError, match="statement timeout") as raised:
                await connection.execute(text("SELECT pg_sleep(5)"))
    finally:
        await engine.dispose()

    assert statement_cancelled(raised.value) == (
        "a statement ran longer than the database's statement timeout"
    )
    assert unavailability(raised.value) is None


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"], ids=["deadlock", "serialization"])
async def test_a_transaction_the_database_aborts_for_a_conflict_is_a_503(
    gateway: httpx.AsyncClient, engine: AsyncEngine, sqlstate: str
) -> None:
    """A deadlock or a serialization failure (here raised by a trigger with that SQLSTATE,
    as PostgreSQL raises them) is the concurrent traffic's, not the caller's or a bug."""
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "CREATE FUNCTION conflict() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                f" RAISE EXCEPTION 'conflict' USING ERRCODE = '{sqlstate}'; END $$"
            )
        )
        await connection.execute(
            text(
                "CREATE TRIGGER conflict BEFORE UPDATE ON organizations"
                " FOR EACH ROW EXECUTE FUNCTION conflict()"
            )
        )

    rest = await gateway.put(ORGANIZATION, json={"description": "later"})
    graphql = await gateway.post("/graphql", json={"query": UPDATE})

    _assert_statement_timeout(rest)
    assert rest.json()["errorCode"] == "STATEMENT_TIMEOUT"
    _assert_statement_timeout(graphql)
    assert graphql.json()["errors"][0]["extensions"]["code"] == "STATEMENT_TIMEOUT"


#: A document registered under its hash, found in the database by a request naming the hash
#: alone: a statement of the pipeline's outside any resolver (graphql.persisted).
PERSISTED = '{ organization(id: "100001") { name } }'
PERSISTED_SHA256 = hashlib.sha256(PERSISTED.encode()).hexdigest()


@pytest.fixture
async def documents_locked(engine: AsyncEngine) -> AsyncIterator[dict[str, Any]]:
    """The body of a request for :data:`PERSISTED` by its hash, whose lookup waits: the
    table of persisted documents is locked by another transaction until the test ends."""
    async with engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO persisted_documents (sha256, document) VALUES (:sha256, :text)"),
            {"sha256": PERSISTED_SHA256, "text": PERSISTED},
        )
    async with engine.connect() as holder:
        await holder.execute(text("LOCK TABLE persisted_documents IN ACCESS EXCLUSIVE MODE"))
        yield {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": PERSISTED_SHA256}}}
        await holder.rollback()


async def _post_persisted(
    database_url: str,
    client_for: Callable[[Any, Mapping[str, Any]], httpx.AsyncClient],
    body: dict[str, Any],
    *,
    request_timeout: float | None = None,
    **settings: Any,
) -> httpx.Response:
    """``body`` posted to an app of ``settings``, once a first request has opened a
    connection (whose own first statements ran before the table was locked).

    The database's own lock and statement timeouts are far away: a 1 s lock timeout (the
    default) raced the 1 s under test, and on a loaded machine could end the wait first.
    ``request_timeout`` (ORGQL_GRAPHQL_TIMEOUT_SECONDS) is ``body``'s alone: the first
    request has the usual one, which a loaded machine does not use up."""
    app = create_app(
        Settings(
            database_url=database_url,
            db_lock_timeout_seconds=60,
            db_statement_timeout_seconds=60,
            **settings,
        )
    )
    async with app.router.lifespan_context(app) as state, client_for(app, state or {}) as client:
        assert (await client.post("/graphql", json={"query": "{ sites { id } }"})).is_success
        if request_timeout is not None:
            _graphql_endpoint(app).timeout_seconds = request_timeout
        return await client.post("/graphql", json=body)


def _graphql_endpoint(app: Any) -> OrgqlGraphQL:
    return next(
        route.endpoint
        for route in app.routes
        if isinstance(getattr(route, "endpoint", None), OrgqlGraphQL)
    )


async def test_the_drivers_command_timeout_in_the_graphql_pipeline_is_the_database_unavailable(
    database_url: str,
    client_for: Callable[[Any, Mapping[str, Any]], httpx.AsyncClient],
    documents_locked: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A statement of the pipeline past ORGQL_DB_COMMAND_TIMEOUT_SECONDS (the driver's own
    TimeoutError, well within the request's timeout) is the database not answering: 503
    unavailable, logged as one warning with that reason, as the direct path answers it; not
    the request's TIMEOUT, and not silently."""
    with caplog.at_level(logging.INFO):
        response = await _post_persisted(
            database_url,
            client_for,
            documents_locked,
            db_command_timeout_seconds=1,
            graphql_timeout_seconds=60,
        )

    assert response.status_code == 503, response.text
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["unavailable"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0] == "a persisted document was not read: the database did not answer in time"
    [line] = [r for r in caplog.records if r.name == ACCESS_LOGGER and r.status == 503]  # type: ignore[attr-defined]
    assert (line.outcome, line.error_codes) == ("unavailable", ["unavailable"])  # type: ignore[attr-defined]


async def test_a_graphql_request_past_its_own_timeout_still_answers_timeout(
    database_url: str,
    client_for: Callable[[Any, Mapping[str, Any]], httpx.AsyncClient],
    documents_locked: dict[str, Any],
) -> None:
    response = await _post_persisted(
        database_url,
        client_for,
        documents_locked,
        db_command_timeout_seconds=60,
        request_timeout=1,
    )

    assert response.status_code == 503, response.text
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["TIMEOUT"]
