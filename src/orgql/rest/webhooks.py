"""``/ccadmin/v1/webhookSubscriptions[/{id}]``: orgql's extension of the admin API (OCC has
no webhooks). Admin only, like every admin path. The secret is in the creation's answer
only."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from orgql.core import webhooks
from orgql.db.event_models import WebhookSubscription
from orgql.rest.render import JSON, timestamp
from orgql.rest.transport import endpoint, path_id, read_json_object, unit_of_work


def render_subscription(row: WebhookSubscription) -> JSON:
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
    return JSONResponse({"items": [render_subscription(row) for row in rows]})


@endpoint()
async def create_webhook_subscription(request: Request) -> Response:
    new = webhooks.parse_new(await read_json_object(request))
    async with unit_of_work(request) as session:
        created = await webhooks.create(session, new)
    body = render_subscription(created.subscription)
    body["secret"] = created.secret
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
