"""Storefront reads of organizations: a shopper reads the accounts they are a member of.

``GET /ccstore/v1/organizations/{id}`` answers another account, an ancestor of theirs
included, exactly as a missing id (404, 100001); its parent and ancestors are breadcrumbs
(``id``, ``repositoryId``, ``name``). What a caller sees is the core's rule
(``core.access.checks``).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from orgql.auth.asgi import principal_of
from orgql.core.organizations import snapshots
from orgql.rest.auth import unauthorized
from orgql.rest.organizations import bodies
from orgql.rest.transport import (
    JSONBytes,
    endpoint,
    one_statement_engine,
    path_id,
    request_href,
    site_id,
    urls,
)


@endpoint()
async def get_organization(request: Request) -> Response:
    principal = principal_of(request)
    if not (principal.is_shopper or principal.is_admin):
        return unauthorized(principal.problem or "a shopper or admin access token is required")
    organization_id = path_id(request)
    # A shopper reads only the accounts their active profile is a member of, checked in the
    # read's one statement (core.access.checks; anyone else's is a missing id).
    shopper = None if principal.is_admin else principal.subject or ""
    snapshot = await snapshots.read_by_id(
        await one_statement_engine(request), organization_id, site_id(request), member_of=shopper
    )
    body = bodies.organization(
        snapshot, urls(request), request_href(request), shopper=shopper is not None
    )
    return JSONBytes(bodies.dumps(body, snapshot))
