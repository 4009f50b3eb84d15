"""Helpers of the change-event tests: a movable clock, subscribing, reading the outbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from orgql.core.events import outbox as events
from orgql.core.events import webhooks
from orgql.db.engine import make_sessionmaker
from orgql.db.event_models import OutboxEvent, WebhookDelivery
from orgql.webhooks.dispatcher import Dispatcher


@dataclass
class Clock:
    """The real time plus an offset the test moves forward (rows default to the database's
    ``now()``, so the clock never runs behind them)."""

    offset: timedelta = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


async def subscribe(
    engine: AsyncEngine, url: str, event_types: list[str] | None = None
) -> webhooks.CreatedSubscription:
    """A committed subscription to ``url``."""
    async with make_sessionmaker(engine)() as session, session.begin():
        new = webhooks.NewSubscription(url, event_types or [])
        return await webhooks.create(session, new, allow_private_targets=True)


async def outbox(session: AsyncSession) -> list[OutboxEvent]:
    return list(await session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)))


async def deliveries_of(session: AsyncSession, subscription_id: uuid.UUID) -> list[WebhookDelivery]:
    return list(
        await session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.subscription_id == subscription_id)
            .order_by(WebhookDelivery.event_id)
            .execution_options(populate_existing=True)
        )
    )


async def emit_committed(
    engine: AsyncEngine, changes: list[tuple[events.EventType, str | None]]
) -> None:
    """Emit one event per (type, organization id), each in a transaction of its own."""
    for number, (event_type, organization_id) in enumerate(changes):
        async with make_sessionmaker(engine)() as session, session.begin():
            await events.emit(
                session, type=event_type, organization_id=organization_id, data={"n": number}
            )


async def deliver_everything(dispatcher: Dispatcher, clock: Clock, rounds: int = 30) -> None:
    """Dispatch, moving the clock past every retry delay, until nothing is pending."""
    for _ in range(rounds):
        await dispatcher.drain()
        clock.advance(dispatcher.policy.backoff_max + 1)
        if await dispatcher.drain() == 0:
            return
    raise AssertionError("deliveries still pending")
