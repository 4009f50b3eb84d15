"""``PUT /ccadmin/v1/organizations/{id}``: updateOrganization, with versions.

The body has createOrganization's keys (a key left out is unchanged, ``null`` clears the own
value so it is inherited again, ``parentOrganization`` moves, ``active`` deactivates or
reactivates, ``members`` replaces the members: core/people/memberships.py). ``If-Match``
carries the version read from ``GET``'s ``ETag``; a stale one is 412. ``?dryRun=true``
writes nothing and answers the values the change would alter.
"""

from __future__ import annotations

import re
from decimal import Decimal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from orgql.auth.asgi import principal_of
from orgql.core.common.errors import Codes, ErrorKind, OrgqlError
from orgql.core.inheritance.effects import ValueChange
from orgql.core.organizations import input as organization_input
from orgql.core.organizations import member_updates
from orgql.core.organizations import service as organizations
from orgql.core.organizations import updates as organization_updates
from orgql.core.organizations.changes import parse_changes
from orgql.core.organizations.views import load_views
from orgql.core.people import memberships
from orgql.core.people.input import parse_organization_ids
from orgql.rest import render
from orgql.rest.errors import bad_request
from orgql.rest.operation import Operation, header, query
from orgql.rest.organizations.shapes import Organization
from orgql.rest.organizations.update_shapes import (
    EffectiveValueChange,
    UpdateOrganization,
    UpdateOrganizationDryRun,
)
from orgql.rest.transport import (
    SITE_HEADER,
    bool_param,
    endpoint,
    path_id,
    read_json_object,
    request_href,
    site_id,
    unit_of_work,
    urls,
)

#: One element of an If-Match list (RFC 9110 8.8.3): an entity tag, or nothing (empty list
#: elements are allowed, 5.6.1), followed by a comma or the end.
_LIST_ELEMENT = re.compile(r'[ \t]*(?:(W/)?"([\x21\x23-\x7e\x80-\xff]*)")?[ \t]*(?:,|$)')
#: The opaque tag of a version as ``etag`` writes it: a whole number, no leading zero.
_VERSION_TAG = re.compile(r"0|[1-9][0-9]{0,17}")


def etag(version: int) -> dict[str, str]:
    """The ``ETag`` header of an organization: its version, as a strong tag."""
    return {"ETag": f'"{version}"'}


def _entity_tags(raw: str) -> list[tuple[bool, str]]:
    """The entity tags of an If-Match list, as (weak, opaque tag); ValueError if malformed."""
    tags: list[tuple[bool, str]] = []
    position = 0
    while position < len(raw):
        element = _LIST_ELEMENT.match(raw, position)
        if element is None or element.end() == position:
            raise ValueError(raw)
        if element.group(2) is not None:
            tags.append((element.group(1) is not None, element.group(2)))
        position = element.end()
    if not tags:
        raise ValueError(raw)
    return tags


def expected_version(request: Request) -> frozenset[int] | None:
    """The versions ``If-Match`` names (one tag, ``"3"``, or a list, ``"3", "4"``: it passes
    if the organization is at any of them); absent or ``*``: no check. The comparison is the
    strong one (RFC 9110 8.8.3.2, 13.1.1), character by character: ``"03"`` is not ``"3"``,
    and a weak tag (``W/"3"``) matches nothing. A list in which no tag can match is 412
    whatever the current version is."""
    fields = request.headers.getlist("if-match")
    if not fields:
        return None
    raw = ", ".join(fields).strip()
    if raw == "*":
        return None
    try:
        tags = _entity_tags(raw)
    except ValueError:
        raise bad_request(
            'If-Match must be * or entity tags from the ETag header, such as "3" or "3", "4"',
            "If-Match",
        ) from None
    versions = frozenset(int(tag) for weak, tag in tags if not weak and _VERSION_TAG.fullmatch(tag))
    if not versions:
        raise OrgqlError(
            Codes.VERSION_CONFLICT,
            f"If-Match ({raw}) names no version: the strong comparison it uses passes only a"
            ' tag exactly as ETag sends it, such as "3" (not W/"3" nor "03")',
            "If-Match",
            ErrorKind.STALE,
        )
    return versions


def change(item: ValueChange) -> EffectiveValueChange:
    return {
        "organizationId": item.organization_id,
        "field": item.field,
        "siteId": item.site_id,
        "before": _json(item.before),
        "after": _json(item.after),
    }


def _json(value: object) -> object:
    if isinstance(value, Decimal):
        return render.number(value)
    return list(value) if isinstance(value, list | tuple) else value


def _members(doc: dict[str, object]) -> list[str] | None:
    """``members`` taken out of the body: the profile ids the organization's members become
    (core/people/memberships.replace_members), after the organization's own update."""
    if "members" not in doc:
        return None
    return parse_organization_ids({"members": doc.pop("members")}, "members")


@endpoint()
async def update_organization(request: Request) -> Response:
    organization_id = path_id(request)
    expected = expected_version(request)
    dry_run = bool_param(request, "dryRun", default=False)
    doc = await read_json_object(request)
    members = _members(doc)
    known = {key: value for key, value in doc.items() if key in organization_input.KNOWN_KEYS}
    dynamic = {key: value for key, value in doc.items() if key not in known}
    changes = parse_changes(known, dynamic)
    site = site_id(request)
    async with unit_of_work(request) as session:
        if members is not None and dry_run:
            await memberships.refuse_changed_in_dry_run(session, organization_id, members)
            members = None
        if members is None:
            result = await organization_updates.update(
                session,
                organization_id,
                changes,
                expected_version=expected,
                site_id=site,
                dry_run=dry_run,
            )
        else:
            result = await member_updates.update_with_members(
                session,
                organization_id,
                changes,
                members,
                principal=principal_of(request),
                expected_version=expected,
                site_id=site,
            )
        organization = result.organization
        body: UpdateOrganizationDryRun | Organization
        if result.effects is not None:
            body = {
                "dryRun": True,
                "id": organization.id,
                "version": organization.version,
                "changes": [change(item) for item in result.effects],
            }
        else:
            resolved = await organizations.resolve_site(session, site, field="x-ccsite")
            resolved_id = resolved.id if resolved is not None else None
            (view,) = await load_views(session, [organization], resolved_id)
            body = render.organization(view, urls(request), request_href(request))
    return JSONResponse(body, headers=etag(organization.version))


#: The ``ETag`` answer header of GET and PUT, as the OpenAPI document states it.
ETAG_HEADER = {
    "ETag": {
        "description": 'The organization\'s version as an entity tag ("3"): send it back in'
        " If-Match.",
        "schema": {"type": "string"},
    }
}

#: The route table's entry for ``PUT /ccadmin/v1/organizations/{id}``.
PUT = Operation(
    update_organization,
    "updateOrganization",
    Organization | UpdateOrganizationDryRun,  # type: ignore[arg-type]
    "The organization after the update (as GET answers it), or with dryRun the changes it"
    " would make",
    (400, 404, 409, 412),
    body=UpdateOrganization,
    parameters=(
        header(
            "If-Match",
            'The ETag of the version read ("3"), or a list ("3", "4": any of them); absent or'
            ' *: no check. The comparison is strong: W/"3" or "03" never matches (412).',
        ),
        query(
            "dryRun",
            {"type": "boolean", "default": False},
            "true: write nothing; answer the derived and effective values of the subtree that"
            " the change would alter. Sent once, true or false: empty, anything else or"
            " two different values is 400 (100002) and nothing is written.",
        ),
        header(SITE_HEADER, "Site of the site-specific values (default: the default site)."),
    ),
    ok_headers=ETAG_HEADER,
    summary="Change an organization: any createOrganization value, a move"
    " (parentOrganization, with the subtree), or active (deactivate, reactivate).",
    description="Moving under itself or a descendant, or under a deactivated organization: 400"
    " (100002). A stale If-Match: 412 (errorCode 412). members (profile ids) replaces the"
    " members: an unknown profile is 22002 (400); the last active approver of an organization"
    " that requires approval cannot leave (100083, 409).",
)
