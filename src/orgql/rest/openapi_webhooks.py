"""The webhook subscriptions part of the OpenAPI document (orgql's extension; merged into
:mod:`orgql.rest.openapi`)."""

from __future__ import annotations

from orgql.core.events import EventType


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


_EVENT_TYPES = {"type": "string", "enum": [t.value for t in EventType]}

_SUBSCRIPTION = {
    "type": "object",
    "required": ["id", "url", "eventTypes", "active", "description", "createdAt"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "url": {"type": "string", "format": "uri"},
        "eventTypes": {
            "type": "array",
            "items": _EVENT_TYPES,
            "description": "Empty: every event type.",
        },
        "active": {"type": "boolean"},
        "description": {"type": ["string", "null"]},
        "createdAt": {"type": "string", "format": "date-time"},
    },
}

_CREATED = {
    "allOf": [
        _ref("WebhookSubscription"),
        {
            "type": "object",
            "required": ["secret"],
            "properties": {
                "secret": {
                    "type": "string",
                    "description": "The signing secret, shown in this answer only.",
                }
            },
        },
    ]
}

_CREATE_REQUEST = {
    "type": "object",
    "additionalProperties": False,
    "required": ["url"],
    "properties": {
        "url": {
            "type": "string",
            "maxLength": 2048,
            "description": "Absolute http or https URL, without credentials or fragment.",
        },
        "eventTypes": {"type": "array", "items": _EVENT_TYPES, "default": []},
        "description": {"type": "string", "maxLength": 254},
        "active": {"type": "boolean", "default": True},
    },
    "example": {
        "url": "https://erp.example.com/hooks/orgql",
        "eventTypes": ["organization.created", "organization.effectiveValueChanged"],
    },
}

_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}


def _answer(status: str, description: str, schema: str | None, *errors: str) -> dict[str, object]:
    ok: dict[str, object] = {"description": description}
    if schema is not None:
        ok["content"] = {"application/json": {"schema": _ref(schema)}}
    return {status: ok, **_errors(*errors)}


PATHS: dict[str, object] = {
    "/ccadmin/v1/webhookSubscriptions": {
        "get": {
            "operationId": "listWebhookSubscriptions",
            "description": "orgql extension: every webhook subscription, oldest first"
            " (secrets are never listed).",
            "responses": _answer("200", "The subscriptions", "WebhookSubscriptionList", "500"),
        },
        "post": {
            "operationId": "createWebhookSubscription",
            "description": "orgql extension: register a webhook; it receives the change"
            " events emitted from now on, signed with the secret in this answer (README"
            ' "Change events (webhooks)"). Errors: 100002 (400) bad URL, unknown event type'
            " or property.",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": _ref("CreateWebhookSubscriptionRequest")}
                },
            },
            "responses": _answer(
                "201",
                "The subscription, with its secret",
                "CreatedWebhookSubscription",
                "400",
                "413",
                "500",
            ),
        },
    },
    "/ccadmin/v1/webhookSubscriptions/{id}": {
        "get": {
            "operationId": "getWebhookSubscription",
            "description": "orgql extension. Errors: 190001 (404) no such subscription.",
            "parameters": [_ID],
            "responses": _answer(
                "200", "The subscription (without its secret)", "WebhookSubscription", "404", "500"
            ),
        },
        "patch": {
            "operationId": "changeWebhookSubscription",
            "description": "orgql extension: pause (active false) or resume a subscription;"
            " paused, its pending deliveries wait and events emitted meanwhile are not kept"
            " for it. Errors: 100002 (400) bad body, 190001 (404) no such subscription.",
            "parameters": [_ID],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["active"],
                            "properties": {"active": {"type": "boolean"}},
                        }
                    }
                },
            },
            "responses": _answer(
                "200", "The subscription", "WebhookSubscription", "400", "404", "413", "500"
            ),
        },
        "delete": {
            "operationId": "deleteWebhookSubscription",
            "description": "orgql extension: remove the subscription and its pending"
            " deliveries. Errors: 190001 (404) no such subscription.",
            "parameters": [_ID],
            "responses": _answer("204", "Removed", None, "404", "500"),
        },
    },
}

SCHEMAS: dict[str, object] = {
    "WebhookSubscription": _SUBSCRIPTION,
    "WebhookSubscriptionList": {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": _ref("WebhookSubscription")}},
    },
    "CreatedWebhookSubscription": _CREATED,
    "CreateWebhookSubscriptionRequest": _CREATE_REQUEST,
}
