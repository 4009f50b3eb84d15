"""ASGI middleware: every HTTP request carries its caller (a :class:`Principal`)."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from orgql.auth.tokens import Authenticator
from orgql.core.access.principals import ANONYMOUS, Principal

PRINCIPAL = "orgql.principal"
AUTHENTICATOR = "orgql.authenticator"


class Authenticate:
    def __init__(self, app: ASGIApp, authenticator: Authenticator) -> None:
        self.app = app
        self.authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            header = Headers(scope=scope).get("authorization")
            scope[PRINCIPAL] = await self.authenticator.authenticate(header)
            scope[AUTHENTICATOR] = self.authenticator
        await self.app(scope, receive, send)


def principal_of(connection: HTTPConnection) -> Principal:
    principal: Principal = connection.scope.get(PRINCIPAL, ANONYMOUS)
    return principal


def authenticator_of(connection: HTTPConnection) -> Authenticator:
    authenticator: Authenticator = connection.scope[AUTHENTICATOR]
    return authenticator
