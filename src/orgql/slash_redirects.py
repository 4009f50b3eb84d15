"""A path spelled with a trailing slash its route does not have (``/graphql/``,
``/ccadmin/v1/organizations/``), or without the one it has, is redirected to its route's
spelling: 307, the method and body kept, with a relative ``Location``: the path (the root path
the app is served under included) and the query, never a scheme or host.

Starlette's own redirect (``Router(redirect_slashes=True)``) writes an absolute URL on the
request's ``Host`` header, which is the client's to write: ``Host: evil.example`` was answered
``Location: http://evil.example/ccadmin/v1/organizations``, in production too, a redirect any
cache or proxy in between could hand to others. A relative reference (RFC 9110 10.2.2)
resolves against the URL the client used, whatever proxies stand before the gateway: it needs
neither the Host header nor ORGQL_PUBLIC_BASE_URL."""

from __future__ import annotations

from urllib.parse import quote

from starlette._utils import get_route_path
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Match, Router
from starlette.types import ASGIApp, Receive, Scope, Send

#: Characters of a path written as they are (RFC 3986 pchar and "/"); any other, ``%``,
#: ``?``, ``#`` and ``\\`` included, is percent-encoded.
_PATH_SAFE = "/:@!$&'()*+,;="


class SlashRedirects:
    """A router's default app (what answers when no route matched): the redirect to the
    path's other spelling when a route takes it, else the router's former default."""

    def __init__(self, routes: list[BaseRoute], fallback: ASGIApp) -> None:
        self.routes = routes
        self.fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        location = self.location(scope) if scope["type"] == "http" else None
        if location is None:
            await self.fallback(scope, receive, send)
            return
        await RedirectResponse(location, status_code=307)(scope, receive, send)

    def location(self, scope: Scope) -> str | None:
        """The relative URL of the path's other spelling, if a route takes it."""
        if get_route_path(scope) in ("", "/"):
            return None
        path: str = scope["path"]
        other = path.rstrip("/") if path.endswith("/") else f"{path}/"
        moved = {**scope, "path": other}
        if all(route.matches(moved)[0] is Match.NONE for route in self.routes):
            return None
        location = quote(other, safe=_PATH_SAFE)
        if location.startswith("//"):  # a network-path reference would name another host
            return None
        query: bytes = scope.get("query_string", b"")
        return f"{location}?{query.decode('latin-1')}" if query else location


def install(router: Router) -> None:
    """Give ``router`` these redirects in place of Starlette's."""
    router.redirect_slashes = False
    router.default = SlashRedirects(router.routes, router.default)
