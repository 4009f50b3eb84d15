"""Retention: the dispatcher deletes deliveries delivered or given up more than
ORGQL_WEBHOOK_RETENTION_SECONDS ago, then events that old with no delivery left; pending
deliveries and their events stay, whatever their age."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from webhook_receiver import Receiver
from webhook_support import Clock, emit_committed, subscribe

from orgql.core.events import webhooks
from orgql.core.events.outbox import EventType
from orgql.db.engine import make_sessionmaker
from orgql.webhooks.dispatcher import Dispatcher, DispatchPolicy

POLICY = DispatchPolicy(jitter=0.0, max_attempts=1, retention=3600.0, poll_interval=60.0)


async def _left(engine: AsyncEngine) -> tuple[list[str], list[str]]:
    """(each delivery left as "<event's organization>:<type>:<status>", each event left)."""
    async with engine.connect() as connection:
        deliveries = await connection.scalars(
            text(
                "SELECT e.organization_id || ':' || e.type || ':' || d.status"
                " FROM webhook_deliveries d JOIN outbox_events e ON e.id = d.event_id"
                " ORDER BY e.id, d.status"
            )
        )
        events = await connection.scalars(
            text("SELECT organization_id || ':' || type FROM outbox_events ORDER BY id")
        )
        return list(deliveries), list(events)


async def _history(engine: AsyncEngine, receiver: Receiver) -> str:
    """Events of every kind: one before any subscription (no delivery), one delivered, one
    given up, and one delivered to A but pending for the paused B. Returns B's id."""
    await emit_committed(engine, [(EventType.ORGANIZATION_UPDATED, "100001")])
    await subscribe(engine, receiver.url)  # A: every type
    paused = await subscribe(engine, receiver.url, ["organization.moved"])  # B
    receiver.behave = lambda r: 200 if json.loads(r.body)["organizationId"] == "100001" else 503
    await emit_committed(
        engine,
        [
            (EventType.ORGANIZATION_UPDATED, "100001"),
            (EventType.ORGANIZATION_UPDATED, "100002"),
            (EventType.ORGANIZATION_MOVED, "100001"),
        ],
    )
    subscription_id = str(paused.subscription.id)
    async with make_sessionmaker(engine)() as session, session.begin():
        await webhooks.set_active(session, subscription_id, False)
    return subscription_id


async def test_finished_deliveries_and_their_events_go_after_the_retention_pending_stay(
    engine: AsyncEngine,
    receiver: Receiver,
    make_dispatcher: Callable[..., Dispatcher],
    clock: Clock,
) -> None:
    dispatcher = make_dispatcher(policy=POLICY)
    await _history(engine, receiver)
    await dispatcher.drain()
    before = await _left(engine)

    assert await dispatcher.prune() == (0, 0)  # nothing is older than the retention yet
    clock.advance(3600 + 1)
    assert await dispatcher.prune() == (3, 3)

    assert before == (
        [
            "100001:organization.updated:delivered",
            "100002:organization.updated:failed",
            "100001:organization.moved:delivered",
            "100001:organization.moved:pending",
        ],
        [
            "100001:organization.updated",
            "100001:organization.updated",
            "100002:organization.updated",
            "100001:organization.moved",
        ],
    )
    assert await _left(engine) == (
        ["100001:organization.moved:pending"],
        ["100001:organization.moved"],
    )


async def test_prunes_come_in_batches_until_one_comes_back_short(
    engine: AsyncEngine,
    receiver: Receiver,
    make_dispatcher: Callable[..., Dispatcher],
    clock: Clock,
) -> None:
    policy = DispatchPolicy(jitter=0.0, max_attempts=1, retention=3600.0, prune_batch=2)
    dispatcher = make_dispatcher(policy=policy)
    await _history(engine, receiver)
    await dispatcher.drain()
    clock.advance(3600 + 1)

    assert await dispatcher.prune() == (3, 3)  # 2 + 1 of each


async def test_the_running_dispatcher_prunes_when_it_starts_then_every_interval(
    engine: AsyncEngine,
    receiver: Receiver,
    make_dispatcher: Callable[..., Dispatcher],
    clock: Clock,
) -> None:
    dispatcher = make_dispatcher(policy=POLICY)
    await _history(engine, receiver)
    await dispatcher.drain()
    clock.advance(3600 + 1)

    pruned = asyncio.Event()
    prune = dispatcher.prune

    async def prune_and_tell() -> tuple[int, int]:
        deleted = await prune()
        pruned.set()
        return deleted

    dispatcher.prune = prune_and_tell  # type: ignore[method-assign]
    task = asyncio.create_task(dispatcher.run())
    try:
        await asyncio.wait_for(pruned.wait(), 10)
    finally:
        dispatcher.stop()
        await asyncio.wait_for(task, 10)
    assert (await _left(engine))[1] == ["100001:organization.moved"]
    # Not due again within the interval (600 s by default): a second look deletes nothing.
    await emit_committed(engine, [(EventType.ORGANIZATION_UPDATED, "100003")])
    await dispatcher.drain()
    clock.advance(3600 + 1)
    await dispatcher._prune_when_due()
    assert len((await _left(engine))[1]) == 2
