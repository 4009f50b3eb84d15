"""``/ccadmin/v1/profiles[/{id}[/...]]`` and ``/ccadmin/v1/organizations/{id}/organizationalRoles``.

Each handler parses the body, makes one core call (:mod:`orgql.core.people`) and renders
the answer. Admin only, as every admin path (``rest/routes.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from orgql.auth.asgi import principal_of
from orgql.core.common.paging import DEFAULT_LIST_LIMIT
from orgql.core.people import contacts, grants, memberships, sorting
from orgql.core.people import input as people_input
from orgql.core.people.views import load_view, load_views
from orgql.rest.people import render, shapes
from orgql.rest.render import self_link
from orgql.rest.sorting import sort_echo
from orgql.rest.transport import (
    endpoint,
    int_param,
    path_id,
    read_json_object,
    refuse_q,
    request_href,
    single_param,
    unit_of_work,
)


def _profile_href(request: Request, profile_id: str) -> str:
    base = request_href(request).split("/ccadmin/v1/", 1)[0]
    return f"{base}/ccadmin/v1/profiles/{profile_id}"


async def _answer(request: Request, session: AsyncSession, profile_id: str) -> shapes.Profile:
    view = await load_view(session, await contacts.get(session, profile_id))
    return render.profile(view, _profile_href(request, profile_id))


@endpoint()
async def create_profile(request: Request) -> Response:
    document = await read_json_object(request)
    async with unit_of_work(request) as session:
        created = await contacts.create(session, document, principal=principal_of(request))
        body = await _answer(request, session, created.id)
    return JSONResponse(body, status_code=201)


@endpoint()
async def get_profile(request: Request) -> Response:
    async with unit_of_work(request) as session:
        body = await _answer(request, session, path_id(request))
    return JSONResponse(body)


@endpoint()
async def update_profile(request: Request) -> Response:
    document = await read_json_object(request)
    async with unit_of_work(request) as session:
        profile = await contacts.update_contact(
            session, path_id(request), document, principal=principal_of(request)
        )
        body = await _answer(request, session, profile.id)
    return JSONResponse(body)


@endpoint()
async def list_profiles(request: Request) -> Response:
    refuse_q(request, "profiles", "look them up by email or customerContactId")
    limit = int_param(request, "limit", DEFAULT_LIST_LIMIT)
    offset = int_param(request, "offset", 0)
    sort = sorting.parse_sort(single_param(request, "sort"))
    async with unit_of_work(request) as session:
        rows, total = await contacts.list_page(
            session,
            email=single_param(request, "email"),
            customer_contact_id=single_param(request, "customerContactId"),
            limit=limit,
            offset=offset,
            sort=sort,
        )
        views = await load_views(session, rows)
    body: shapes.ProfileList = {
        "totalResults": total,
        "offset": offset,
        "limit": limit,
        "sort": sort_echo(sort),
        "links": self_link(request_href(request)),
        "items": [render.profile(view, _profile_href(request, view.profile.id)) for view in views],
    }
    return JSONResponse(body)


Change = Callable[..., Awaitable[list[str]]]


def _secondary(change: Change) -> Callable[[Request], Awaitable[Response]]:
    @endpoint()
    async def handler(request: Request) -> Response:
        doc = await read_json_object(request)
        ids = people_input.parse_organization_ids(doc, "secondaryOrganizations")
        async with unit_of_work(request) as session:
            done = await change(session, path_id(request), ids, principal=principal_of(request))
        body: shapes.SecondaryOrganizationsAnswer = {
            "links": self_link(request_href(request)),
            "secondaryOrganizations": [{"id": org} for org in done],
        }
        return JSONResponse(body)

    return handler


append_secondary_organizations = _secondary(memberships.append_secondary)
remove_secondary_organizations = _secondary(memberships.remove_secondary)
replace_secondary_organizations = _secondary(memberships.replace_secondary)


@endpoint()
async def update_parent_organization(request: Request) -> Response:
    parent = people_input.parse_parent(await read_json_object(request))
    async with unit_of_work(request) as session:
        done = await memberships.update_parent(
            session, path_id(request), parent, principal=principal_of(request)
        )
    body: shapes.ParentOrganizationAnswer = {
        "links": self_link(request_href(request)),
        "parentOrganization": {"id": done},
    }
    return JSONResponse(body)


def _roles(grant: bool) -> Callable[[Request], Awaitable[Response]]:
    change = grants.grant if grant else grants.revoke

    @endpoint()
    async def handler(request: Request) -> Response:
        refs = people_input.parse_roles(await read_json_object(request))
        async with unit_of_work(request) as session:
            await change(session, path_id(request), refs, principal=principal_of(request))
            body = await _answer(request, session, path_id(request))
        return JSONResponse(body)

    return handler


add_profile_roles = _roles(grant=True)
remove_profile_roles = _roles(grant=False)


@endpoint()
async def list_organization_roles(request: Request) -> Response:
    async with unit_of_work(request) as session:
        roles = await grants.organization_roles(session, path_id(request))
    return JSONResponse(render.organizational_roles(roles, request_href(request)))
