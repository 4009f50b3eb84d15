"""The OpenAPI 3.1 document of the REST shim, served at ``GET /ccadmin/v1/openapi.json``.

Hand-written next to the routes; a test checks that every served route is described here.
"""

from __future__ import annotations

from orgql.core.organizations import MAX_PAGE_SIZE
from orgql.rest import openapi_auth as auth
from orgql.rest import openapi_financial as financial
from orgql.rest import openapi_organization_requests as organization_requests
from orgql.rest import openapi_organization_updates as organization_updates
from orgql.rest import openapi_site_properties as site_properties

_STRING = {"type": ["string", "null"]}
_BOOLEAN = {"type": ["boolean", "null"]}
_NUMBER = {"type": ["number", "null"]}
_TIMESTAMP = {
    "type": ["string", "null"],
    "format": "date-time",
    "example": "2017-10-10T11:44:26.000Z",
}


def _ref(name: str) -> dict[str, object]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(name: str) -> dict[str, object]:
    return {"oneOf": [_ref(name), {"type": "null"}]}


def _object(properties: dict[str, object], description: str | None = None) -> dict[str, object]:
    schema: dict[str, object] = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
    }
    if description:
        schema["description"] = description
    return schema


_ADDRESS = _object(
    dict.fromkeys(
        (
            "country",
            "phoneNumber",
            "address2",
            "city",
            "address1",
            "postalCode",
            "companyName",
            "repositoryId",
            "state",
        ),
        _STRING,
    )
)
_SUMMARY = _object(
    {
        "name": {"type": "string"},
        "repositoryId": {"type": "string"},
        "active": {"type": "boolean"},
        "id": {"type": "string"},
    }
)
_NAMED_REFERENCE = _object({"displayName": {"type": "string"}, "repositoryId": {"type": "string"}})
_CONTRACT = _object(
    {
        "terms": {
            "oneOf": [
                _object({"terms": _STRING, "repositoryId": {"type": "string"}}),
                {"type": "null"},
            ]
        },
        "endDate": _TIMESTAMP,
        "catalog": _NAMED_REFERENCE,
        "displayName": {"type": "string"},
        "repositoryId": {"type": "string"},
        "description": _STRING,
        "priceListGroup": _NAMED_REFERENCE,
        "creationDate": _TIMESTAMP,
        "startDate": _TIMESTAMP,
        "externalContractReference": _STRING,
    }
)
_LINKS = {
    "type": "array",
    "items": _object({"rel": {"type": "string"}, "href": {"type": "string", "format": "uri"}}),
}
_SHIPPING_METHODS = {
    "type": ["array", "null"],
    "items": _object({"id": {"type": "string"}}),
}
_PAYMENT_METHODS = {"type": ["array", "null"], "items": {"type": "string"}}

_ORGANIZATION = _object(
    {
        "id": {"type": "string"},
        "repositoryId": {"type": "string"},
        "links": _LINKS,
        "name": {"type": "string"},
        "description": _STRING,
        "type": _STRING,
        "customerType": _STRING,
        "active": {"type": "boolean"},
        "dunsNumber": _STRING,
        "taxReferenceNumber": _STRING,
        "vatReferenceNumber": _STRING,
        "taxExemptionCode": _STRING,
        "uniqueId": _STRING,
        "organizationLogo": _STRING,
        "organizationLogoURL": {
            "type": ["string", "null"],
            "description": "public base URL + media path + organizationLogo",
        },
        "parentOrganization": _nullable("OrganizationSummary"),
        "ancestorOrganizations": {"type": "array", "items": _ref("OrganizationSummary")},
        "members": {"type": "array", "items": _object({"repositoryId": {"type": "string"}})},
        "relativeRoles": {
            "type": "array",
            "items": _object({"function": {"type": "string"}, "repositoryId": {"type": "string"}}),
        },
        "secondaryAddresses": {
            "type": "array",
            "items": _object({"address": _ref("Address"), "addressType": {"type": "string"}}),
        },
        "billingAddress": _nullable("Address"),
        "shippingAddress": _nullable("Address"),
        "paymentMethods": _PAYMENT_METHODS,
        "shippingMethods": _SHIPPING_METHODS,
        "useAllPaymentMethodsFromSite": _BOOLEAN,
        "useAllShippingMethodsFromSite": _BOOLEAN,
        "contract": _nullable("Contract"),
        "approvalRequired": _BOOLEAN,
        "orderPriceLimit": _NUMBER,
        "delegateApprovalManagement": _BOOLEAN,
        "useExternalApprovalWebhook": _BOOLEAN,
        "derivedDescription": _STRING,
        "derivedType": _STRING,
        "derivedCustomerType": _STRING,
        "derivedDunsNumber": {
            "type": ["integer", "null"],
            "description": "A JSON number, as in the vendor's sample (leading zeros are lost)",
        },
        "derivedTaxReferenceNumber": _STRING,
        "derivedVatReferenceNumber": _STRING,
        "derivedTaxExemptionCode": _STRING,
        "derivedUniqueId": _STRING,
        "derivedOrganizationLogo": _STRING,
        "derivedPaymentMethods": _PAYMENT_METHODS,
        "derivedShippingMethods": _SHIPPING_METHODS,
        "derivedUseAllPaymentMethodsFromSite": _BOOLEAN,
        "derivedUseAllShippingMethodsFromSite": _BOOLEAN,
        "derivedBillingAddress": _nullable("Address"),
        "derivedBillingAddressType": _STRING,
        "derivedShippingAddress": _nullable("Address"),
        "derivedShippingAddressType": _STRING,
        "derivedContract": _nullable("Contract"),
    },
    "Site-specific values (contract, approval settings, orderPriceLimit) are those of the "
    "x-ccsite site or the default site; dynamic properties appear as further top-level keys.",
)
_ORGANIZATION["additionalProperties"] = True

_ERROR_FIELDS: dict[str, object] = {
    "errorCode": {"type": "string"},
    "message": {"type": "string"},
    "status": {"type": "string"},
    "o:errorPath": {"type": "string", "description": "The input field at fault, when one is"},
}
_ERROR_ENTRY = {
    "type": "object",
    "properties": _ERROR_FIELDS,
    "required": ["errorCode", "message", "status"],
}
_ERROR_MODEL = {
    "type": "object",
    "properties": {**_ERROR_FIELDS, "errors": {"type": "array", "items": _ERROR_ENTRY}},
    "required": ["errorCode", "message", "status", "errors"],
}

_CREATE_REQUEST = {
    "type": "object",
    "required": ["name"],
    "description": "The createOrganization body of the vendor's reference page; any other "
    "top-level key is a dynamic property and must be defined.",
    "properties": {
        "name": {"type": "string"},
        "description": {"type": "string"},
        "type": {"enum": ["none", "company", "division", "department", "group"]},
        "customerType": {
            "enum": ["Standard", "Preferred", "Enterprise", "OEM", "Distributor", "Supplier"]
        },
        "active": {"type": "boolean"},
        "dunsNumber": {"type": "string", "pattern": "^[0-9]{9}$"},
        "taxReferenceNumber": {"type": "string"},
        "vatReferenceNumber": {"type": "string"},
        "taxExemptionCode": {"type": "string"},
        "uniqueId": {"type": "string"},
        "externalOrganizationId": {"type": "string"},
        "partyId": {"type": "string"},
        "partyNumber": {"type": "string"},
        "organizationLogo": {"type": "string"},
        "parentOrganization": _object({"id": {"type": "string"}}),
        "members": {"type": "array", "items": {"type": "string"}},
        "paymentMethods": {"type": "array", "items": {"type": "string"}},
        "shippingMethods": {"type": "array", "items": _object({"id": {"type": "string"}})},
        "useAllPaymentMethodsFromSite": {"type": "boolean"},
        "useAllShippingMethodsFromSite": {"type": "boolean"},
        "secondaryAddresses": {"type": "array", "items": {"type": "object"}},
        "billingAddress": {"type": ["object", "null"]},
        "shippingAddress": {"type": ["object", "null"]},
        "contract": {
            "type": "object",
            "required": ["displayName", "catalogId", "priceListGroupId"],
            "properties": {
                "displayName": {"type": "string"},
                "description": {"type": "string"},
                "catalogId": {"type": "string"},
                "priceListGroupId": {"type": "string"},
                "startDate": {"type": "string", "format": "date-time"},
                "endDate": {"type": "string", "format": "date-time"},
                "externalContractReference": {"type": "string"},
                "contract_terms": _object({"terms": {"type": "string"}}),
            },
        },
        "approvalRequired": {"type": "boolean"},
        "orderPriceLimit": {"type": ["number", "null"]},
        "delegateApprovalManagement": {"type": "boolean"},
        "useExternalApprovalWebhook": {"type": "boolean"},
    },
    "additionalProperties": True,
}

_SITE_HEADER = {
    "name": "x-ccsite",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "Site whose site-specific values are written or read (default: the "
    "default site). An unknown site is a 400 (100002).",
}


def _errors(*statuses: str) -> dict[str, object]:
    return {
        status: {
            "description": "errorModel",
            "content": {"application/json": {"schema": _ref("ErrorModel")}},
        }
        for status in statuses
    }


def _responses(*parts: dict[str, object]) -> dict[str, object]:
    return {status: response for part in parts for status, response in part.items()}


def _ok(schema: str, description: str) -> dict[str, object]:
    return {
        "200": {
            "description": description,
            "content": {"application/json": {"schema": _ref(schema)}},
        }
    }


OPENAPI: dict[str, object] = {
    "openapi": "3.1.0",
    "info": {
        "title": "orgql OCC-compatible REST shim",
        "version": "1",
        "description": "Oracle Commerce Cloud compatible organization endpoints. Every "
        "failure is an errorModel; errorCode is the OCC code, or the HTTP status for routing "
        "failures and internal errors that no OCC code names.",
    },
    "paths": {
        "/ccadmin/v1/organizations": {
            "get": {
                "operationId": "listOrganizations",
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {
                            "type": "integer",
                            "minimum": 0,
                            "maximum": MAX_PAGE_SIZE,
                            "default": MAX_PAGE_SIZE,
                        },
                    },
                    {
                        "name": "offset",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 0, "default": 0},
                    },
                    {
                        "name": "q",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": 'SCIM-style name filter: name co "x", name eq "x" '
                        '(case-insensitive), name sw "x", or one bare word (contains).',
                    },
                    _SITE_HEADER,
                ],
                "responses": _responses(
                    _ok("OrganizationList", "A page of organizations ordered by id"),
                    _errors("400", "500"),
                ),
            },
            "post": {
                "operationId": "createOrganization",
                "parameters": [_SITE_HEADER],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("CreateOrganization")}},
                },
                "responses": _responses(
                    _ok("Organization", "The created organization"),
                    _errors("400", "409", "413", "500"),
                ),
            },
        },
        "/ccadmin/v1/organizations/{id}": {
            "get": {
                "operationId": "getOrganization",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                    _SITE_HEADER,
                ],
                "responses": _responses(
                    {
                        "200": {
                            "description": "The organization",
                            "headers": organization_updates.GET_HEADERS,
                            "content": {"application/json": {"schema": _ref("Organization")}},
                        }
                    },
                    _errors("400", "404", "500"),
                ),
            },
            "put": organization_updates.put_operation(
                _errors("400", "404", "409", "412", "413", "500")
            ),
        },
        **site_properties.PATHS,
        **financial.PATHS,
        **organization_requests.PATHS,
        **auth.PATHS,
        "/ccadmin/v1/openapi.json": {
            "get": {
                "operationId": "getOpenApiDocument",
                "security": [],
                "responses": {"200": {"description": "This document"}},
            },
        },
    },
    # Admin routes need an admin access token (login, refresh, this document excepted).
    "security": [{"adminToken": []}],
    "components": {
        "securitySchemes": auth.SECURITY_SCHEMES,
        "schemas": {
            "Organization": _ORGANIZATION,
            "OrganizationList": _object(
                {
                    "items": {"type": "array", "items": _ref("Organization")},
                    "totalResults": {"type": "integer"},
                    "offset": {"type": "integer"},
                    "limit": {"type": "integer"},
                    "links": _LINKS,
                }
            ),
            "OrganizationSummary": _SUMMARY,
            "Address": _ADDRESS,
            "Contract": _CONTRACT,
            "CreateOrganization": _CREATE_REQUEST,
            **organization_updates.schemas(_CREATE_REQUEST),
            "ErrorModel": _ERROR_MODEL,
            **financial.SCHEMAS,
            **organization_requests.SCHEMAS,
            **site_properties.SCHEMAS,
            **auth.SCHEMAS,
        },
    },
}
