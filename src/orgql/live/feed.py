"""The live feed: one reader of the outbox per process, fanning out to GraphQL subscribers.

While it has subscribers the feed holds a shared advisory lock (``outbox.LIVE_KEY``) on a
connection that LISTENs on ``orgql_live``: with it present, every emit NOTIFYs that channel
at commit (so the feed reads within a round trip of the commit) and effective-value events
are computed (``outbox.wanted``). Polling every ``poll_interval`` is the safety net.

Order: the feed reads events by outbox id. An id is taken at insert, so a transaction still
running can commit an id below one already read: the ids skipped over are kept as *gaps*
and asked for again on every read, for ``gap_seconds`` (then the id is taken for a rolled
back insert). Events of one organization are serialized by the outbox's locks until commit,
so per organization the feed sees them in commit order; across organizations, a late
commit is delivered when it commits.

Bounds: each subscriber has a queue of ``queue_size`` events. A subscriber whose queue is
full (it does not read what it is sent) is dropped on the spot: the feed never waits for
anyone, and the subscriber's ``dropped`` callback closes its connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from orgql.core.events import outbox
from orgql.core.events.audience import LIVE_EVENT_TYPES, LiveEvent
from orgql.observability.database import log_failure

logger = logging.getLogger("orgql.live")

_MAX_ID = text("SELECT coalesce(max(id), 0) FROM outbox_events")
_READ = text(
    """
    SELECT e.id, e.event_id, e.type, e.organization_id, e.occurred_at,
           CASE WHEN e.type = ANY(CAST(:types AS text[])) THEN e.payload END AS payload,
           o.path AS organization_path, o.active AS organization_active
    FROM outbox_events e LEFT JOIN organizations o ON o.id = e.organization_id
    WHERE e.id > :after OR e.id = ANY(CAST(:gaps AS bigint[]))
    ORDER BY e.id
    LIMIT :limit
    """
)
#: The reason subscribers are dropped with at shutdown (the other: SLOW).
SHUTTING_DOWN = "the server is shutting down"
SLOW = "slow consumer: its events were not read in time"
#: The most gaps remembered (the oldest are let go first).
MAX_GAPS = 10_000


@dataclass(frozen=True)
class FeedPolicy:
    poll_interval: float = 0.5
    queue_size: int = 1000
    batch_size: int = 500
    gap_seconds: float = 60.0


class Subscriber:
    """One subscription's queue. ``select`` sees every event in order (it may keep state)
    and answers what to queue of it (None: nothing); ``on_drop`` is called (once,
    synchronously) when the subscriber is dropped."""

    def __init__(
        self,
        select: Callable[[LiveEvent], LiveEvent | None],
        queue_size: int,
        on_drop: Callable[[str], None],
    ) -> None:
        self.select = select
        self.queue: asyncio.Queue[LiveEvent] = asyncio.Queue(maxsize=queue_size)
        self.on_drop = on_drop
        self.dropped: str | None = None

    def offer(self, event: LiveEvent) -> bool:
        """Queue ``event``; False when the queue is full."""
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            return False
        return True

    def drop(self, reason: str) -> None:
        if self.dropped is None:
            self.dropped = reason
            self.on_drop(reason)


class Feed:
    def __init__(self, engine: AsyncEngine, policy: FeedPolicy) -> None:
        self.engine = engine
        self.policy = policy
        self.subscribers: set[Subscriber] = set()
        self._after = 0
        self._gaps: dict[int, float] = {}  # id -> monotonic time it is let go
        self._wake = asyncio.Event()
        self._changed = asyncio.Condition()
        self._lock = asyncio.Lock()  # subscribe / unsubscribe / the presence connection
        self._presence: AsyncConnection | None = None
        self._driver: Any = None
        self._stopping = False
        self._warned = False  # one warning per outage, not one per poll
        #: Subscribers dropped for being slow since the start (a metric, tests).
        self.dropped_count = 0

    # Subscribing ---------------------------------------------------------------------------

    async def subscribe(self, subscriber: Subscriber) -> None:
        """Register ``subscriber``: it receives the events committed from now on."""
        async with self._lock:
            if self._stopping:
                raise RuntimeError("the live feed is stopping")
            if not self.subscribers:  # idle until now: from the latest event on
                await self._open_presence()
                async with self.engine.connect() as connection:
                    self._after = int((await connection.scalar(_MAX_ID)) or 0)
                self._gaps.clear()
            self.subscribers.add(subscriber)
        self._wake.set()
        await self._notify_changed()

    async def unsubscribe(self, subscriber: Subscriber) -> None:
        async with self._lock:
            self.subscribers.discard(subscriber)
            if not self.subscribers:
                await self._close_presence()
        await self._notify_changed()

    async def wait_for_subscribers(self, count: int) -> None:
        """Until exactly ``count`` subscribers are registered (tests, shutdown)."""
        async with self._changed:
            await self._changed.wait_for(lambda: len(self.subscribers) == count)

    async def _notify_changed(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # Presence: the shared lock and LISTEN --------------------------------------------------

    def _present(self) -> bool:
        return self._driver is not None and not self._driver.is_closed()

    async def _open_presence(self) -> None:
        await self._close_presence()
        try:
            self._presence = await self.engine.connect()
            raw = await self._presence.get_raw_connection()
            self._driver = raw.driver_connection
            await self._driver.add_listener(outbox.LIVE_CHANNEL, self._notified)
            space, key = outbox.live_lock_keys()
            await self._driver.execute("SELECT pg_advisory_lock_shared($1, $2)", space, key)
        except Exception as exc:  # the database is away: polling still delivers
            if not self._warned:
                logger.warning("live feed cannot LISTEN (polling only): %s", exc)
                self._warned = True
            await self._close_presence()
            return
        self._warned = False

    async def _close_presence(self) -> None:
        connection, self._presence, self._driver = self._presence, None, None
        if connection is not None:
            try:
                await connection.invalidate()  # closed: the lock and the LISTEN go with it
            except Exception:
                logger.debug("closing the live feed's connection failed", exc_info=True)

    def _notified(self, *args: object) -> None:
        self._wake.set()

    # Reading -------------------------------------------------------------------------------

    async def read_once(self) -> int:
        """Read what committed since the last read and hand it out; the events read."""
        now = time.monotonic()
        self._gaps = {gap: until for gap, until in self._gaps.items() if until > now}
        async with self.engine.connect() as connection:
            rows = list(
                await connection.execute(
                    _READ,
                    {
                        "types": sorted(LIVE_EVENT_TYPES),
                        "after": self._after,
                        "gaps": list(self._gaps),
                        "limit": self.policy.batch_size,
                    },
                )
            )
            await connection.rollback()
        for row in rows:
            position = int(row.id)
            if position in self._gaps:
                del self._gaps[position]
            elif position > self._after:
                for gap in range(self._after + 1, min(position, self._after + 1 + MAX_GAPS)):
                    self._gaps[gap] = now + self.policy.gap_seconds
                self._after = position
            if row.payload is not None:
                self._publish(_event(row))
        while len(self._gaps) > MAX_GAPS:
            del self._gaps[min(self._gaps)]
        return len(rows)

    def _publish(self, event: LiveEvent) -> None:
        for subscriber in list(self.subscribers):
            if subscriber.dropped is not None:
                continue
            chosen = subscriber.select(event)
            if chosen is not None and not subscriber.offer(chosen):
                self.dropped_count += 1
                self.subscribers.discard(subscriber)
                subscriber.drop(SLOW)

    async def run(self) -> None:
        """Read while there are subscribers, on each notification or poll interval."""
        failing = False
        while not self._stopping:
            self._wake.clear()
            read = 0
            if self.subscribers:
                try:
                    if not self._present():
                        async with self._lock:
                            if self.subscribers:
                                await self._open_presence()
                    read = await self.read_once()
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # a lost database or a bug: log once, keep reading
                    if not failing:
                        log_failure(
                            logger, error, "live feed read failed; retrying every poll interval"
                        )
                    failing = True
                else:
                    failing = False
            if read >= self.policy.batch_size:
                continue
            if not self.subscribers:
                await self._wake.wait()
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.policy.poll_interval)

    async def stop(self) -> None:
        """Drop every subscriber (their connections close) and stop reading."""
        self._stopping = True
        for subscriber in list(self.subscribers):
            subscriber.drop(SHUTTING_DOWN)
        self.subscribers.clear()
        async with self._lock:
            await self._close_presence()
        self._wake.set()
        await self._notify_changed()


def _event(row: Any) -> LiveEvent:
    return LiveEvent(
        position=int(row.id),
        event_id=str(row.event_id),
        type=row.type,
        organization_id=row.organization_id,
        occurred_at=row.occurred_at,
        data=row.payload if isinstance(row.payload, dict) else {},
        organization_path=tuple(row.organization_path or ()),
        organization_active=row.organization_active,
    )


@asynccontextmanager
async def running(engine: AsyncEngine, policy: FeedPolicy) -> AsyncIterator[Feed]:
    """The process's feed, reading in a task for the block's lifetime."""
    feed = Feed(engine, policy)
    task = asyncio.create_task(feed.run(), name="orgql-live-feed")
    try:
        yield feed
    finally:
        await feed.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
