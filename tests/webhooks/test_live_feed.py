"""The live feed (orgql.live.feed): reads the outbox by id, and delivers an event whose
transaction committed after a later id was read (a gap) once it commits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from orgql.core.events import outbox
from orgql.core.events.audience import LiveEvent
from orgql.db.engine import make_sessionmaker
from orgql.live.feed import Feed, FeedPolicy, Subscriber


def _updated(organization_id: str) -> outbox.Event:
    return outbox.Event(
        outbox.EventType.ORGANIZATION_UPDATED, organization_id, {"id": organization_id}
    )


def _drain(subscriber: Subscriber) -> list[LiveEvent]:
    events = []
    while not subscriber.queue.empty():
        events.append(subscriber.queue.get_nowait())
    return events


async def test_an_id_committed_late_is_delivered_when_it_commits(engine: AsyncEngine) -> None:
    feed = Feed(engine, FeedPolicy(poll_interval=60))
    drops: list[str] = []
    subscriber = Subscriber(lambda event: event, 100, drops.append)
    await feed.subscribe(subscriber)
    sessions = make_sessionmaker(engine)
    try:
        async with sessions() as late:
            await late.begin()
            await outbox.emit_many(late, [_updated("100002")])  # takes the lower id
            async with sessions() as early, early.begin():
                await outbox.emit_many(early, [_updated("100003")])
            await feed.read_once()
            assert [e.organization_id for e in _drain(subscriber)] == ["100003"]
            await late.commit()
        await feed.read_once()
        delivered = _drain(subscriber)
        assert [e.organization_id for e in delivered] == ["100002"]
        await feed.read_once()
        assert _drain(subscriber) == []  # once only
    finally:
        await feed.stop()
    assert drops == ["the server is shutting down"]


async def test_a_full_queue_drops_its_subscriber_only(engine: AsyncEngine) -> None:
    feed = Feed(engine, FeedPolicy(poll_interval=60))
    drops: list[str] = []
    slow = Subscriber(lambda event: event, 2, drops.append)
    fast = Subscriber(lambda event: event, 10, drops.append)
    await feed.subscribe(slow)
    await feed.subscribe(fast)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            await outbox.emit_many(session, [_updated("100001") for _ in range(3)])
        await feed.read_once()
        assert drops == ["slow consumer: its events were not read in time"]
        assert feed.subscribers == {fast}
        assert len(_drain(fast)) == 3
    finally:
        await feed.stop()
