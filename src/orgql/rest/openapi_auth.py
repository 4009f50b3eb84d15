"""Admin login and refresh in the OpenAPI document, and its security scheme."""

from __future__ import annotations


def _ref(name: str) -> dict[str, object]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str) -> dict[str, object]:
    return {
        "description": description,
        "content": {"application/json": {"schema": _ref("ErrorModel")}},
    }


_TOKEN_RESPONSE = {
    "200": {
        "description": "An admin access token",
        "content": {"application/json": {"schema": _ref("AccessToken")}},
    },
    "400": _error("grant_type is not client_credentials"),
    "401": _error("No valid credential"),
}

PATHS: dict[str, object] = {
    "/ccadmin/v1/login": {
        "post": {
            "operationId": "login",
            "summary": "Exchange an application key (Authorization: Bearer <key>) for an"
            " admin access token.",
            "security": [{"applicationKey": []}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": {
                            "type": "object",
                            "required": ["grant_type"],
                            "properties": {
                                "grant_type": {"type": "string", "enum": ["client_credentials"]}
                            },
                        }
                    }
                },
            },
            "responses": _TOKEN_RESPONSE,
        }
    },
    "/ccstore/v1/organizations/{id}": {
        "get": {
            "operationId": "getStoreOrganization",
            "summary": "An organization the shopper (bearer token of the identity provider)"
            " is a member of; any other id is 404 like a missing one.",
            "security": [{"shopperToken": []}, {"adminToken": []}],
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "responses": {
                "200": {
                    "description": "The organization",
                    "content": {"application/json": {"schema": _ref("Organization")}},
                },
                "401": _error("No valid credential"),
                "404": _error("No such organization, or not the shopper's"),
            },
        }
    },
    "/ccadmin/v1/refresh": {
        "post": {
            "operationId": "refresh",
            "summary": "A new admin access token for a valid one.",
            "responses": _TOKEN_RESPONSE,
        }
    },
}

SCHEMAS: dict[str, object] = {
    "AccessToken": {
        "type": "object",
        "required": ["access_token", "token_type", "expires_in"],
        "properties": {
            "access_token": {"type": "string"},
            "token_type": {"type": "string", "enum": ["bearer"]},
            "expires_in": {"type": "integer", "description": "Seconds"},
        },
    }
}

SECURITY_SCHEMES: dict[str, object] = {
    "adminToken": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An admin access token from /ccadmin/v1/login or `orgql token`.",
    },
    "shopperToken": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A shopper's token from the merchant's identity provider.",
    },
    "applicationKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "An application key from `orgql app-key create` (login only).",
    },
}
