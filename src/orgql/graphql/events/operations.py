"""Webhook subscriptions (admins): create, delete, list, with their recent deliveries.

The event types are strings (``organization.created`` has a dot, which a GraphQL enum value
cannot hold); ``webhookEventTypes`` lists them.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from orgql.core.common.errors import Codes, OrgqlError
from orgql.core.common.paging import DEFAULT_PAGE_SIZE, first_problem
from orgql.core.events import webhooks
from orgql.core.events.delivery_status import DeliveryStatus
from orgql.core.events.outbox import EventType
from orgql.db.event_models import WebhookSubscription as SubscriptionRow
from orgql.graphql.context import Info
from orgql.graphql.errors import public_error, user_errors_of
from orgql.graphql.global_ids import Node
from orgql.graphql.permissions import ADMIN
from orgql.graphql.types import UserError

#: The GraphQL enum is the core's vocabulary itself: member names are the GraphQL values
#: (PENDING, ...), member values the words the database stores.
WebhookDeliveryStatus = DeliveryStatus
strawberry.enum(
    DeliveryStatus, name="WebhookDeliveryStatus", description="Where a delivery stands."
)


@strawberry.type(description="One event's delivery to one subscription.")
class WebhookDelivery:
    event_id: strawberry.ID = strawberry.field(
        description="The event's id: the body's `id` and the `Orgql-Event-Id` header."
    )
    event_type: str
    organization_id: strawberry.ID | None
    occurred_at: datetime
    status: WebhookDeliveryStatus
    attempts: int
    next_attempt_at: datetime | None = strawberry.field(
        description="When the next attempt is due (pending deliveries only)."
    )
    last_attempt_at: datetime | None
    last_status_code: int | None = strawberry.field(
        description="The receiver's HTTP status at the last attempt; null: no answer."
    )
    last_error: str | None
    delivered_at: datetime | None

    @classmethod
    def from_view(cls, view: webhooks.DeliveryView) -> WebhookDelivery:
        d, event = view.delivery, view.event
        return cls(
            event_id=strawberry.ID(str(event.event_id)),
            event_type=event.type,
            organization_id=strawberry.ID(event.organization_id) if event.organization_id else None,
            occurred_at=event.occurred_at,
            status=WebhookDeliveryStatus(d.status),
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
            last_attempt_at=d.last_attempt_at,
            last_status_code=d.last_status_code,
            last_error=d.last_error,
            delivered_at=d.delivered_at,
        )


@strawberry.type(
    description="A webhook: change events of the listed types are POSTed to its URL, signed"
    " with its secret (shown once, when it is created)."
)
class WebhookSubscription(Node):
    repository_id: strawberry.ID = strawberry.field(name="repositoryId")
    url: str
    event_types: list[str] = strawberry.field(description="Empty: every event type.")
    active: bool
    description: str | None
    created_at: datetime

    @strawberry.field(description="Its latest deliveries, newest event first.")
    async def deliveries(
        self,
        info: Info,
        status: WebhookDeliveryStatus | None = None,
        first: int = DEFAULT_PAGE_SIZE,
    ) -> list[WebhookDelivery]:
        if (problem := first_problem(first)) is not None:
            raise public_error(OrgqlError(Codes.INVALID_INPUT, problem, "first"))
        key = (uuid.UUID(str(self.repository_id)), status.value if status else None, first)
        views = await info.context.loaders.webhook_deliveries.load(key)
        return [WebhookDelivery.from_view(view) for view in views]

    @classmethod
    def from_row(cls, row: SubscriptionRow) -> WebhookSubscription:
        return cls(
            repository_id=strawberry.ID(str(row.id)),
            url=row.url,
            event_types=list(row.event_types),
            active=row.active,
            description=row.description,
            created_at=row.created_at,
        )


@strawberry.input
class CreateWebhookSubscriptionInput:
    url: str = strawberry.field(description="An absolute http or https URL.")
    event_types: list[str] = strawberry.field(
        default_factory=list, description="Names from webhookEventTypes; empty: every type."
    )
    description: str | None = None
    active: bool = True


@strawberry.type
class CreateWebhookSubscriptionPayload:
    webhook_subscription: WebhookSubscription | None
    secret: str | None = strawberry.field(
        description="The signing secret: shown here once, never again. Null on userErrors."
    )
    user_errors: list[UserError]


@strawberry.type
class SetWebhookSubscriptionActivePayload:
    webhook_subscription: WebhookSubscription | None
    user_errors: list[UserError]


@strawberry.type
class DeleteWebhookSubscriptionPayload:
    deleted_id: strawberry.ID | None
    user_errors: list[UserError]


@strawberry.type
class WebhookQueries:
    @strawberry.field(
        description="Every webhook subscription, oldest first.", permission_classes=ADMIN
    )
    async def webhook_subscriptions(self, info: Info) -> list[WebhookSubscription]:
        rows = await info.context.run(webhooks.list_all)
        return [WebhookSubscription.from_row(row) for row in rows]

    @strawberry.field(
        description="The event types a subscription can ask for.", permission_classes=ADMIN
    )
    def webhook_event_types(self) -> list[str]:
        return [event_type.value for event_type in EventType]


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(
        description="Register a webhook. It receives the events emitted from now on; the"
        " answer holds its signing secret, the only time it is shown.",
        permission_classes=ADMIN,
    )
    async def create_webhook_subscription(
        self, info: Info, input: CreateWebhookSubscriptionInput
    ) -> CreateWebhookSubscriptionPayload | None:
        new = webhooks.NewSubscription(
            url=input.url,
            event_types=input.event_types,
            description=input.description,
            active=input.active,
        )
        try:
            async with info.context.unit_of_work() as session:
                created = await webhooks.create(
                    session,
                    new,
                    allow_private_targets=info.context.settings.allows_private_webhook_targets,
                )
        except OrgqlError as error:
            return CreateWebhookSubscriptionPayload(
                webhook_subscription=None,
                secret=None,
                user_errors=user_errors_of(error),
            )
        return CreateWebhookSubscriptionPayload(
            webhook_subscription=WebhookSubscription.from_row(created.subscription),
            secret=created.secret,
            user_errors=[],
        )

    @strawberry.mutation(
        description="Pause (active: false) or resume a webhook. Paused, its pending"
        " deliveries wait and events emitted meanwhile are not kept for it.",
        permission_classes=ADMIN,
    )
    async def set_webhook_subscription_active(
        self, info: Info, id: strawberry.ID, active: bool
    ) -> SetWebhookSubscriptionActivePayload | None:
        try:
            async with info.context.unit_of_work() as session:
                row = await webhooks.set_active(session, str(id), active)
        except OrgqlError as error:
            return SetWebhookSubscriptionActivePayload(
                webhook_subscription=None,
                user_errors=user_errors_of(error),
            )
        return SetWebhookSubscriptionActivePayload(
            webhook_subscription=WebhookSubscription.from_row(row), user_errors=[]
        )

    @strawberry.mutation(
        description="Remove a webhook and its deliveries: nothing more is sent to it.",
        permission_classes=ADMIN,
    )
    async def delete_webhook_subscription(
        self, info: Info, id: strawberry.ID
    ) -> DeleteWebhookSubscriptionPayload | None:
        try:
            async with info.context.unit_of_work() as session:
                await webhooks.delete_subscription(session, str(id))
        except OrgqlError as error:
            return DeleteWebhookSubscriptionPayload(
                deleted_id=None,
                user_errors=user_errors_of(error),
            )
        return DeleteWebhookSubscriptionPayload(deleted_id=id, user_errors=[])
