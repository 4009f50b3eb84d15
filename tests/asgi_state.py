"""What the in-process tests need to call the app as a server would: the lifespan state in
each request's scope, and an admin token (a module of its own, not conftest: a test module
importing ``conftest`` gets whichever conftest.py of the run was imported under that name)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from orgql.auth.tokens import Authenticator
from orgql.settings import Settings


class LifespanState:
    """ASGI wrapper doing what a server does with lifespan state: each request's scope gets
    a shallow copy of it as ``scope["state"]`` (Starlette's ``request.state``).
    ``httpx.ASGITransport`` runs no lifespan, so without this ``request.state`` is empty."""

    def __init__(self, app: ASGIApp, state: Mapping[str, Any]) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = {**scope, "state": dict(self.state)}
        await self.app(scope, receive, send)


def admin_token(settings: Settings) -> str:
    """A valid admin access token for an app built with ``settings``."""
    return Authenticator(settings).issue_admin("test-suite").access_token
