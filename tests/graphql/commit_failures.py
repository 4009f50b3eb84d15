"""What the tests of mutations failing after a commit share (test_mutations_committed_before_
an_outage, test_requests_failing_after_a_commit, test_committed_field_payload_failures): an
app of its own whose database waits fail as each test sets, a row or table held locked by
another transaction, and the creates they send and look for."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from orgql.app import create_app
from orgql.settings import Settings

#: The organization whose row the tests hold locked: a create under it waits for the lock.
LOCKED_PARENT = "100001"


@asynccontextmanager
async def gateway_with(
    database_url: str,
    client_for: Callable[[Any, Mapping[str, Any]], httpx.AsyncClient],
    **settings: Any,
) -> AsyncIterator[httpx.AsyncClient]:
    """An admin client of an app on its own engine with ``settings``, its connection opened
    (the connection's first statements are not what fails)."""
    app = create_app(Settings(database_url=database_url, **settings))
    async with app.router.lifespan_context(app) as state, client_for(app, state or {}) as client:
        assert (await client.post("/graphql", json={"query": "{ sites { id } }"})).is_success
        yield client


@asynccontextmanager
async def holding(
    engine: AsyncEngine, statement: str, **parameters: Any
) -> AsyncIterator[AsyncConnection]:
    """Another transaction holding the lock ``statement`` takes, until the block ends."""
    async with engine.connect() as holder:
        await holder.execute(text(statement), parameters)
        yield holder
        await holder.rollback()


def parent_row_held(engine: AsyncEngine) -> Any:
    """Organization 100001's row locked by another transaction (:func:`holding`)."""
    return holding(
        engine, "SELECT 1 FROM organizations WHERE id = :id FOR UPDATE", id=LOCKED_PARENT
    )


async def names_created(engine: AsyncEngine, *names: str) -> list[str]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT name FROM organizations WHERE name = ANY(:names) ORDER BY name"),
            {"names": list(names)},
        )
        return [row.name for row in rows]


def create(alias: str, name: str, parent: str | None = None) -> str:
    parent_input = f', parentOrganizationId: "{parent}"' if parent else ""
    return (
        f'{alias}: createOrganization(input: {{name: "{name}"{parent_input}}})'
        " { organization { name } userErrors { code } }"
    )


def mutation(*fields: str) -> dict[str, str]:
    return {"query": "mutation Creates { " + " ".join(fields) + " }"}
