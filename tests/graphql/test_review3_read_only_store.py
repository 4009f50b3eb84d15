"""Review repro (fails on purpose): the database refusing to keep a persisted document for a
reason expected_failure does not know (here a read-only transaction, SQLSTATE 25006, as
on a standby after a failover; disk full 53100, a deadlock 40P01 alike) now fails the answer
of the operation that already ran: register re-raises it (it caught SQLAlchemyError before)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from orgql.app import create_app
from orgql.db.engine import make_engine, make_sessionmaker
from orgql.settings import Settings

TYPENAME = "{ __typename }"
EXTENSIONS = {
    "persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(TYPENAME.encode()).hexdigest()}
}


async def test_a_read_only_database_does_not_cost_the_answer(
    settings: Settings,
    engine: AsyncEngine,
    database_url: str,
    client_for: Callable[[Any, Mapping[str, Any]], httpx.AsyncClient],
) -> None:
    read_only = make_engine(database_url)

    @event.listens_for(read_only.sync_engine, "connect")
    def _read_only(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.run_async(
            lambda connection: connection.execute("SET default_transaction_read_only = on")
        )

    app = create_app(settings, engine=engine)
    try:
        async with app.router.lifespan_context(app) as state:
            requests_state = {**(state or {}), "sessionmaker": make_sessionmaker(read_only)}
            async with client_for(app, requests_state) as client:
                response = await client.post(
                    "/graphql", json={"query": TYPENAME, "extensions": EXTENSIONS}
                )
    finally:
        await read_only.dispose()

    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"__typename": "Query"}}
