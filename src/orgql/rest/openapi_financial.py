"""The syncFinancialData part of the OpenAPI document (merged into :mod:`orgql.rest.openapi`)."""

from __future__ import annotations


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


_REQUEST = {
    "type": "object",
    "additionalProperties": False,
    "description": "The body may be empty or {}.",
    "properties": {
        "businessUnitId": {
            "type": "integer",
            "minimum": 0,
            "maximum": 2**63 - 1,
            "description": "Sync only this business unit's accounts. Without it: the business"
            " unit configured for the organization, else every account of its party.",
        }
    },
}

_RESPONSE = {
    "type": "object",
    "required": ["customerAccountIds", "failedAddressItems"],
    "properties": {
        "customerAccountIds": {
            "type": "array",
            "description": "Repository ids of the synced customer accounts.",
            "items": {"type": "string", "minLength": 1, "maxLength": 240},
        },
        "failedAddressItems": {
            "type": "array",
            "description": "Addresses that could not be stored (the rest were).",
            "items": {
                "type": "object",
                "required": ["errorMessage", "externalId"],
                "properties": {
                    "errorMessage": {"type": "string"},
                    "externalId": {"type": "string"},
                },
            },
        },
    },
    "example": {
        "customerAccountIds": ["200101", "200102", "200103"],
        "failedAddressItems": [
            {"errorMessage": "City is not specified", "externalId": "300100628304102"},
            {"errorMessage": "City is not specified", "externalId": "17277"},
        ],
    },
}

_RESPONSES: dict[str, object] = {
    "200": {
        "description": "The synced accounts and the addresses that failed",
        "content": {"application/json": {"schema": _ref("SyncFinancialDataResponse")}},
    },
    **_errors("400", "404", "409", "413", "500"),
}

PATHS: dict[str, object] = {
    "/ccadmin/v1/organizations/{id}/syncFinancialData": {
        "post": {
            "operationId": "syncFinancialData",
            "description": "Replace the organization's billing accounts and their addresses"
            " with those the financial system of record holds for its party, in one"
            " transaction. Errors: 100002 (400) bad body, 100001 (404) unknown organization,"
            " 58001 (409) self-service portal disabled, 100193 (409) organization without"
            " partyId, 100193 (500) the financial system failed: nothing was changed.",
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "requestBody": {
                "required": False,
                "content": {"application/json": {"schema": _ref("SyncFinancialDataRequest")}},
            },
            "responses": _RESPONSES,
        }
    }
}

SCHEMAS: dict[str, object] = {
    "SyncFinancialDataRequest": _REQUEST,
    "SyncFinancialDataResponse": _RESPONSE,
}
