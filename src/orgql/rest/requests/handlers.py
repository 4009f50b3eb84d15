"""Organization requests: ``POST /ccstore/v1/organizationRequests`` (storefront) and
``/ccadmin/v1/organizationRequests[/{id}[/approve|/reject]]`` (admin).

Each handler parses the transport's input, makes one core call and renders the result.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from orgql.core.common.errors import Codes, OrgqlError
from orgql.core.common.paging import DEFAULT_LIST_LIMIT
from orgql.core.requests import reads as organization_request_reads
from orgql.core.requests import removal as request_removal
from orgql.core.requests import service as organization_requests
from orgql.core.requests.codes import RequestCodes
from orgql.db import request_models
from orgql.rest.operation import Operation
from orgql.rest.render import self_link
from orgql.rest.requests.render import organization_request, organization_request_list, parse_expand
from orgql.rest.requests.shapes import OrganizationRequest, OrganizationRequestSubmitted
from orgql.rest.transport import (
    BodyTooLarge,
    endpoint,
    int_param,
    path_id,
    read_json_object,
    refuse_q,
    request_href,
    single_param,
    site_id,
    unit_of_work,
)


async def _body(request: Request, *, optional: bool = False) -> dict[str, object]:
    """The JSON body; a malformed one is this API's invalid input (101001)."""
    try:
        return await read_json_object(request, optional=optional)
    except BodyTooLarge:
        raise
    except OrgqlError as error:
        if error.code != Codes.INVALID_INPUT:
            raise
        raise OrgqlError(RequestCodes.INVALID_INPUT, error.message, error.field) from None


def _expand(request: Request) -> frozenset[str]:
    return parse_expand(request.query_params.getlist("expand"))


def _list_params(request: Request) -> tuple[int, int, str | None]:
    """The list's limit, offset and status; a bad one, or a ``q`` (the vendor's filter,
    which this list does not take: filter by ``status``), is this API's invalid input
    (101001)."""
    try:
        refuse_q(request, "organization requests", "filter them by status")
        limit = int_param(request, "limit", DEFAULT_LIST_LIMIT)
        return limit, int_param(request, "offset", 0), single_param(request, "status") or None
    except OrgqlError as error:
        raise OrgqlError(RequestCodes.INVALID_INPUT, error.message, error.field) from None


async def _address_types(
    session: AsyncSession,
    rows: Sequence[request_models.OrganizationRequest],
    expand: frozenset[str],
) -> dict[str, request_models.AddressType]:
    """The address types the drafts name, when their addresses are expanded (one read)."""
    if "organizationAddresses" not in expand:
        return {}
    wanted = organization_request_reads.draft_address_type_ids(rows)
    return await organization_request_reads.address_types_by_id(session, wanted)


async def _render(
    session: AsyncSession, row: request_models.OrganizationRequest, expand: frozenset[str]
) -> OrganizationRequest:
    return organization_request(row, expand, await _address_types(session, [row], expand))


@endpoint(internal_code=RequestCodes.SUBMIT_FAILED)
async def submit_organization_request(request: Request) -> Response:
    document = await _body(request)
    async with unit_of_work(request) as session:
        submitted = await organization_requests.submit(session, document, site_id=site_id(request))
    body: OrganizationRequestSubmitted = {"links": self_link(request_href(request))}
    if submitted.id is not None:  # the core sets exactly one of the two
        body["id"] = submitted.id
    if submitted.message is not None:
        body["message"] = submitted.message
    return JSONResponse(body)


@endpoint()
async def get_organization_request(request: Request) -> Response:
    expand = _expand(request)
    async with unit_of_work(request) as session:
        row = await organization_request_reads.get(session, path_id(request))
        body = await _render(session, row, expand)
    return JSONResponse(body)


@endpoint()
async def list_organization_requests(request: Request) -> Response:
    expand = _expand(request)
    limit, offset, status = _list_params(request)
    async with unit_of_work(request) as session:
        page = await organization_request_reads.list_page(
            session, status=status, limit=limit, offset=offset
        )
        total = await organization_request_reads.count(session, status=status)
        types = await _address_types(session, page.items, expand)
    body = organization_request_list(
        page.items,
        expand,
        types,
        total=total,
        offset=offset,
        limit=limit,
        self_href=request_href(request),
    )
    return JSONResponse(body)


@endpoint()
async def update_organization_request(request: Request) -> Response:
    expand = _expand(request)
    document = await _body(request)
    async with unit_of_work(request) as session:
        row = await organization_requests.update(session, path_id(request), document)
        body = await _render(session, row, expand)
    return JSONResponse(body)


@endpoint()
async def approve_organization_request(request: Request) -> Response:
    expand = _expand(request)
    document = await _body(request, optional=True)
    async with unit_of_work(request) as session:
        row = await organization_requests.approve(session, path_id(request), document)
        body = await _render(session, row, expand)
    return JSONResponse(body)


@endpoint()
async def reject_organization_request(request: Request) -> Response:
    expand = _expand(request)
    document = await _body(request, optional=True)
    async with unit_of_work(request) as session:
        row = await organization_requests.reject(session, path_id(request), document)
        body = await _render(session, row, expand)
    return JSONResponse(body)


@endpoint()
async def delete_organization_request(request: Request) -> Response:
    async with unit_of_work(request) as session:
        await request_removal.delete(session, path_id(request))
    return Response(status_code=204)


#: The route table's entry for ``DELETE /ccadmin/v1/organizationRequests/{id}``.
DELETE = Operation(
    delete_organization_request,
    "deleteOrganizationRequest",
    None,
    "Deleted",
    (404, 409),
    ok_status=204,
    summary="Delete a request that is in review.",
    description="101000 (404): no such request. 101007 (409): in moreInfoNeeded (waiting on"
    " the requester). 101008 (409): approved or rejected.",
)
