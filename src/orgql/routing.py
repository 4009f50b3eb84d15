"""The app's router: an HTTP request tries only the routes its path's first segment can take.

Starlette's Router tries every route in order, a regular expression each, until one
matches: a REST request tried the expressions of the seven routes before the ``/ccadmin``
mount, a few microseconds of every request (issue 16). Here the routes are grouped by the
first segment of the paths they take (``healthz``, ``graphql``, ``ccadmin``); a request tries
its segment's group, in the routes' order, and the routes whose first segment holds a
parameter (in every group). A route outside the group could not have matched, so the
answer is the scan's: the first full match, else the first partial one (405), else the
router's default (404, or a trailing slash's redirect: orgql.slash_redirects).
"""

from __future__ import annotations

from typing import Any

from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, Mount, Route, Router, WebSocketRoute
from starlette.types import Receive, Scope, Send


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
