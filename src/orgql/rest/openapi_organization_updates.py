"""OpenAPI of ``PUT /ccadmin/v1/organizations/{id}`` (updateOrganization, with versions)."""

from __future__ import annotations

from typing import Any


def _ref(name: str) -> dict[str, object]:
    return {"$ref": f"#/components/schemas/{name}"}


def _update_request(create: dict[str, Any]) -> dict[str, object]:
    """createOrganization's keys, none required, each nullable (null: inherit again)."""
    properties = {
        key: {"anyOf": [schema, {"type": "null"}]}
        for key, schema in create["properties"].items()
        if key not in ("members", "secondaryAddresses")
    }
    return {
        "type": "object",
        "description": "createOrganization's keys: a key left out is unchanged; null clears "
        "the organization's own value so that it is inherited again (parentOrganization: "
        "null moves it to the root; active: null changes nothing). members and "
        "secondaryAddresses cannot be changed here (100002). Any other key is a dynamic "
        "property (null removes it).",
        "properties": properties,
        "additionalProperties": True,
    }


_CHANGE = {
    "type": "object",
    "required": ["organizationId", "field", "siteId", "before", "after"],
    "properties": {
        "organizationId": {"type": "string"},
        "field": {
            "type": "string",
            "description": "derivedX, or a value in effect on a site (derivedContract, "
            "approvalRequired, orderPriceLimit, …)",
        },
        "siteId": {"type": ["string", "null"]},
        "before": {},
        "after": {},
    },
}

_DRY_RUN = {
    "type": "object",
    "required": ["dryRun", "id", "version", "changes"],
    "properties": {
        "dryRun": {"const": True},
        "id": {"type": "string"},
        "version": {"type": "integer"},
        "changes": {"type": "array", "items": _ref("EffectiveValueChange")},
    },
}

_ETAG = {
    "ETag": {
        "description": 'The organization\'s version as an entity tag ("3"): send it back '
        "in If-Match.",
        "schema": {"type": "string"},
    }
}


def put_operation(errors: dict[str, object]) -> dict[str, object]:
    return {
        "operationId": "updateOrganization",
        "description": "Change an organization: any createOrganization value, a move "
        "(parentOrganization, with the subtree), or active (deactivate, reactivate). "
        "Moving under itself or a descendant, or under a deactivated organization: 400 "
        "(100002). A stale If-Match: 412 (errorCode 412).",
        "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
            {
                "name": "If-Match",
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
                "description": 'The ETag of the version read ("3"); absent or *: no check.',
            },
            {
                "name": "dryRun",
                "in": "query",
                "schema": {"type": "boolean", "default": False},
                "description": "true: write nothing; answer the derived and effective values "
                "of the subtree that the change would alter.",
            },
            {
                "name": "x-ccsite",
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
                "description": "Site of the site-specific values (default: the default site).",
            },
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _ref("UpdateOrganization")}},
        },
        "responses": {
            "200": {
                "description": "The organization after the update (as GET answers it), or "
                "with dryRun the changes it would make",
                "headers": _ETAG,
                "content": {
                    "application/json": {
                        "schema": {
                            "oneOf": [_ref("Organization"), _ref("UpdateOrganizationDryRun")]
                        }
                    }
                },
            },
            **errors,
        },
    }


def schemas(create: dict[str, Any]) -> dict[str, object]:
    return {
        "UpdateOrganization": _update_request(create),
        "UpdateOrganizationDryRun": _DRY_RUN,
        "EffectiveValueChange": _CHANGE,
    }


GET_HEADERS = _ETAG
