"""Idempotency keys cannot stick or lie: a run that fails releases its key; a key left
running by a dead process is taken over after its lease; a run that committed is never run
again; a body cut short is never run and claims nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Message

from orgql.db import models
from orgql.db.engine import make_sessionmaker
from orgql.rest.transport import unit_of_work

ORGANIZATIONS = "/ccadmin/v1/organizations"
CREATE = """mutation($name: String!) { createOrganization(input: {name: $name}) {
  organization { id name } userErrors { code } } }"""
#: The owner of the keys of the test client's admin token (subject "test-suite").
ADMIN = "admin:test-suite"
FLAKY = "/test/flaky"


async def _count(engine: AsyncEngine, name: str) -> int:
    async with make_sessionmaker(engine)() as session:
        statement = select(func.count()).where(models.Organization.name == name)
        return int(await session.scalar(statement) or 0)


async def _keys(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT key, status, committed_at IS NOT NULL FROM idempotency_keys")
        )
        return [tuple(row) for row in rows]


class Flaky:
    """A route of the app below the middleware: its first runs fail as told, the next
    answers 200. ``commit`` first writes a row in the request's own unit of work."""

    def __init__(self, failure: str, *, commit: bool = False) -> None:
        self.failure = failure
        self.commit = commit
        self.calls = 0
        self.entered = asyncio.Event()

    async def endpoint(self, request: Request) -> JSONResponse:
        self.calls += 1
        if self.calls > 1:
            return JSONResponse({"run": self.calls})
        if self.commit:
            async with unit_of_work(request) as session:
                await session.execute(
                    text("INSERT INTO catalogs (id, display_name) VALUES ('flaky', 'Flaky')")
                )
        self.entered.set()
        if self.failure == "hang":
            await asyncio.Event().wait()  # until cancelled
        raise RuntimeError("an unexpected failure below the middleware")


@pytest.fixture
def flaky(app: Starlette) -> Any:
    def install(failure: str, *, commit: bool = False) -> Flaky:
        route = Flaky(failure, commit=commit)
        app.router.routes.append(Route(FLAKY, route.endpoint, methods=["POST"]))
        return route

    return install


async def test_a_run_that_raises_releases_its_key_and_the_retry_runs(
    client: httpx.AsyncClient, flaky: Any, engine: AsyncEngine
) -> None:
    route = flaky("raise")
    headers = {"Idempotency-Key": "flaky-1"}

    failed = await client.post(FLAKY, json={}, headers=headers)
    retry = await client.post(FLAKY, json={}, headers=headers)

    assert (failed.status_code, failed.json()["errorCode"]) == (500, "500")
    assert (retry.status_code, retry.json(), route.calls) == (200, {"run": 2}, 2)
    assert await _keys(engine) == [("flaky-1", 200, False)]


async def test_a_cancelled_run_releases_its_key_and_the_retry_runs(
    client: httpx.AsyncClient, flaky: Any
) -> None:
    route = flaky("hang")
    headers = {"Idempotency-Key": "flaky-2"}

    first = asyncio.ensure_future(client.post(FLAKY, json={}, headers=headers))
    await asyncio.wait_for(route.entered.wait(), 60)  # a safety net against a hang
    first.cancel()  # the client left, a timeout, a shutdown
    with pytest.raises(asyncio.CancelledError):
        await first
    retry = await client.post(FLAKY, json={}, headers=headers)

    assert (retry.status_code, route.calls) == (200, 2)


async def test_a_run_that_raised_after_its_commit_is_not_run_again(
    client: httpx.AsyncClient, flaky: Any, engine: AsyncEngine
) -> None:
    route = flaky("raise", commit=True)
    headers = {"Idempotency-Key": "flaky-3"}

    failed = await client.post(FLAKY, json={}, headers=headers)
    retry = await client.post(FLAKY, json={}, headers=headers)

    assert failed.status_code == 500
    assert (retry.status_code, retry.json()["o:errorPath"], route.calls) == (
        410,
        "Idempotency-Key",
        1,
    )
    assert "answer was lost" in retry.json()["message"]
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM catalogs WHERE id='flaky'")) == 1


@pytest.fixture
async def failing_inserts(engine: AsyncEngine) -> None:
    """Inserting an organization raises an unexpected database error (not one of ours),
    until the test calls :func:`_heal`."""
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "CREATE FUNCTION fail_insert() RETURNS trigger LANGUAGE plpgsql AS"
                " $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$"
            )
        )
        await connection.execute(
            text(
                "CREATE TRIGGER fail_insert BEFORE INSERT ON organizations"
                " FOR EACH ROW EXECUTE FUNCTION fail_insert()"
            )
        )


async def _heal(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("DROP TRIGGER fail_insert ON organizations"))


async def test_a_graphql_mutation_that_fails_unexpectedly_releases_its_key(
    client: httpx.AsyncClient, engine: AsyncEngine, failing_inserts: None
) -> None:
    request = {"query": CREATE, "variables": {"name": "Acme"}}
    headers = {"Idempotency-Key": "gql-fails"}

    first = await client.post("/graphql", json=request, headers=headers)
    await _heal(engine)
    retry = await client.post("/graphql", json=request, headers=headers)

    assert first.json()["errors"][0]["extensions"]["code"] == "internal"
    assert "idempotency-replayed" not in retry.headers
    assert retry.json()["data"]["createOrganization"]["userErrors"] == []
    assert await _count(engine, "Acme") == 1


async def test_a_rest_mutation_that_fails_unexpectedly_releases_its_key(
    client: httpx.AsyncClient, engine: AsyncEngine, failing_inserts: None
) -> None:
    headers = {"Idempotency-Key": "rest-fails"}

    first = await client.post(ORGANIZATIONS, json={"name": "Acme"}, headers=headers)
    await _heal(engine)
    retry = await client.post(ORGANIZATIONS, json={"name": "Acme"}, headers=headers)

    assert (first.status_code, retry.status_code) == (500, 200)
    assert await _count(engine, "Acme") == 1


async def _dead_claim(engine: AsyncEngine, key: str, lease: float | None) -> None:
    """What a process killed mid-run leaves: a claim with no answer and nothing committed,
    its lease ending ``lease`` seconds from now (None: a claim from before leases)."""
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO idempotency_keys (owner, key, request_hash, claim, lease_until)"
                " VALUES (:owner, :key, 'a-dead-run', 'dead',"
                " now() + make_interval(secs => :lease))"
            ),
            {"owner": ADMIN, "key": key, "lease": lease},
        )


@pytest.mark.parametrize("lease", [-1, None])
async def test_a_key_left_running_by_a_dead_process_is_taken_over_after_its_lease(
    client: httpx.AsyncClient, engine: AsyncEngine, lease: float | None
) -> None:
    await _dead_claim(engine, "killed-1", lease)

    response = await client.post(
        ORGANIZATIONS, json={"name": "Acme"}, headers={"Idempotency-Key": "killed-1"}
    )

    assert response.status_code == 200
    assert await _count(engine, "Acme") == 1


async def test_a_retry_while_the_first_runs_is_409_and_does_not_run(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    headers = {"Idempotency-Key": "running-1"}
    async with engine.connect() as blocker:
        await blocker.execute(text("LOCK TABLE organizations IN EXCLUSIVE MODE"))
        first = asyncio.ensure_future(
            client.post(ORGANIZATIONS, json={"name": "Acme"}, headers=headers)
        )
        await _until_waiting_on_a_lock(engine, 1)
        retry = await client.post(ORGANIZATIONS, json={"name": "Acme"}, headers=headers)
        await blocker.rollback()

    assert ((await first).status_code, retry.status_code) == (200, 409)
    assert "still running" in retry.json()["message"]
    assert await _count(engine, "Acme") == 1


async def test_of_requests_taking_over_one_dead_key_one_runs(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await _dead_claim(engine, "killed-2", -1)
    headers = {"Idempotency-Key": "killed-2"}

    answers = await asyncio.gather(
        *(client.post(ORGANIZATIONS, json={"name": "Acme"}, headers=headers) for _ in range(4))
    )

    ran = [a for a in answers if a.status_code == 200 and "idempotency-replayed" not in a.headers]
    assert len(ran) == 1
    assert all(a in ran or a.status_code == 409 or a.content == ran[0].content for a in answers)
    assert await _count(engine, "Acme") == 1


async def _lose_the_answer(engine: AsyncEngine, key: str) -> None:
    """What a process killed after its commit, before keeping the answer, leaves."""
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE idempotency_keys SET status = NULL, headers = NULL, body = NULL,"
                " lease_until = now() - interval '1 second' WHERE key = :key"
            ),
            {"key": key},
        )


@pytest.mark.parametrize("transport", ["rest", "graphql"])
async def test_a_run_killed_after_its_commit_is_never_run_again(
    client: httpx.AsyncClient, engine: AsyncEngine, transport: str
) -> None:
    headers = {"Idempotency-Key": "committed-1"}

    async def send() -> httpx.Response:
        if transport == "rest":
            return await client.post(ORGANIZATIONS, json={"name": "Acme"}, headers=headers)
        request = {"query": CREATE, "variables": {"name": "Acme"}}
        return await client.post("/graphql", json=request, headers=headers)

    await send()
    assert await _keys(engine) == [("committed-1", 200, True)]
    await _lose_the_answer(engine, "committed-1")
    retry = await send()

    assert retry.status_code == 410
    if transport == "rest":
        assert retry.json()["o:errorPath"] == "Idempotency-Key"
    else:
        assert retry.json()["errors"][0]["extensions"]["code"] == "GONE"
    assert await _count(engine, "Acme") == 1


async def test_a_run_that_outlived_its_lease_and_was_taken_over_does_not_commit(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    headers = {"Idempotency-Key": "slow-1"}
    async with engine.connect() as blocker:
        # Organizations cannot be written until the blocker's transaction ends: the first
        # run stalls past its lease, and a retry takes its key over.
        await blocker.execute(text("LOCK TABLE organizations IN EXCLUSIVE MODE"))
        first = asyncio.ensure_future(
            client.post(ORGANIZATIONS, json={"name": "Acme"}, headers=headers)
        )
        await _until_waiting_on_a_lock(engine, 1)
        async with engine.begin() as connection:
            await connection.execute(
                text("UPDATE idempotency_keys SET lease_until = now() - interval '1 second'")
            )
        second = asyncio.ensure_future(
            client.post(ORGANIZATIONS, json={"name": "Acme"}, headers=headers)
        )
        await _until_waiting_on_a_lock(engine, 2)
        await blocker.rollback()
    answers = sorted([(await first).status_code, (await second).status_code])

    assert answers == [200, 409]
    assert await _count(engine, "Acme") == 1


async def _until_waiting_on_a_lock(engine: AsyncEngine, sessions: int) -> None:
    """Until ``sessions`` sessions of this database wait for a lock (a minute at most: a
    safety net against a hang, not a time budget)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(6000):
        async with engine.connect() as connection:
            if await connection.scalar(query) >= sessions:
                return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{sessions} sessions never waited for a lock")


async def _post_raw(
    app: Starlette,
    state: Mapping[str, Any],
    authorization: str,
    messages: list[Message],
    content_length: int,
) -> list[Message]:
    """POST an organization through the ASGI app as a server would (with its lifespan
    ``state``), the request arriving as ``messages`` (body parts, perhaps a disconnect);
    the messages the app sent."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": ORGANIZATIONS,
        "raw_path": ORGANIZATIONS.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"localhost:9080"),
            (b"authorization", authorization.encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(content_length).encode()),
            (b"idempotency-key", b"cut-1"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 9080),
        "state": dict(state),
    }
    incoming = list(messages)
    sent: list[Message] = []

    async def receive() -> Message:
        if incoming:
            return incoming.pop(0)
        await asyncio.Event().wait()  # nothing more ever comes
        raise AssertionError

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


BODY = b'{"name": "Acme", "description": "a description long enough to be cut"}'


@pytest.mark.parametrize(
    "messages",
    [
        [
            {"type": "http.request", "body": BODY[:20], "more_body": True},
            {"type": "http.disconnect"},
        ],
        [{"type": "http.request", "body": BODY[:20], "more_body": False}],
    ],
    ids=["client-left", "shorter-than-content-length"],
)
async def test_a_body_cut_short_is_not_run_and_claims_no_key(
    app: Starlette,
    app_state: Mapping[str, Any],
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    messages: list[Message],
) -> None:
    authorization = client.headers["authorization"]
    sent = await _post_raw(app, app_state, authorization, messages, len(BODY))
    retry = await client.post(ORGANIZATIONS, content=BODY, headers={"Idempotency-Key": "cut-1"})

    assert sent[0]["status"] == 400
    assert retry.status_code == 200
    assert await _count(engine, "Acme") == 1


async def test_a_key_that_cannot_be_claimed_in_time_is_503_and_runs_nothing(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    headers = {"Idempotency-Key": "locked-1"}
    await _dead_claim(engine, "locked-1", -1)
    async with engine.begin() as connection:  # the app's next connections wait 0.1 s at most
        name = await connection.scalar(text("SELECT current_database()"))
        await connection.execute(text(f"ALTER DATABASE \"{name}\" SET lock_timeout = '100ms'"))
    await engine.dispose()
    async with engine.connect() as holder:
        await holder.execute(text("SELECT 1 FROM idempotency_keys FOR UPDATE"))
        response = await client.post(ORGANIZATIONS, json={"name": "Acme"}, headers=headers)
        await holder.rollback()

    assert (response.status_code, response.headers["retry-after"]) == (503, "5")
    assert response.json()["errorCode"] == "STATEMENT_TIMEOUT"
    assert await _count(engine, "Acme") == 0
