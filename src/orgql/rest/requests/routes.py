"""The route table's entries of the organization requests API (``rest/routes.py`` mounts
them). Each path refuses a misspelt query parameter with the API's own invalid input, 101001
(``Resource.invalid_input``), as it refuses every other bad input of its."""

from __future__ import annotations

from orgql.core.common.paging import MAX_LIST_LIMIT, MAX_OFFSET
from orgql.core.requests.codes import RequestCodes
from orgql.core.requests.statuses import RequestStatus
from orgql.rest.operation import Operation, Resource, header, query
from orgql.rest.requests import handlers, shapes
from orgql.rest.requests.render import EXPAND_VALUES
from orgql.rest.transport import SITE_HEADER

_EXPAND = query(
    "expand",
    {"type": "string"},
    "Comma-separated: "
    + ", ".join(EXPAND_VALUES)
    + ". profile/profileAll add the profile's fields, organization/organizationAll the draft"
    " organization's, organizationAddresses its secondaryAddresses, requestAll the request's"
    " dates. Anything else is 101001.",
)
_PAGE = (
    query(
        "limit",
        {"type": "integer", "minimum": 0, "maximum": MAX_LIST_LIMIT},
    ),
    query("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}),
)
_ERRORS = (400, 404, 409)
_REQUEST = shapes.OrganizationRequest
_INVALID = RequestCodes.INVALID_INPUT

ADMIN_RESOURCES = [
    Resource(
        "/v1/organizationRequests",
        {
            "GET": Operation(
                handlers.list_organization_requests,
                "listOrganizationRequests",
                shapes.OrganizationRequestList,
                "Requests, oldest first",
                (400,),
                parameters=(
                    *_PAGE,
                    query("status", {"enum": [status.value for status in RequestStatus]}),
                    _EXPAND,
                ),
            )
        },
        invalid_input=_INVALID,
    ),
    Resource(
        "/v1/organizationRequests/{id}",
        {
            "GET": Operation(
                handlers.get_organization_request,
                "getOrganizationRequest",
                _REQUEST,
                "The request",
                (400, 404),
                parameters=(_EXPAND,),
            ),
            "PUT": Operation(
                handlers.update_organization_request,
                "updateOrganizationRequest",
                _REQUEST,
                "The updated request",
                _ERRORS,
                body=shapes.UpdateOrganizationRequest,
                parameters=(_EXPAND,),
            ),
            "DELETE": handlers.DELETE,
        },
        invalid_input=_INVALID,
    ),
    Resource(
        "/v1/organizationRequests/{id}/approve",
        {
            "POST": Operation(
                handlers.approve_organization_request,
                "approveOrganizationRequest",
                _REQUEST,
                "Approved: organization and profile ids recorded",
                _ERRORS,
                body=shapes.ApproveOrganizationRequest,
                body_required=False,
                parameters=(_EXPAND,),
            )
        },
        invalid_input=_INVALID,
    ),
    Resource(
        "/v1/organizationRequests/{id}/reject",
        {
            "POST": Operation(
                handlers.reject_organization_request,
                "rejectOrganizationRequest",
                _REQUEST,
                "Rejected",
                _ERRORS,
                body=shapes.RejectOrganizationRequest,
                body_required=False,
                parameters=(_EXPAND,),
            )
        },
        invalid_input=_INVALID,
    ),
]

#: ``POST /ccstore/v1/organizationRequests``: a shopper's registration request.
STORE_RESOURCE = Resource(
    "/v1/organizationRequests",
    {
        "POST": Operation(
            handlers.submit_organization_request,
            "createOrganizationRequest",
            shapes.OrganizationRequestSubmitted,
            "The request is in review",
            (400,),
            body=shapes.CreateOrganizationRequest,
            parameters=(header(SITE_HEADER, "The storefront site (default: the default site)."),),
            security=(),
        )
    },
    invalid_input=_INVALID,
)
