"""``/ccadmin/v1/organizations``: create, read one, list (OCC createOrganization and kin).

Each handler parses the transport's input, makes one core call and renders the result.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from orgql.core.common.errors import Codes
from orgql.core.common.paging import DEFAULT_LIST_LIMIT
from orgql.core.organizations import input as organization_input
from orgql.core.organizations import service as organizations
from orgql.core.organizations import snapshots
from orgql.core.organizations.views import load_views
from orgql.db import models
from orgql.rest import render
from orgql.rest.organizations import bodies
from orgql.rest.organizations.list_params import list_parameters
from orgql.rest.organizations.shapes import Organization
from orgql.rest.sorting import sort_echo
from orgql.rest.transport import (
    JSONBytes,
    endpoint,
    int_param,
    one_statement_engine,
    path_id,
    read_json_object,
    request_href,
    site_id,
    unit_of_work,
    urls,
)

#: The createOrganization keys the core knows; every other top-level key of the body is a
#: dynamic property ("dynamicProperty1" in the vendor's sample).
KNOWN_KEYS = organization_input.KNOWN_KEYS


async def _render(
    session: AsyncSession,
    request: Request,
    items: Sequence[models.Organization],
    site_id: str | None,
) -> list[Organization]:
    views = await load_views(session, items, site_id)
    links = urls(request)
    return [render.organization(view, links, request_href(request)) for view in views]


@endpoint(internal_code=Codes.CREATE_FAILED)
async def create_organization(request: Request) -> Response:
    doc = await read_json_object(request)
    known = {key: value for key, value in doc.items() if key in KNOWN_KEYS}
    dynamic = {key: value for key, value in doc.items() if key not in KNOWN_KEYS}
    new = organization_input.parse_new_organization(known, dynamic)
    site = site_id(request)
    async with unit_of_work(request) as session:
        created = await organizations.create_with_chain(session, new, site_id=site)
        (body,) = await _render(session, request, [created.organization], created.site_id)
    return JSONResponse(body)


@endpoint()
async def get_organization(request: Request) -> Response:
    organization_id = path_id(request)
    engine = await one_statement_engine(request)
    snapshot = await snapshots.read_by_id(engine, organization_id, site_id(request))
    body = bodies.organization(snapshot, urls(request), request_href(request))
    # The version is the ETag that PUT's If-Match takes (updates.etag, written the same).
    etag = (b"etag", b'"%d"' % snapshot.page[0].version)
    return JSONBytes(bodies.dumps(body, snapshot), [etag])


@endpoint()
async def list_organizations(request: Request) -> Response:
    limit = int_param(request, "limit", DEFAULT_LIST_LIMIT)
    offset = int_param(request, "offset", 0)
    parameters = list_parameters(request)
    snapshot = await snapshots.read_page(
        await one_statement_engine(request),
        parameters.where,
        site_id(request),
        limit=limit,
        offset=offset,
        sort=parameters.sort,
    )
    body = bodies.organization_list(
        snapshot,
        urls(request),
        offset=offset,
        limit=limit,
        self_href=request_href(request),
        sort=sort_echo(parameters.sort),
    )
    return JSONBytes(bodies.dumps(body, snapshot))
