"""A refused root field beside a permitted one whose read is in flight: the normal answer.

graphql-core (and the compiled executor) cancel the siblings of a non-null field that
raised. With a connection in the pool and the statement prepared, the read of ``sites`` is
sent in the same turn of the event loop as the refusal, so the cancellation arrives while it
runs: the answer must be the refusal (200), not a 503 for a "lost" connection, and the pool
must serve the next request."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import event, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine

from orgql.app import create_app
from orgql.graphql.asgi import OrgqlGraphQL
from orgql.settings import Settings

SITES = [{"repositoryId": "site1"}, {"repositoryId": "site2"}, {"repositoryId": "siteUS"}]
PAGE = "organizations(first: 5) { edges { node { repositoryId } } }"


def _refusal(message: str, code: str, **extensions: str) -> dict[str, Any]:
    return {
        "message": message,
        "locations": [{"line": 1, "column": 3}],
        "path": ["organizations"],
        "extensions": {"code": code, **extensions},
    }


async def _sites(client: httpx.AsyncClient) -> None:
    """Every caller may read the sites (and the pool still serves)."""
    response = await client.post("/graphql", json={"query": "{ sites { repositoryId } }"})
    assert response.json() == {"data": {"sites": SITES}}


async def _answer(client: httpx.AsyncClient, engine: AsyncEngine, query: str) -> httpx.Response:
    """POST ``query`` after a first read of the sites (a pooled connection, the statement
    prepared); no statement of it may fail (a cancelled one would)."""
    await _sites(client)
    failures: list[BaseException] = []

    def failed(context: ExceptionContext) -> None:
        failures.append(context.original_exception)

    event.listen(engine.sync_engine, "handle_error", failed)
    try:
        response = await client.post("/graphql", json={"query": query})
    finally:
        event.remove(engine.sync_engine, "handle_error", failed)
    assert failures == [], response.text
    await _sites(client)
    return response


async def test_anonymous_refusal_beside_a_read(
    anonymous_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    response = await _answer(anonymous_client, engine, "{ " + PAGE + " sites { repositoryId } }")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "data": None,
        "errors": [_refusal("an access token is required", "UNAUTHENTICATED")],
    }


async def test_admin_refused_argument_beside_a_read(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    query = (
        "{ organizations(first: 1000) { edges { node { repositoryId } } } sites { repositoryId } }"
    )
    response = await _answer(client, engine, query)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "data": None,
        "errors": [_refusal("first must be at most 100", "100002", field="first")],
    }


async def test_shopper_beside_a_read(
    shopper_client: Callable[[str], httpx.AsyncClient], engine: AsyncEngine
) -> None:
    async with shopper_client("110000") as shopper:
        # Permitted: both fields answer.
        response = await _answer(shopper, engine, "{ " + PAGE + " sites { repositoryId } }")
        assert response.status_code == 200, response.text
        assert response.json() == {
            "data": {
                "organizations": {"edges": [{"node": {"repositoryId": "100001"}}]},
                "sites": SITES,
            }
        }
        # Refused (admins only) beside the read.
        response = await _answer(
            shopper, engine, "{ webhookSubscriptions { repositoryId } sites { repositoryId } }"
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] is None
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["webhookSubscriptions"], "FORBIDDEN")
    ]


async def test_a_timed_out_request_does_not_wait_for_its_stuck_read(
    settings: Settings, engine: AsyncEngine, client_for: Callable[..., httpx.AsyncClient]
) -> None:
    """The reads are shielded from the executor's cancellations, not from the request's
    timeout: a read stuck behind a lock is cancelled, the request answers 503 TIMEOUT while
    the lock is still held, and the pool serves the next request.

    Only the stuck request has a short budget: the reads before and after it have the usual
    one, so a loaded machine cannot time them out."""
    app = create_app(settings, engine=engine)
    graphql = next(route.endpoint for route in app.routes if route.path == "/graphql")
    assert isinstance(graphql, OrgqlGraphQL)
    async with app.router.lifespan_context(app) as state, client_for(app, state) as client:
        await _sites(client)
        async with engine.connect() as locker:
            await locker.execute(text("LOCK TABLE sites IN ACCESS EXCLUSIVE MODE"))
            usual, graphql.timeout_seconds = graphql.timeout_seconds, 1.0
            try:
                # Bounded only so that a regression (close() waiting on the lock we hold)
                # fails instead of hanging the suite.
                async with asyncio.timeout(30):
                    response = await client.post(
                        "/graphql", json={"query": "{ sites { repositoryId } }"}
                    )
            finally:
                graphql.timeout_seconds = usual
            await locker.rollback()
        assert response.status_code == 503, response.text
        assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["TIMEOUT"]
        await _sites(client)
