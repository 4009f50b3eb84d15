"""Fixtures of the authentication tests. Database, app and clients: tests/conftest.py."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from orgql.app import create_app
from orgql.auth.tokens import Authenticator
from orgql.settings import Settings


@pytest.fixture
def limited(
    settings: Settings, engine: AsyncEngine, client_for: Callable[..., httpx.AsyncClient]
) -> Callable[..., Any]:
    """``async with limited(graphql_max_depth=3) as client``: an app of its own with those
    settings, on the test's database, and an admin client of it."""

    @asynccontextmanager
    async def open_client(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(settings.model_copy(update=overrides), engine=engine)
        async with app.router.lifespan_context(app) as state, client_for(app, state) as client:
            yield client

    return open_client


@pytest.fixture
def authenticator(settings: Settings) -> Authenticator:
    return Authenticator(settings)


@pytest.fixture
def admin_claims(settings: Settings) -> Callable[..., dict[str, Any]]:
    """Claims of a valid admin token, with ``overrides``; ``None`` drops a claim."""

    def claims(**overrides: Any) -> dict[str, Any]:
        import secrets
        import time

        now = int(time.time())
        values: dict[str, Any] = {
            "iss": settings.auth_issuer,
            "aud": settings.auth_audience,
            "sub": "test-suite",
            "scope": "admin",
            "iat": now,
            "exp": now + 300,
            "jti": secrets.token_hex(8),
        }
        values.update(overrides)
        return {key: value for key, value in values.items() if value is not None}

    return claims
