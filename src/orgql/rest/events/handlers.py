"""``/ccadmin/v1/webhookSubscriptions[/{id}]``: orgql's extension of the admin API (OCC has
no webhooks). Admin only, like every admin path. The secret is in the creation's answer
only."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from orgql.core.events import webhooks
from orgql.db.event_models import WebhookSubscription
from orgql.rest.events.shapes import (
    ChangeWebhookSubscription,
    CreatedWebhookSubscription,
    CreateWebhookSubscription,
    WebhookSubscriptionList,
)
from orgql.rest.events.shapes import WebhookSubscription as SubscriptionShape
from orgql.rest.operation import Operation, Resource
from orgql.rest.render import timestamp
from orgql.rest.transport import endpoint, path_id, read_json_object, unit_of_work
from orgql.settings import Settings


def render_subscription(row: WebhookSubscription) -> SubscriptionShape:
    return {
        "id": str(row.id),
        "url": row.url,
        "eventTypes": list(row.event_types),
        "active": row.active,
        "description": row.description,
        "createdAt": timestamp(row.created_at),
    }


@endpoint()
async def list_webhook_subscriptions(request: Request) -> Response:
    async with unit_of_work(request) as session:
        rows = await webhooks.list_all(session)
    body: WebhookSubscriptionList = {"items": [render_subscription(row) for row in rows]}
    return JSONResponse(body)


@endpoint()
async def create_webhook_subscription(request: Request) -> Response:
    new = webhooks.parse_new(await read_json_object(request))
    settings: Settings = request.state.settings
    async with unit_of_work(request) as session:
        created = await webhooks.create(
            session, new, allow_private_targets=settings.allows_private_webhook_targets
        )
    body: CreatedWebhookSubscription = {
        **render_subscription(created.subscription),
        "secret": created.secret,
    }
    return JSONResponse(body, status_code=201)


@endpoint()
async def get_webhook_subscription(request: Request) -> Response:
    async with unit_of_work(request) as session:
        row = await webhooks.get(session, path_id(request))
    return JSONResponse(render_subscription(row))


@endpoint()
async def change_webhook_subscription(request: Request) -> Response:
    active = webhooks.parse_change(await read_json_object(request))
    async with unit_of_work(request) as session:
        row = await webhooks.set_active(session, path_id(request), active)
    return JSONResponse(render_subscription(row))


@endpoint()
async def delete_webhook_subscription(request: Request) -> Response:
    async with unit_of_work(request) as session:
        await webhooks.delete_subscription(session, path_id(request))
    return Response(status_code=204)


_NOT_FOUND = "190001 (404): no such subscription."

#: The route table's entries for these paths (``rest/routes.py`` mounts them under /ccadmin).
RESOURCES = [
    Resource(
        "/v1/webhookSubscriptions",
        {
            "GET": Operation(
                list_webhook_subscriptions,
                "listWebhookSubscriptions",
                WebhookSubscriptionList,
                "Every webhook subscription, oldest first (secrets are never listed)",
                summary="orgql extension: the webhook subscriptions.",
            ),
            "POST": Operation(
                create_webhook_subscription,
                "createWebhookSubscription",
                CreatedWebhookSubscription,
                "The subscription, with its secret",
                (400,),
                body=CreateWebhookSubscription,
                ok_status=201,
                summary="orgql extension: register a webhook.",
                description="It receives the change events emitted from now on, signed with the"
                " secret in this answer (docs/change-events.md). 100002 (400): bad"
                " URL (in production also one showing a private or loopback host), unknown"
                " event type or property.",
            ),
        },
    ),
    Resource(
        "/v1/webhookSubscriptions/{id}",
        {
            "GET": Operation(
                get_webhook_subscription,
                "getWebhookSubscription",
                SubscriptionShape,
                "The subscription (without its secret)",
                (404,),
                description=_NOT_FOUND,
            ),
            "PATCH": Operation(
                change_webhook_subscription,
                "changeWebhookSubscription",
                SubscriptionShape,
                "The subscription",
                (400, 404),
                body=ChangeWebhookSubscription,
                summary="orgql extension: pause (active false) or resume a subscription.",
                description="Paused, its pending deliveries wait and events emitted meanwhile"
                " are not kept for it. 100002 (400): bad body. " + _NOT_FOUND,
            ),
            "DELETE": Operation(
                delete_webhook_subscription,
                "deleteWebhookSubscription",
                None,
                "Removed",
                (404,),
                ok_status=204,
                summary="orgql extension: remove the subscription and its pending deliveries.",
                description=_NOT_FOUND,
            ),
        },
    ),
]
