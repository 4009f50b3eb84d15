"""The background loops (the webhook dispatcher, the live feed) whose connection the server
ends mid-statement (a restart, a failover, pg_terminate_backend) log the outage as requests
do: one warning with the reason, no traceback (observability.database.log_failure), and go
on; a bug would still be logged at error with its traceback."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from webhook_receiver import Receiver
from webhook_support import emit_committed, subscribe

from orgql.core.events import outbox
from orgql.live.feed import Feed, FeedPolicy, Subscriber
from orgql.observability.database import CONNECTION_LOST
from orgql.webhooks.dispatcher import Dispatcher, DispatchPolicy

WAIT_SECONDS = 10
BLOCKED = text(
    "SELECT pid FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))"
)


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.DEBUG):
        yield caplog


async def _end_the_reader_of(engine: AsyncEngine, table: str) -> None:
    """Lock ``table`` until a backend waits for it, end that backend, release the lock."""
    async with engine.connect() as holder:
        await holder.execute(text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
        deadline = time.monotonic() + WAIT_SECONDS
        blocked: list[int] = []
        while not blocked:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
            # pg_stat_activity's backends are read once per transaction otherwise.
            await holder.execute(text("SELECT pg_stat_clear_snapshot()"))
            blocked = list((await holder.execute(BLOCKED)).scalars())
        await holder.execute(
            text("SELECT pg_terminate_backend(pid) FROM unnest(CAST(:p AS int[])) AS pid"),
            {"p": blocked},
        )
        await holder.rollback()


def _problems(logs: pytest.LogCaptureFixture, logger: str) -> tuple[list[str], list[str]]:
    """``logger``'s warnings, and every error or traceback logged."""
    warnings = [
        r.getMessage() for r in logs.records if r.name == logger and r.levelno == logging.WARNING
    ]
    errors = [r.getMessage() for r in logs.records if r.levelno > logging.WARNING or r.exc_info]
    return warnings, errors


async def test_a_dispatcher_whose_connection_is_ended_logs_one_warning_and_delivers(
    engine: AsyncEngine,
    receiver: Receiver,
    make_dispatcher: Callable[..., Dispatcher],
    logs: pytest.LogCaptureFixture,
) -> None:
    await subscribe(engine, receiver.url)
    await emit_committed(engine, [(outbox.EventType.ORGANIZATION_UPDATED, "100001")])
    dispatcher = make_dispatcher(policy=DispatchPolicy(poll_interval=0.05))
    logs.clear()
    task = asyncio.create_task(dispatcher.run())
    try:
        await _end_the_reader_of(engine, "webhook_deliveries")  # its claim
        await receiver.wait_for(1)  # the next round claims and sends it
        deadline = time.monotonic() + WAIT_SECONDS
        while "webhook dispatch works again" not in logs.messages:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
    finally:
        dispatcher.stop()
        await asyncio.wait_for(task, WAIT_SECONDS)

    warnings, errors = _problems(logs, "orgql.webhooks")
    assert errors == []
    assert warnings == [f"webhook dispatch failed; retrying every poll interval: {CONNECTION_LOST}"]
    assert len(receiver.received) == 1


async def test_a_live_feed_whose_read_is_ended_logs_one_warning_and_reads_on(
    engine: AsyncEngine, logs: pytest.LogCaptureFixture
) -> None:
    feed = Feed(engine, FeedPolicy(poll_interval=0.05))
    drops: list[str] = []
    subscriber = Subscriber(lambda event: event, 100, drops.append)
    await feed.subscribe(subscriber)
    logs.clear()
    task = asyncio.create_task(feed.run())
    try:
        await _end_the_reader_of(engine, "outbox_events")
        await emit_committed(engine, [(outbox.EventType.ORGANIZATION_UPDATED, "100001")])
        async with asyncio.timeout(WAIT_SECONDS):
            event = await subscriber.queue.get()
    finally:
        await feed.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    assert event.organization_id == "100001"
    warnings, errors = _problems(logs, "orgql.live")
    assert errors == []
    assert warnings == [f"live feed read failed; retrying every poll interval: {CONNECTION_LOST}"]
