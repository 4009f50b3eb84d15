"""``/ccadmin/v1/organizations/{id}/secondaryAddresses[/{addressId}]``: add, read, update
and delete an organization's secondary addresses (the vendor's addOrganizationAddress,
getOrganizationAddress, updateOrganizationAddress, deleteOrganizationAddress).

Each handler parses the body, makes one core call and renders the result.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from orgql.auth.asgi import principal_of
from orgql.core.addresses import service as addresses
from orgql.core.common.addresses import ADDRESS_KEYS
from orgql.rest.addresses.shapes import AddressInputDocument, AddressLines, OrganizationAddress
from orgql.rest.operation import Operation, Resource
from orgql.rest.render import ORGANIZATIONS_PATH, self_link
from orgql.rest.transport import endpoint, path_id, read_json_object, unit_of_work, urls


def render(view: addresses.AddressView, href: str) -> OrganizationAddress:
    row = view.address
    body = {key: getattr(row, column) for column, key in ADDRESS_KEYS.items()}
    address: AddressLines = {
        **body,  # type: ignore[typeddict-item]
        "repositoryId": row.id,
        "isDefaultBillingAddress": view.default_billing,
        "isDefaultShippingAddress": view.default_shipping,
        "types": [
            {"id": item.id, "repositoryId": item.id, "displayName": item.display_name}
            for item in view.types
        ],
    }
    return {
        "addressType": row.address_type,
        "address": address,
        "repositoryId": row.id,
        "links": self_link(href),
    }


def _href(request: Request, organization_id: str, address_id: str) -> str:
    base = urls(request).base
    return f"{base}{ORGANIZATIONS_PATH}/{organization_id}/secondaryAddresses/{address_id}"


@endpoint()
async def add_organization_address(request: Request) -> Response:
    organization_id = path_id(request)
    document = await read_json_object(request)
    async with unit_of_work(request) as session:
        view = await addresses.add(
            session, organization_id, document, principal=principal_of(request)
        )
    href = _href(request, organization_id, view.address.id)
    return JSONResponse(render(view, href), status_code=201)


@endpoint()
async def get_organization_address(request: Request) -> Response:
    organization_id, address_id = path_id(request), path_id(request, "addressId")
    async with unit_of_work(request) as session:
        view = await addresses.get(session, organization_id, address_id)
    return JSONResponse(render(view, _href(request, organization_id, address_id)))


@endpoint()
async def update_organization_address(request: Request) -> Response:
    organization_id, address_id = path_id(request), path_id(request, "addressId")
    document = await read_json_object(request)
    async with unit_of_work(request) as session:
        view = await addresses.update(
            session, organization_id, address_id, document, principal=principal_of(request)
        )
    return JSONResponse(render(view, _href(request, organization_id, address_id)))


@endpoint()
async def delete_organization_address(request: Request) -> Response:
    organization_id, address_id = path_id(request), path_id(request, "addressId")
    async with unit_of_work(request) as session:
        await addresses.remove(
            session, organization_id, address_id, principal=principal_of(request)
        )
    return Response(status_code=204)


_ERRORS = (
    " 100002 (400): a bad body (a missing required field, an addressType the organization"
    " uses already); 00004 (400): a value too long; 180104 (400): an unknown address type;"
    " 180120 / 100204 (400): a malformed types list; 100001 (404): no such organization."
)
_NOT_FOUND = " 190101 (404): no such address in this organization."

#: The route table's entries for these paths (``rest/routes.py`` mounts them under /ccadmin).
RESOURCES = [
    Resource(
        "/v1/organizations/{id}/secondaryAddresses",
        {
            "POST": Operation(
                add_organization_address,
                "addOrganizationAddress",
                OrganizationAddress,
                "The address added",
                (400, 404),
                body=AddressInputDocument,
                ok_status=201,
                summary="Add a secondary address to the organization.",
                description="isDefaultBillingAddress / isDefaultShippingAddress true make it"
                " the organization's default." + _ERRORS,
            ),
        },
    ),
    Resource(
        "/v1/organizations/{id}/secondaryAddresses/{addressId}",
        {
            "GET": Operation(
                get_organization_address,
                "getOrganizationAddress",
                OrganizationAddress,
                "The address",
                (404,),
                description="100001 (404): no such organization." + _NOT_FOUND,
            ),
            "PUT": Operation(
                update_organization_address,
                "updateOrganizationAddress",
                OrganizationAddress,
                "The address after the update",
                (400, 404),
                body=AddressInputDocument,
                summary="Change the keys given; null clears an optional field; a default flag"
                " false on the current default clears it (inherited again).",
                description=_ERRORS + _NOT_FOUND,
            ),
            "DELETE": Operation(
                delete_organization_address,
                "deleteOrganizationAddress",
                None,
                "Deleted",
                (404,),
                ok_status=204,
                summary="Delete the address; where it was a default (of this organization or"
                " one below using it) the default is cleared and inherited again.",
                description="100001 (404): no such organization." + _NOT_FOUND,
            ),
        },
    ),
]
