"""The JSON shapes of ``/ccadmin/v1/webhookSubscriptions`` (orgql's extension; OCC has no
webhooks). No ``from __future__ import annotations``: ``NotRequired`` is read at runtime."""

from typing import Annotated, NotRequired, TypedDict

from orgql.core.events.outbox import EventType
from orgql.rest.json_schema import Schema

#: Every event type of the registry (``core/events.EventType``), as a JSON Schema enum.
EventTypeName = Annotated[str, Schema(enum=[t.value for t in EventType])]


class WebhookSubscription(TypedDict):
    """A webhook subscription; its secret is never shown after creation."""

    id: Annotated[str, Schema(format="uuid")]
    url: Annotated[str, Schema(format="uri")]
    eventTypes: Annotated[list[EventTypeName], Schema(description="Empty: every event type.")]
    active: bool
    description: str | None
    createdAt: Annotated[str | None, Schema(format="date-time")]


class CreatedWebhookSubscription(WebhookSubscription):
    """The new subscription, with the signing secret: shown in this answer only."""

    secret: str


class WebhookSubscriptionList(TypedDict):
    items: list[WebhookSubscription]


class CreateWebhookSubscription(TypedDict):
    """Register a webhook: it receives the change events emitted from now on."""

    url: Annotated[
        str,
        Schema(
            maxLength=2048,
            description="Absolute http or https URL, without credentials or fragment.",
        ),
    ]
    eventTypes: NotRequired[Annotated[list[EventTypeName], Schema(default=[])]]
    description: NotRequired[Annotated[str, Schema(maxLength=254)]]
    active: NotRequired[Annotated[bool, Schema(default=True)]]


class ChangeWebhookSubscription(TypedDict):
    """Pause (``active: false``) or resume a subscription."""

    active: bool
