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

from orgql.rest import financial, organizations, site_properties
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
    resource("/v1/organizations/{id}", {"GET": organizations.get_organization}),
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
]

STORE_ROUTES: list[BaseRoute] = [
    resource("/v1/organizationRequests", {"POST": requests.submit_organization_request}),
]


class ErrorModelRouter:
    """A :class:`Router` whose routing failures are errorModel responses."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        self.router = Router(routes=routes)

    @property
    def routes(self) -> list[BaseRoute]:
        return self.router.routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.router(scope, receive, send)
        except HTTPException as exc:  # raised by the router before any response started
            headers = dict(exc.headers or {})
            if "Allow" in headers:  # a set's order in Starlette: make it stable
                headers["Allow"] = ", ".join(sorted(headers["Allow"].split(", ")))
            await http_error_response(exc.status_code, headers)(scope, receive, send)


def rest_routes() -> list[BaseRoute]:
    return [
        Mount("/ccadmin", app=ErrorModelRouter(ADMIN_ROUTES)),
        Mount("/ccstore", app=ErrorModelRouter(STORE_ROUTES)),
    ]
