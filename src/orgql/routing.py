"""The app's router: an HTTP request tries only the routes its path's first segment can take.

Starlette's Router tries every route in order, a regular expression each, until one
matches: a REST request tried the expressions of the seven routes before the ``/ccadmin``
mount, a few microseconds of every request (issue 16). Here the routes are grouped by the
first segment of the paths they take (``healthz``, ``graphql``, ``ccadmin``); a request tries
its segment's group, in the routes' order, and the routes whose first segment holds a
parameter (in every group). A route outside the group could not have matched, so the
answer is the scan's: the first full match, else the first partial one (405), else the
router's default (404, or a trailing slash's redirect: orgql.slash_redirects).

The router also answers Starlette's ``HTTPException`` itself: its own 404, a route's 405
(``Route``), a mount's (``StaticFiles``), in the shape of the path (edge_errors.routing_refusal).
Starlette answered them in its ExceptionMiddleware, whose ``Request`` and send wrapper every
request paid for (issue 16: 18,000 instructions a request); the app (:class:`RoutedApp`) has
none. Starlette raises each before any answer started (a route's method check, the router's
default, StaticFiles' lookup, a function endpoint's body), which the middleware checked with
its send wrapper: here that is taken as given.
"""

from __future__ import annotations

from typing import Any

from starlette._utils import get_route_path
from starlette.applications import Starlette
from starlette.exceptions import HTTPException, WebSocketException
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.routing import BaseRoute, Match, Mount, Route, Router, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from orgql.edge_errors import routing_refusal

#: Where Starlette's function endpoints (``request_response``) look for the exception handlers
#: of their app, and the value they find here: none. An exception leaves them for this router
#: (an HTTPException) or the middlewares (anything else, ObserveRequests' 500), and the
#: handlers of a parent app mounting this one do not answer for this app's routes.
_HANDLERS_KEY = "starlette.exception_handlers"
_NO_HANDLERS: tuple[dict[Any, Any], dict[int, Any]] = ({}, {})


def first_segment(path: str) -> str:
    """``healthz`` of ``/healthz``, ``ccadmin`` of ``/ccadmin/v1/organizations``. A final
    newline (an encoded ``%0A``) is not part of it: Starlette's patterns end in ``$``, which
    matches before one too, so its scan answers ``/healthz%0A`` as ``/healthz``."""
    return path[1:].removesuffix("\n").partition("/")[0]


def _segment_of(route: BaseRoute) -> str | None:
    """The first segment of every path ``route`` takes; None when it may take any (a
    parameter in it, a mount of the whole app, or a kind of route without a path)."""
    if isinstance(route, Mount):  # its path, a slash, anything
        if not route.path:
            return None
    elif not isinstance(route, (Route, WebSocketRoute)):
        return None
    segment = first_segment(route.path)
    return None if "{" in segment else segment


class SegmentRouter(Router):
    """A Router whose HTTP requests try their first segment's routes only (the module's
    docstring). The groups follow ``routes`` as they change (tests add routes to an app)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._grouped: list[BaseRoute] = []
        self._groups: dict[str, list[BaseRoute]] = {}
        self._anywhere: list[BaseRoute] = []

    def _group(self) -> None:
        self._grouped = list(self.routes)
        segments = [(_segment_of(route), route) for route in self._grouped]
        self._anywhere = [route for segment, route in segments if segment is None]
        self._groups = {
            segment: [route for own, route in segments if own in (segment, None)]
            for segment, _ in segments
            if segment is not None
        }

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[_HANDLERS_KEY] = _NO_HANDLERS
        try:
            # Starlette's own scan for WebSockets and the lifespan, and with its own redirects
            # (they scan every route for the path's other spelling).
            if scope["type"] != "http" or self.redirect_slashes:
                await super().app(scope, receive, send)
                return
            if self._grouped != self.routes:
                self._group()
            scope.setdefault("router", self)
            path = get_route_path(scope)
            # The first full match, else the first partial one (the path's route, another
            # method: its 405), else the default.
            chosen: tuple[BaseRoute, Scope] | None = None
            for route in self._groups.get(first_segment(path), self._anywhere):
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    chosen = (route, child_scope)
                    break
                if match is Match.PARTIAL and chosen is None:
                    chosen = (route, child_scope)
            if chosen is None:
                await self.default(scope, receive, send)
                return
            route, child_scope = chosen
            scope["route"] = route
            scope.update(child_scope)
            await route.handle(scope, receive, send)
        # As Starlette's ExceptionMiddleware with the app's handlers (the module's docstring).
        except HTTPException as error:
            await routing_refusal(scope, error)(scope, receive, send)
        except WebSocketException as error:
            await WebSocket(scope, receive, send).close(code=error.code, reason=error.reason)


class RoutedApp(Starlette):
    """Starlette's app without its ExceptionMiddleware: the router (:class:`SegmentRouter`)
    answers routing failures itself. The stack is Starlette's otherwise: ServerErrorMiddleware
    outermost, then the app's middlewares, then the router. Exception handlers would have
    nothing to run them, so an app given some refuses to start."""

    def build_middleware_stack(self) -> ASGIApp:
        if self.exception_handlers or self.max_body_size is not None:
            raise TypeError("RoutedApp runs no exception handlers and limits no body size")
        # The router's own stack (``Router.__call__`` calls it), one call fewer per request.
        app = self.router.middleware_stack
        for cls, args, kwargs in reversed(self.user_middleware):
            app = cls(app, *args, **kwargs)
        return ServerErrorMiddleware(app, debug=self.debug)
