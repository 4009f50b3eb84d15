"""The app's lifespan runs the dispatcher: a mutation's event reaches the receiver without
anyone calling it (woken by the commit's NOTIFY, not by polling), and /metrics counts the
delivery."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from webhook_receiver import Receiver

from orgql.app import create_app
from orgql.db.event_models import WebhookDelivery
from orgql.settings import Settings

SUBSCRIPTIONS = "/ccadmin/v1/webhookSubscriptions"


async def test_the_running_app_delivers_a_mutations_event(
    settings: Settings,
    engine: AsyncEngine,
    receiver: Receiver,
    client_for: Callable[..., httpx.AsyncClient],
) -> None:
    running = settings.model_copy(
        # A poll too slow for the test's 10 s bound: the commit's NOTIFY wakes it.
        update={"webhook_dispatcher": True, "webhook_poll_interval_seconds": 300}
    )
    app = create_app(running, engine=engine)
    async with app.router.lifespan_context(app) as state, client_for(app, state or {}) as client:
        assert state is not None
        dispatcher = state["webhook_dispatcher"]
        async with asyncio.timeout(10):
            while not dispatcher.listening:  # noqa: ASYNC110 - LISTENing before the commit
                await asyncio.sleep(0.01)
        subscribed = await client.post(
            SUBSCRIPTIONS, json={"url": receiver.url, "eventTypes": ["organization.created"]}
        )
        created = await client.post("/ccadmin/v1/organizations", json={"name": "Hooked"})

        await receiver.wait_for(1)  # bounded: fails after 10 s

        [received] = receiver.received
        assert subscribed.status_code == 201
        assert received.document["type"] == "organization.created"
        assert received.document["organizationId"] == created.json()["id"]
        metrics = await metric_lines(client)
        assert 'orgql_webhook_deliveries_total{outcome="delivered"} 1.0' in metrics


async def metric_lines(client: httpx.AsyncClient) -> list[str]:
    """/metrics once it shows the counter, which moves after the delivery's commit (the
    receiver hears the POST before): waits for that condition, at most 10 s."""
    async with asyncio.timeout(10):
        while True:
            lines = (await client.get("/metrics")).text.splitlines()
            if any(line.startswith("orgql_webhook_deliveries_total") for line in lines):
                return lines
            await asyncio.sleep(0.02)


async def test_shutting_down_lets_the_post_in_flight_be_answered_and_recorded(
    settings: Settings,
    engine: AsyncEngine,
    session: AsyncSession,
    receiver: Receiver,
    client_for: Callable[..., httpx.AsyncClient],
) -> None:
    running = settings.model_copy(
        update={"webhook_dispatcher": True, "webhook_poll_interval_seconds": 0.05}
    )
    receiver.hold = asyncio.Event()
    app = create_app(running, engine=engine)
    lifespan = app.router.lifespan_context(app)
    state = await lifespan.__aenter__()
    assert state is not None
    async with client_for(app, state) as client:
        await client.post(SUBSCRIPTIONS, json={"url": receiver.url})
        await client.post("/ccadmin/v1/organizations", json={"name": "Slow Hook"})
    await receiver.wait_for(1)  # the POST is in flight, its answer held back

    shutdown = asyncio.create_task(lifespan.__aexit__(None, None, None))
    async with asyncio.timeout(10):
        while not state["webhook_dispatcher"].stopping:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    receiver.hold.set()
    await asyncio.wait_for(shutdown, 30)

    [delivery] = await session.scalars(select(WebhookDelivery))
    assert (delivery.status, delivery.attempts) == ("delivered", 1)
