"""Storefront reads of organizations: a shopper reads the accounts they are a member of.

``GET /ccstore/v1/organizations/{id}`` answers another account, an ancestor of theirs
included, exactly as a missing id (404, 100001); its parent and ancestors are breadcrumbs
(``id``, ``repositoryId``, ``name``). What a caller sees is the core's rule
(``core.access.checks``).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from orgql.auth.asgi import principal_of
from orgql.core.access import checks as access
from orgql.core.organizations import service as organizations
from orgql.core.organizations.views import load_views
from orgql.rest import render
from orgql.rest.auth import unauthorized
from orgql.rest.transport import endpoint, path_id, request_href, site_id, unit_of_work, urls


@endpoint()
async def get_organization(request: Request) -> Response:
    principal = principal_of(request)
    if not (principal.is_shopper or principal.is_admin):
        return unauthorized(principal.problem or "a shopper or admin access token is required")
    organization_id = path_id(request)
    async with unit_of_work(request) as session:
        site = await organizations.resolve_site(session, site_id(request), field="x-ccsite")
        seen = await access.load(session, principal)
        organization = await access.get_organization(session, seen, organization_id)
        (view,) = await load_views(session, [organization], site)
    body = render.organization(view, urls(request), request_href(request), seen)
    return JSONResponse(body)
