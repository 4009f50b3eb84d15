"""Fixtures of the authentication tests. Database, app and clients: tests/conftest.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from orgql.auth.tokens import Authenticator
from orgql.settings import Settings


@pytest.fixture
def authenticator(settings: Settings) -> Authenticator:
    return Authenticator(settings)


@pytest.fixture
def admin_claims(settings: Settings) -> Callable[..., dict[str, Any]]:
    """Claims of a valid admin token, with ``overrides``; ``None`` drops a claim."""

    def claims(**overrides: Any) -> dict[str, Any]:
        import time

        now = int(time.time())
        values: dict[str, Any] = {
            "iss": settings.auth_issuer,
            "aud": settings.auth_audience,
            "sub": "test-suite",
            "scope": "admin",
            "iat": now,
            "exp": now + 300,
        }
        values.update(overrides)
        return {key: value for key, value in values.items() if value is not None}

    return claims
