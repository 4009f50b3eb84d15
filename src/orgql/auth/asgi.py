"""ASGI middleware: every HTTP request carries its caller (a :class:`Principal`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from orgql.asgi_headers import header
from orgql.auth.tokens import Authenticator, ProfileFinder, ProfileLookupFailed
from orgql.core.access import identities
from orgql.core.access.principals import ANONYMOUS, Principal
from orgql.observability.database import note_failure, statement_cancelled, unavailability
from orgql.observability.requests import retry_later_response

PRINCIPAL = "orgql.principal"
AUTHENTICATOR = "orgql.authenticator"
#: WebSocket close code "try again later" (RFC 6455 registry).
TRY_AGAIN_LATER = 1013


class Authenticate:
    def __init__(self, app: ASGIApp, authenticator: Authenticator) -> None:
        self.app = app
        self.authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            authorization = header(scope, b"authorization")
            try:
                principal = await self.authenticator.authenticate(
                    authorization, profile_finder(scope)
                )
            except ProfileLookupFailed as failed:
                await _lookup_failed(failed.error, scope, receive, send)
                return
            scope[PRINCIPAL] = principal
            scope[AUTHENTICATOR] = self.authenticator
        await self.app(scope, receive, send)


def profile_finder(scope: Scope) -> ProfileFinder | None:
    """Looks up the profile a shopper token names on the request's primary database (a
    session of its own, closed at once); None before the app's lifespan state exists."""
    state: Mapping[str, Any] = scope.get("state") or {}
    sessionmaker: async_sessionmaker[AsyncSession] | None = state.get("sessionmaker")
    if sessionmaker is None:
        return None
    maker = sessionmaker

    async def find(match: identities.IdentityMatch, value: str) -> str | None:
        async with maker() as session:
            return await identities.matching_profile(session, match, value)

    return find


async def _lookup_failed(error: Exception, scope: Scope, receive: Receive, send: Send) -> None:
    """A database that failed the profile lookup is answered as any outage is (503 with
    Retry-After; a WebSocket is closed "try again later"); any other failure is a bug."""
    response = retry_later_response(scope, unavailability(error), statement_cancelled(error))
    if response is None:
        raise error
    note_failure(error)
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": TRY_AGAIN_LATER})
        return
    await response(scope, receive, send)


def principal_of(connection: HTTPConnection) -> Principal:
    principal: Principal = connection.scope.get(PRINCIPAL, ANONYMOUS)
    return principal


def authenticator_of(connection: HTTPConnection) -> Authenticator:
    authenticator: Authenticator = connection.scope[AUTHENTICATOR]
    return authenticator
