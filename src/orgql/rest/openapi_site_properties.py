"""The site-properties part of the OpenAPI document (merged into :mod:`orgql.rest.openapi`)."""

from __future__ import annotations

_STRING = {"type": ["string", "null"]}
_BOOLEAN = {"type": ["boolean", "null"]}


def _ref(name: str) -> dict[str, object]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, object]) -> dict[str, object]:
    return {"type": "object", "properties": properties, "required": list(properties)}


def _errors(*statuses: str) -> dict[str, object]:
    return {
        status: {
            "description": "errorModel",
            "content": {"application/json": {"schema": _ref("ErrorModel")}},
        }
        for status in statuses
    }


_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}

_CONTRACT_REQUEST = {
    "type": ["object", "null"],
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
    "additionalProperties": False,
}

_PROPERTIES_DESCRIPTION = (
    'A key left out is unchanged, null clears it. With op "remove" the keys given (any value)'
    " are removed: the value is inherited from the parent on the same site again, null where"
    " nothing is inherited."
)

_REQUEST = {
    "type": "object",
    "required": ["siteOrganizationProperties"],
    "additionalProperties": False,
    "properties": {
        "siteOrganizationProperties": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["site", "properties"],
                "additionalProperties": False,
                "properties": {
                    "site": _object({"id": {"type": "string"}}),
                    "properties": {
                        "type": "object",
                        "additionalProperties": False,
                        "description": _PROPERTIES_DESCRIPTION,
                        "properties": {
                            "op": {"enum": ["remove"]},
                            "contract": _CONTRACT_REQUEST,
                            "approvalRequired": _BOOLEAN,
                            "orderPriceLimit": {"type": ["number", "null"], "minimum": 0},
                            "delegateApprovalManagement": _BOOLEAN,
                            "useExternalApprovalWebhook": _BOOLEAN,
                        },
                    },
                },
            },
        }
    },
}

_ENTRY = _object(
    {
        "site": _object(
            {
                "productionURL": _STRING,
                "name": {"type": "string"},
                "id": {"type": "string"},
                "enabled": {"type": "boolean"},
            }
        ),
        "properties": _object(
            {
                "approvalRequired": _BOOLEAN,
                "contract": {
                    "oneOf": [
                        _object(
                            {
                                "catalogId": {"type": "string"},
                                "priceListGroupId": {"type": "string"},
                                "displayName": {"type": "string"},
                                "repositoryId": {"type": "string"},
                                "description": _STRING,
                                "contract_terms": {
                                    "oneOf": [_object({"terms": _STRING}), {"type": "null"}]
                                },
                                "externalContractReference": _STRING,
                            }
                        ),
                        {"type": "null"},
                    ]
                },
                "delegateApprovalManagement": _BOOLEAN,
                "useExternalApprovalWebhook": _BOOLEAN,
                "orderPriceLimit": {"type": ["number", "null"]},
            }
        ),
    }
)


def _responses(description: str, *error_statuses: str) -> dict[str, object]:
    ok: dict[str, object] = {
        "200": {
            "description": description,
            "content": {"application/json": {"schema": _ref("SiteOrganizationPropertiesList")}},
        }
    }
    return {**ok, **_errors(*error_statuses)}


PATHS: dict[str, object] = {
    "/ccadmin/v1/organizations/{id}/updateSiteOrganizationProperties": {
        "post": {
            "operationId": "updateSiteOrganizationProperties",
            "description": "Set or remove the organization's own values per site, in one"
            " transaction (one bad entry changes nothing). The response lists the entries"
            " that set values (not the removals), with the organization's own values after"
            " the update.",
            "parameters": [_ID],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": _ref("UpdateSiteOrganizationProperties")}
                },
            },
            "responses": _responses("The entries that were set", "400", "404", "413", "500"),
        }
    },
    "/ccadmin/v1/organizations/{id}/siteOrganizationProperties": {
        "get": {
            "operationId": "getSiteOrganizationProperties",
            "parameters": [
                _ID,
                {
                    "name": "allSites",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "boolean", "default": True},
                    "description": "true (default): the organization's own values, one entry"
                    " per site on which it sets any. false: the values in effect (own, else"
                    " inherited within the site), one entry per site on which the"
                    " organization or an ancestor sets any.",
                },
            ],
            "responses": _responses("One entry per site, ordered by site id", "400", "404", "500"),
        }
    },
}

SCHEMAS: dict[str, object] = {
    "UpdateSiteOrganizationProperties": _REQUEST,
    "SiteOrganizationPropertiesList": _object(
        {"siteOrganizationProperties": {"type": "array", "items": _ENTRY}}
    ),
}
