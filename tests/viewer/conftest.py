"""Fixtures of the storefront shopper's tests: an app whose shopper tokens come from a JWKS
identity provider on loopback (tests/conftest.py: ``jwks_url``, ``identity_provider``),
configured with an identity claim and match of the test's choosing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from viewer_support import Storefront

from orgql.app import create_app
from orgql.settings import Settings


@pytest.fixture
def storefront(
    settings: Settings,
    engine: AsyncEngine,
    client_for: Callable[..., httpx.AsyncClient],
    identity_provider: Any,
    jwks_url: str,
) -> Callable[..., Any]:
    """``async with storefront(shopper_identity_match="email", ...) as shop``: an app of its
    own on the test's database, its shopper keys from the loopback JWKS."""

    @asynccontextmanager
    async def open_storefront(**overrides: Any) -> AsyncIterator[Storefront]:
        configured = settings.model_copy(
            update={"shopper_public_key": None, "shopper_jwks_url": jwks_url, **overrides}
        )
        app = create_app(configured, engine=engine)
        async with app.router.lifespan_context(app) as state:
            yield Storefront(app, state or {}, identity_provider, client_for)

    return open_storefront
