"""Liveness and readiness probes, through the ASGI app."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from orgql.app import create_app
from orgql.settings import Settings


async def test_healthz_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_answers_ok_when_the_database_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_answers_503_when_the_database_is_unreachable(
    client_for: Callable[[Any, Mapping[str, Any]], httpx.AsyncClient],
) -> None:
    # Port 1 on the loopback interface refuses connections at once.
    app = create_app(Settings(database_url="postgresql://postgres@127.0.0.1:1/unreachable"))

    async with app.router.lifespan_context(app) as state, client_for(app, state or {}) as client:
        response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
