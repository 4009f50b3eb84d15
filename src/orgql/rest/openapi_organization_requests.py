"""The organization request part of the OpenAPI document (merged into
:mod:`orgql.rest.openapi`)."""

from __future__ import annotations

from orgql.core.organization_request_reads import MAX_PAGE_SIZE
from orgql.core.organization_requests import EMAIL_CHECK_MESSAGE
from orgql.rest.organization_request_render import EXPAND_VALUES

_STRING = {"type": ["string", "null"]}
_ID = {"type": ["string", "null"], "description": "Null until linked or created"}
_STATUSES = ["review", "moreInfoNeeded", "approved", "rejected"]


def _ref(name: str) -> dict[str, object]:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*statuses: str) -> dict[str, object]:
    return {
        status: {
            "description": "errorModel",
            "content": {"application/json": {"schema": _ref("ErrorModel")}},
        }
        for status in statuses
    }


def _ok(schema: str, description: str) -> dict[str, object]:
    return {
        "200": {
            "description": description,
            "content": {"application/json": {"schema": _ref(schema)}},
        }
    }


def _responses(*parts: dict[str, object]) -> dict[str, object]:
    return {status: response for part in parts for status, response in part.items()}


def _body(schema: str, *, required: bool = True) -> dict[str, object]:
    return {"required": required, "content": {"application/json": {"schema": _ref(schema)}}}


_PATH_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
_EXPAND = {
    "name": "expand",
    "in": "query",
    "required": False,
    "schema": {"type": "string"},
    "description": "Comma-separated: "
    + ", ".join(EXPAND_VALUES)
    + ". profile/profileAll add the profile's fields, organization/organizationAll the draft"
    " organization's, organizationAddresses its secondaryAddresses, requestAll the request's"
    " dates. Anything else is 101001.",
}
_SITE_HEADER = {
    "name": "x-ccsite",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "The storefront site (default: the default site).",
}

_TYPES = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["id"],
        "properties": {"id": {"type": "string", "description": "An address type id"}},
    },
}
_ADDRESS_FIELDS = (
    "companyName",
    "firstName",
    "lastName",
    "address1",
    "address2",
    "address3",
    "city",
    "state",
    "postalCode",
    "country",
    "county",
    "phoneNumber",
    "externalAddressId",
)
_DRAFT_ADDRESS = {
    "type": "object",
    "required": ["addressType", "address"],
    "properties": {
        "addressType": {"type": "string", "description": "The address's nickname"},
        "address": {
            "type": "object",
            "properties": {
                **{key: {"type": "string"} for key in _ADDRESS_FIELDS},
                "isDefaultBillingAddress": {"type": "boolean"},
                "isDefaultShippingAddress": {"type": "boolean"},
                "types": _TYPES,
            },
        },
    },
}
_ORGANIZATION_FIELDS = (
    "name",
    "description",
    "type",
    "customerType",
    "dunsNumber",
    "taxReferenceNumber",
    "vatReferenceNumber",
    "uniqueId",
    "externalOrganizationId",
    "partyNumber",
)
_DRAFT_ORGANIZATION = {
    "type": "object",
    "description": "createOrganization's rules apply; name defaults to the request's name.",
    "properties": {
        **{key: {"type": ["string", "null"]} for key in _ORGANIZATION_FIELDS},
        "partyId": {"type": ["number", "string", "null"]},
        "secondaryAddresses": {"type": ["array", "null"], "items": _DRAFT_ADDRESS},
    },
}
_PROFILE_FIELDS = ("email", "firstName", "lastName", "customerContactId", "partyNumber")
_DRAFT_PROFILE = {
    "type": "object",
    "properties": {
        **{key: {"type": ["string", "null"]} for key in _PROFILE_FIELDS},
        "partyId": {"type": ["number", "string", "null"]},
        "receiveEmail": {"type": ["boolean", "string", "null"], "description": "yes / no"},
    },
}
_COMMON_FIELDS: dict[str, object] = {
    "name": {"type": "string"},
    "organization": _DRAFT_ORGANIZATION,
    "profile": _DRAFT_PROFILE,
    "relatedOrganizationName": _STRING,
    "requesterComments": _STRING,
}

_SUBMIT = {
    "type": "object",
    "required": ["name", "profile"],
    "additionalProperties": False,
    "description": "profile needs email, firstName and lastName.",
    "properties": _COMMON_FIELDS,
}
_SUBMITTED = {
    "type": "object",
    "description": "id, or with the site's enableProfileRegistrationEmailCheck only message.",
    "properties": {
        "id": {"type": "string"},
        "message": {"type": "string", "example": EMAIL_CHECK_MESSAGE},
        "links": {"type": "array", "items": {"type": "object"}},
    },
}
_UPDATE = {
    "type": "object",
    "additionalProperties": False,
    "description": "The keys given replace the request's; organization keys replace the"
    " draft's (secondaryAddresses the whole list). Allowed while review or moreInfoNeeded.",
    "properties": {
        **_COMMON_FIELDS,
        "approverComments": _STRING,
        "status": {"enum": ["review", "moreInfoNeeded"]},
    },
}
_APPROVE = {
    "type": "object",
    "additionalProperties": False,
    "description": "The body may be empty.",
    "properties": {"approverComments": _STRING, "partyNumber": _STRING},
}
_REJECT = {
    "type": "object",
    "additionalProperties": False,
    "description": "The body may be empty.",
    "properties": {"approverComments": _STRING},
}
_REQUEST = {
    "type": "object",
    "required": [
        "approverComments",
        "relatedOrganizationName",
        "profile",
        "organization",
        "name",
        "siteId",
        "id",
        "requesterComments",
        "status",
    ],
    "description": "expand adds fields to profile and organization, and dates (requestAll).",
    "properties": {
        "approverComments": _STRING,
        "relatedOrganizationName": _STRING,
        "profile": {"type": "object", "properties": {"id": _ID}, "additionalProperties": True},
        "organization": {
            "type": "object",
            "properties": {"id": _ID},
            "additionalProperties": True,
        },
        "name": {"type": "string"},
        "siteId": {"type": "string"},
        "id": {"type": "string"},
        "requesterComments": _STRING,
        "status": {"enum": _STATUSES},
        "creationDate": {"type": "string", "format": "date-time"},
        "lastModifiedDate": {"type": "string", "format": "date-time"},
    },
}
_LIST = {
    "type": "object",
    "required": ["items", "totalResults", "offset", "limit", "links"],
    "properties": {
        "items": {"type": "array", "items": _ref("OrganizationRequest")},
        "totalResults": {"type": "integer"},
        "offset": {"type": "integer"},
        "limit": {"type": "integer"},
        "links": {"type": "array", "items": {"type": "object"}},
    },
}

PATHS: dict[str, object] = {
    "/ccstore/v1/organizationRequests": {
        "post": {
            "operationId": "createOrganizationRequest",
            "security": [],
            "parameters": [_SITE_HEADER],
            "requestBody": _body("CreateOrganizationRequest"),
            "responses": _responses(
                _ok("OrganizationRequestSubmitted", "The request is in review"),
                _errors("400", "413", "500"),
            ),
        },
    },
    "/ccadmin/v1/organizationRequests": {
        "get": {
            "operationId": "listOrganizationRequests",
            "parameters": [
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 0, "maximum": MAX_PAGE_SIZE},
                },
                {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                {"name": "status", "in": "query", "schema": {"enum": _STATUSES}},
                _EXPAND,
            ],
            "responses": _responses(
                _ok("OrganizationRequestList", "Requests, oldest first"), _errors("400", "500")
            ),
        },
    },
    "/ccadmin/v1/organizationRequests/{id}": {
        "get": {
            "operationId": "getOrganizationRequest",
            "parameters": [_PATH_ID, _EXPAND],
            "responses": _responses(
                _ok("OrganizationRequest", "The request"), _errors("400", "404", "500")
            ),
        },
        "put": {
            "operationId": "updateOrganizationRequest",
            "parameters": [_PATH_ID, _EXPAND],
            "requestBody": _body("UpdateOrganizationRequest"),
            "responses": _responses(
                _ok("OrganizationRequest", "The updated request"),
                _errors("400", "404", "409", "413", "500"),
            ),
        },
    },
    "/ccadmin/v1/organizationRequests/{id}/approve": {
        "post": {
            "operationId": "approveOrganizationRequest",
            "parameters": [_PATH_ID, _EXPAND],
            "requestBody": _body("ApproveOrganizationRequest", required=False),
            "responses": _responses(
                _ok("OrganizationRequest", "Approved: organization and profile ids recorded"),
                _errors("400", "404", "409", "413", "500"),
            ),
        },
    },
    "/ccadmin/v1/organizationRequests/{id}/reject": {
        "post": {
            "operationId": "rejectOrganizationRequest",
            "parameters": [_PATH_ID, _EXPAND],
            "requestBody": _body("RejectOrganizationRequest", required=False),
            "responses": _responses(
                _ok("OrganizationRequest", "Rejected"), _errors("400", "404", "409", "413", "500")
            ),
        },
    },
}

SCHEMAS: dict[str, object] = {
    "CreateOrganizationRequest": _SUBMIT,
    "OrganizationRequestSubmitted": _SUBMITTED,
    "UpdateOrganizationRequest": _UPDATE,
    "ApproveOrganizationRequest": _APPROVE,
    "RejectOrganizationRequest": _REJECT,
    "OrganizationRequest": _REQUEST,
    "OrganizationRequestList": _LIST,
}
