"""The REST shim's routes: ``/ccadmin/v1/...`` and ``/ccstore/v1/...``.

Both prefixes are mounted on a router that answers unknown paths (404) and methods (405)
with an errorModel too, so an OCC client never sees a plain-text error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.types import Receive, Scope, Send

from orgql.rest import (
    auth,
    financial,
    organization_updates,
    organizations,
    site_properties,
    store_organizations,
)
from orgql.rest import organization_requests as requests
from orgql.rest.errors import http_error_response
from orgql.rest.openapi import OPENAPI

Endpoint = Callable[[Request], Awaitable[Response]]


async def openapi_document(request: Request) -> Response:
    return JSONResponse(OPENAPI)


def resource(path: str, handlers: Mapping[str, Endpoint]) -> Route:
    """One route per path, so a wrong method gets 405 with every allowed method listed."""

    async def dispatch(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](request)

    return Route(path, dispatch, methods=list(handlers), name=path)


ADMIN_ROUTES: list[BaseRoute] = [
    resource(
        "/v1/organizations",
        {"GET": organizations.list_organizations, "POST": organizations.create_organization},
    ),
    resource(
        "/v1/organizations/{id}",
        {"GET": organizations.get_organization, "PUT": organization_updates.update_organization},
    ),
    resource(
        "/v1/organizations/{id}/updateSiteOrganizationProperties",
        {"POST": site_properties.update_site_organization_properties},
    ),
    resource(
        "/v1/organizations/{id}/siteOrganizationProperties",
        {"GET": site_properties.get_site_organization_properties},
    ),
    resource(
        "/v1/organizations/{id}/syncFinancialData",
        {"POST": financial.sync_financial_data},
    ),
    resource("/v1/organizationRequests", {"GET": requests.list_organization_requests}),
    resource(
        "/v1/organizationRequests/{id}",
        {"GET": requests.get_organization_request, "PUT": requests.update_organization_request},
    ),
    resource(
        "/v1/organizationRequests/{id}/approve", {"POST": requests.approve_organization_request}
    ),
    resource(
        "/v1/organizationRequests/{id}/reject", {"POST": requests.reject_organization_request}
    ),
    resource("/v1/openapi.json", {"GET": openapi_document}),
    resource("/v1/login", {"POST": auth.login}),
    resource("/v1/refresh", {"POST": auth.refresh}),
]

#: The admin paths open without an admin access token; every other one needs it.
PUBLIC_ADMIN_PATHS = frozenset({"/v1/login", "/v1/refresh", "/v1/openapi.json"})

STORE_ROUTES: list[BaseRoute] = [
    resource("/v1/organizationRequests", {"POST": requests.submit_organization_request}),
    resource("/v1/organizations/{id}", {"GET": store_organizations.get_organization}),
]


class ErrorModelRouter:
    """A :class:`Router` whose routing failures are errorModel responses."""

    def __init__(
        self, routes: list[BaseRoute], *, admin_only_except: frozenset[str] | None = None
    ) -> None:
        self.router = Router(routes=routes)
        #: When set, every path but these answers 401 to a caller without an admin token.
        self.admin_only_except = admin_only_except

    @property
    def routes(self) -> list[BaseRoute]:
        return self.router.routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.admin_only_except is not None and scope["type"] == "http":
            path: str = scope["path"][len(scope.get("root_path", "")) :]
            if path not in self.admin_only_except:
                refusal = auth.admin_refusal(Request(scope))
                if refusal is not None:
                    await refusal(scope, receive, send)
                    return
        try:
            await self.router(scope, receive, send)
        except HTTPException as exc:  # raised by the router before any response started
            headers = dict(exc.headers or {})
            if "Allow" in headers:  # a set's order in Starlette: make it stable
                headers["Allow"] = ", ".join(sorted(headers["Allow"].split(", ")))
            await http_error_response(exc.status_code, headers)(scope, receive, send)


def rest_routes() -> list[BaseRoute]:
    return [
        Mount("/ccadmin", app=ErrorModelRouter(ADMIN_ROUTES, admin_only_except=PUBLIC_ADMIN_PATHS)),
        Mount("/ccstore", app=ErrorModelRouter(STORE_ROUTES)),
    ]
