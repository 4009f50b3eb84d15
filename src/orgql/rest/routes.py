"""The REST shim's routes: ``/ccadmin/v1/...`` and ``/ccstore/v1/...``.

The table (``ADMIN``, ``STORE``) names each path's handlers with their contract: operation
id, parameters, security, the shapes of body and answer. The routes are built from it, and so
is the OpenAPI document (``rest/openapi.py``). Both prefixes are mounted on a router that
answers unknown paths (404) and methods (405) with an errorModel too, so an OCC client never
sees a plain-text error.
"""

from __future__ import annotations

import functools
import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Router
from starlette.types import Receive, Scope, Send

from orgql.auth.endpoints import ADMIN_PREFIX, LOGIN_PATH, REFRESH_PATH, TOKEN_PATHS
from orgql.core.common.paging import DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, MAX_OFFSET
from orgql.edge_errors import app_path, routing_refusal
from orgql.rest import auth, openapi
from orgql.rest.addresses import handlers as organization_addresses
from orgql.rest.events import handlers as webhooks
from orgql.rest.financial import handlers as financial
from orgql.rest.financial import shapes as financial_shapes
from orgql.rest.operation import Operation, Resource, header, query
from orgql.rest.organizations import handlers as organization_routes
from orgql.rest.organizations import shapes as organization_shapes
from orgql.rest.organizations import store as store_organizations
from orgql.rest.organizations import updates as organization_updates
from orgql.rest.organizations.list_params import LIST_PARAMETERS
from orgql.rest.people import routes as people
from orgql.rest.requests import routes as request_routes
from orgql.rest.shapes import AccessToken, LoginForm
from orgql.rest.sites import handlers as site_properties
from orgql.rest.sites import shapes as site_shapes
from orgql.rest.transport import SITE_HEADER, endpoint
from orgql.slash_redirects import install as install_slash_redirects


@endpoint()
async def openapi_document(request: Request) -> Response:
    return JSONResponse(openapi_json())


_SITE = header(
    SITE_HEADER,
    "Site whose site-specific values are written or read (default: the default site). An"
    " unknown site is a 400 (100002).",
)
_PAGE = (
    query(
        "limit",
        {
            "type": "integer",
            "minimum": 0,
            "maximum": MAX_LIST_LIMIT,
            "default": DEFAULT_LIST_LIMIT,
        },
    ),
    query("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}),
)
_ISSUED = "An admin access token"

ADMIN: list[Resource] = [
    Resource(
        "/v1/organizations",
        {
            "GET": Operation(
                organization_routes.list_organizations,
                "listOrganizations",
                organization_shapes.OrganizationList,
                "A page of organizations, ordered by sort (default: by id)",
                (400,),
                parameters=(
                    *_PAGE,
                    *LIST_PARAMETERS,
                    _SITE,
                ),
            ),
            "POST": Operation(
                organization_routes.create_organization,
                "createOrganization",
                organization_shapes.Organization,
                "The created organization",
                (400, 409),
                body=organization_shapes.CreateOrganization,
                parameters=(_SITE,),
            ),
        },
    ),
    Resource(
        "/v1/organizations/{id}",
        {
            "GET": Operation(
                organization_routes.get_organization,
                "getOrganization",
                organization_shapes.Organization,
                "The organization",
                (400, 404),
                parameters=(_SITE,),
                ok_headers=organization_updates.ETAG_HEADER,
            ),
            "PUT": organization_updates.PUT,
        },
    ),
    *organization_addresses.RESOURCES,
    Resource(
        "/v1/organizations/{id}/updateSiteOrganizationProperties",
        {
            "POST": Operation(
                site_properties.update_site_organization_properties,
                "updateSiteOrganizationProperties",
                site_shapes.SiteOrganizationPropertiesList,
                "The entries that were set",
                (400, 404),
                body=site_shapes.UpdateSiteOrganizationProperties,
                description="Set or remove the organization's own values per site, in one"
                " transaction (one bad entry changes nothing). The response lists the entries"
                " that set values (not the removals), with the organization's own values"
                " after the update.",
            )
        },
    ),
    Resource(
        "/v1/organizations/{id}/siteOrganizationProperties",
        {
            "GET": Operation(
                site_properties.get_site_organization_properties,
                "getSiteOrganizationProperties",
                site_shapes.SiteOrganizationPropertiesList,
                "One entry per site, ordered by site id",
                (400, 404),
                parameters=(
                    query(
                        "allSites",
                        {"type": "boolean", "default": True},
                        "The values in effect (own, else inherited within the site). true"
                        " (default): one entry per B2B site (null where nothing is set). false:"
                        " one entry per site on which the organization or an ancestor sets any."
                        " Empty, anything else or two different values: 400 (100002).",
                    ),
                ),
            )
        },
    ),
    Resource(
        "/v1/organizations/{id}/syncFinancialData",
        {
            "POST": Operation(
                financial.sync_financial_data,
                "syncFinancialData",
                financial_shapes.SyncFinancialDataResponse,
                "The synced accounts and the addresses that failed",
                (400, 404, 409),
                body=financial_shapes.SyncFinancialDataRequest,
                body_required=False,
                description="Replace the organization's billing accounts and their addresses"
                " with those the financial system of record holds for its party, in one"
                " transaction. Errors: 100002 (400) bad body, 100001 (404) unknown"
                " organization, 58001 (409) self-service portal disabled, 100193 (409)"
                " organization without partyId, or changed while fetched, or overtaken by a newer"
                " sync, 100193 (500) the financial system failed: nothing was changed.",
            )
        },
    ),
    *request_routes.ADMIN_RESOURCES,
    *people.RESOURCES,
    *webhooks.RESOURCES,
    Resource(
        "/v1/openapi.json",
        {
            "GET": Operation(
                openapi_document, "getOpenApiDocument", None, "This document", security=()
            )
        },
    ),
    Resource(
        LOGIN_PATH,
        {
            "POST": Operation(
                auth.login,
                "login",
                AccessToken,
                _ISSUED,
                (400,),
                body=LoginForm,
                body_media_type="application/x-www-form-urlencoded",
                security=("applicationKey",),
                summary="Exchange an application key (Authorization: Bearer <key>) for an admin"
                " access token.",
            )
        },
    ),
    Resource(
        REFRESH_PATH,
        {
            "POST": Operation(
                auth.refresh,
                "refresh",
                AccessToken,
                _ISSUED,
                summary="A new admin access token for a valid one.",
            )
        },
    ),
    auth.LOGOUT,
]

#: The admin paths open without an admin access token; every other one needs it.
PUBLIC_ADMIN_PATHS = TOKEN_PATHS | {"/v1/openapi.json"}
_PUBLIC_ADMIN_URLS = frozenset(ADMIN_PREFIX + path for path in PUBLIC_ADMIN_PATHS)

STORE: list[Resource] = [
    request_routes.STORE_RESOURCE,
    Resource(
        "/v1/organizations/{id}",
        {
            "GET": Operation(
                store_organizations.get_organization,
                "getStoreOrganization",
                organization_shapes.Organization,
                "The organization",
                (400, 404),
                parameters=(_SITE,),
                security=("shopperToken", "adminToken"),
                summary="An organization the shopper (bearer token of the identity provider) is"
                " a member of; any other id is 404 like a missing one.",
            )
        },
    ),
]

ADMIN_ROUTES: list[BaseRoute] = [resource.route() for resource in ADMIN]
STORE_ROUTES: list[BaseRoute] = [resource.route() for resource in STORE]


@functools.cache
def openapi_json() -> dict[str, object]:
    """The OpenAPI document of these routes (built on first use: see ``rest/openapi.py``)."""
    return openapi.document({"/ccadmin": ADMIN, "/ccstore": STORE})


class ErrorModelRouter:
    """A :class:`Router` whose routing failures are errorModel responses, and whose
    trailing-slash redirects are relative (orgql.slash_redirects)."""

    def __init__(
        self, routes: list[BaseRoute], *, admin_only_except: frozenset[str] | None = None
    ) -> None:
        self.router = Router(routes=routes)
        install_slash_redirects(self.router)  # a trailing slash: a relative 307
        #: When set, every path but these (below the app's root path: edge_errors.app_path)
        #: answers 401 to a caller without an admin token.
        self.admin_only_except = admin_only_except

    @property
    def routes(self) -> list[BaseRoute]:
        return self.router.routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.admin_only_except is not None
            and scope["type"] == "http"
            and app_path(scope) not in self.admin_only_except
        ):
            refusal = auth.admin_refusal(Request(scope))
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        try:
            await self.router(scope, receive, send)
        except HTTPException as exc:  # raised by the router before any response started
            await routing_refusal(scope, exc)(scope, receive, send)


def _mount(path: str, app: ErrorModelRouter) -> Mount:
    mount = Mount(path, app=app)
    # Starlette's pattern for the rest of the path stops at a newline ("." without DOTALL):
    # a path holding an encoded one (%0A) would miss the mount and get a plain-text 404.
    mount.path_regex = re.compile(mount.path_regex.pattern, re.DOTALL)
    return mount


def rest_routes() -> list[BaseRoute]:
    return [
        _mount(ADMIN_PREFIX, ErrorModelRouter(ADMIN_ROUTES, admin_only_except=_PUBLIC_ADMIN_URLS)),
        _mount("/ccstore", ErrorModelRouter(STORE_ROUTES)),
    ]
