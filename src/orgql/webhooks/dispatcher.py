"""The webhook dispatcher: POSTs pending deliveries, signed, in order, with retries.

One claim transaction per round: ``SELECT … FOR UPDATE SKIP LOCKED`` takes due pending
deliveries that are the *head* of their (subscription, organization) queue — no earlier
pending delivery of the same subscription and ordering key — POSTs them concurrently, and
records each outcome in the same transaction. Several dispatchers (``--workers N``, or two
tasks in a test) therefore never send one delivery twice, and a later event of an
organization waits while an earlier one is being sent or waits for its retry.

Delivery is at-least-once: if the process dies, or the commit fails, after a receiver
answered 2xx, the claim rolls back and the delivery is sent again. Receivers dedupe by the
event id (``Orgql-Event-Id``).

Targets: the client (:func:`orgql.webhooks.egress.webhook_client`) connects only to the
addresses ``ORGQL_WEBHOOK_ALLOW_PRIVATE_TARGETS`` allows, resolved when connecting, and follows
no redirect; a refused target fails the delivery at once (no retry can succeed).

Retention: every ``prune_interval`` the loop deletes deliveries delivered or given up more
than ``retention`` ago, then events older than that with no delivery left (every change
writes its event, subscribers or not), in batches of their own transactions
(:meth:`Dispatcher.prune`). Pending deliveries and their events stay, whatever their age.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from orgql.db.engine import make_sessionmaker
from orgql.observability.database import log_failure
from orgql.settings import Settings
from orgql.webhooks.egress import RefusedTarget, webhook_client
from orgql.webhooks.failures import last_error, log_text
from orgql.webhooks.queue import CLAIM, PRUNE_DELIVERIES, PRUNE_EVENTS, RECORD
from orgql.webhooks.signing import backoff_delay, signature_header
from orgql.webhooks.wakeup import Listener

logger = logging.getLogger("orgql.webhooks")

USER_AGENT = "orgql-webhooks/1"


@dataclass(frozen=True)
class DispatchPolicy:
    """The ``ORGQL_WEBHOOK_*`` settings the dispatcher follows."""

    poll_interval: float = 1.0
    timeout: float = 10.0
    backoff_base: float = 10.0
    backoff_max: float = 3600.0
    jitter: float = 0.2
    max_attempts: int = 12
    batch_size: int = 20
    #: Seconds finished deliveries and delivered events are kept.
    retention: float = 7 * 24 * 3600
    #: Seconds between two prunes of a dispatcher (the first right after it starts).
    prune_interval: float = 600.0
    prune_batch: int = 1000

    @classmethod
    def from_settings(cls, settings: Settings) -> DispatchPolicy:
        return cls(
            poll_interval=settings.webhook_poll_interval_seconds,
            timeout=settings.webhook_timeout_seconds,
            backoff_base=settings.webhook_backoff_base_seconds,
            backoff_max=settings.webhook_backoff_max_seconds,
            jitter=settings.webhook_backoff_jitter,
            max_attempts=settings.webhook_max_attempts,
            batch_size=settings.webhook_batch_size,
            retention=settings.webhook_retention_seconds,
        )


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    status_code: int | None
    error: str | None
    #: No retry can succeed (a refused target): given up at once.
    permanent: bool = False


def webhook_body(row: Any) -> bytes:
    """The POSTed JSON: ``{id, type, occurredAt, organizationId, data}``."""
    payload = row.payload if not isinstance(row.payload, str) else json.loads(row.payload)
    occurred: datetime = row.occurred_at
    document = {
        "id": str(row.public_id),
        "type": row.type,
        "occurredAt": occurred.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "organizationId": row.organization_id,
        "data": payload,
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class Dispatcher:
    """Delivers pending webhook deliveries. :meth:`run` loops (the app's lifespan starts
    it); tests call :meth:`dispatch_once` or :meth:`drain`.

    ``clock`` replaces the database's ``now()`` (tests move time instead of sleeping);
    ``rand`` is the jitter's source; ``on_outcome`` counts ``delivered`` / ``retry`` /
    ``failed`` (the metrics); with ``listen_on``, :meth:`run` also wakes on the outbox's
    notifications (:mod:`orgql.webhooks.wakeup`)."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        policy: DispatchPolicy,
        client: httpx.AsyncClient,
        *,
        clock: Callable[[], datetime] | None = None,
        rand: Callable[[], float] = random.random,
        on_outcome: Callable[[str], None] | None = None,
        listen_on: AsyncEngine | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.listen_on = listen_on
        self.policy = policy
        self.client = client
        self.clock = clock
        self.rand = rand
        self.on_outcome = on_outcome
        self._wake = asyncio.Event()
        self._listener: Listener | None = None
        self._stopping = False
        self._next_prune = 0.0  # time.monotonic() of the next prune

    def wake(self) -> None:
        """Ask :meth:`run` to look now rather than at the end of its poll interval."""
        self._wake.set()

    def stop(self) -> None:
        """Ask :meth:`run` to return once the round in flight is recorded."""
        self._stopping = True
        self._wake.set()

    @property
    def stopping(self) -> bool:
        return self._stopping

    async def dispatch_once(self) -> int:
        """Send every due head delivery (up to the batch size); the number attempted."""
        now = self.clock() if self.clock is not None else None
        async with self.sessionmaker() as session, session.begin():
            claimed = list(
                await session.execute(CLAIM, {"now": now, "limit": self.policy.batch_size})
            )
            if not claimed:
                return 0
            outcomes = await asyncio.gather(*(self._post(row) for row in claimed))
            records = [self._record(row, o, now) for row, o in zip(claimed, outcomes, strict=True)]
            await session.execute(RECORD, [params for params, _ in records])
        if self.on_outcome is not None:  # counted once committed
            for _, result in records:
                self.on_outcome(result)
        return len(claimed)

    async def drain(self, *, max_rounds: int = 1000) -> int:
        """:meth:`dispatch_once` until nothing is due; the number of attempts made."""
        total = 0
        for _ in range(max_rounds):
            attempted = await self.dispatch_once()
            if attempted == 0:
                return total
            total += attempted
        raise RuntimeError(f"deliveries still due after {max_rounds} rounds")

    async def prune(self, *, max_batches: int = 100) -> tuple[int, int]:
        """Delete what retention lets go (the module's docstring), a batch per
        transaction, until a batch comes back short; the deliveries and events deleted."""
        now = self.clock() if self.clock is not None else None
        parameters = {"now": now, "keep": self.policy.retention, "limit": self.policy.prune_batch}
        deleted = [0, 0]
        for index, statement in enumerate((PRUNE_DELIVERIES, PRUNE_EVENTS)):
            for _ in range(max_batches):
                async with self.sessionmaker() as session, session.begin():
                    result = await session.execute(statement, parameters)
                count = int(result.rowcount or 0)  # type: ignore[attr-defined]
                deleted[index] += count
                if count < self.policy.prune_batch:
                    break
        return deleted[0], deleted[1]

    async def _prune_when_due(self) -> None:
        if time.monotonic() < self._next_prune:
            return
        self._next_prune = time.monotonic() + self.policy.prune_interval
        deliveries, events = await self.prune()
        if deliveries or events:
            logger.info(
                "webhook retention: deleted %d deliveries and %d events", deliveries, events
            )

    async def run(self) -> None:
        """Dispatch until cancelled; idle, wait for the poll interval, a notification or
        :meth:`wake`."""
        listener = Listener(self.listen_on, self._wake) if self.listen_on is not None else None
        self._listener = listener
        try:
            await self._loop(listener)
        finally:
            self._listener = None
            if listener is not None:
                await asyncio.shield(listener.close())

    @property
    def listening(self) -> bool:
        """Whether :meth:`run` is LISTENing for the outbox's notifications now."""
        return self._listener is not None and self._listener.listening

    async def _loop(self, listener: Listener | None) -> None:
        failing = False  # log a lost database once per outage, not once per poll
        while not self._stopping:
            if listener is not None:
                # Before looking: an event committed after the look wakes the wait below.
                await listener.ensure()
            self._wake.clear()
            try:
                attempted = await self.dispatch_once()
                await self._prune_when_due()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # a lost database or a bug: log, keep the loop alive
                if not failing:
                    log_failure(
                        logger, error, "webhook dispatch failed; retrying every poll interval"
                    )
                failing, attempted = True, 0
            else:
                if failing:
                    logger.info("webhook dispatch works again")
                failing = False
            if attempted or self._stopping:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.policy.poll_interval)

    async def _post(self, row: Any) -> Outcome:
        body = webhook_body(row)
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "orgql-event-id": str(row.public_id),
            "orgql-event-type": row.type,
            "orgql-timestamp": str(timestamp),
            "orgql-signature": signature_header(row.secret, timestamp, body),
        }
        try:
            # httpx's timeout bounds each phase (connect, each read, ...): a receiver that
            # drips its answer would hold the claim and the whole batch open. The whole POST
            # has the timeout too.
            async with (
                asyncio.timeout(self.policy.timeout),
                # Streamed and never read: a receiver's large answer costs nothing.
                self.client.stream(
                    "POST", row.url, content=body, headers=headers, timeout=self.policy.timeout
                ) as response,
            ):
                code = response.status_code
        except TimeoutError:
            return Outcome(False, None, f"TimeoutError: no answer within {self.policy.timeout} s")
        except RefusedTarget as exc:  # ORGQL_WEBHOOK_ALLOW_PRIVATE_TARGETS (egress.py)
            return Outcome(False, None, f"RefusedTarget: {exc}"[:500], permanent=True)
        except Exception as exc:
            # (httpx.HTTPError, InvalidURL, ...), must not fail the batch it was claimed with.
            # lastError says a connection failure's kind, not its text (which may name an
            # address); the text is the operator's, in the log.
            logger.warning(
                "webhook delivery of event %s to subscription %s failed: %s",
                row.public_id,
                row.subscription_id,
                log_text(exc),
            )
            return Outcome(False, None, last_error(exc))
        if 200 <= code < 300:
            return Outcome(True, code, None)
        return Outcome(False, code, f"HTTP {code}")

    def _record(
        self, row: Any, outcome: Outcome, now: datetime | None
    ) -> tuple[dict[str, object], str]:
        attempts = int(row.attempts) + 1
        delay = 0.0
        if outcome.delivered:
            status, result = "delivered", "delivered"
        elif outcome.permanent or attempts >= self.policy.max_attempts:
            status, result = "failed", "failed"
            logger.warning(
                "webhook delivery of event %s to subscription %s given up after %d attempts%s",
                row.public_id,
                row.subscription_id,
                attempts,
                ": its target is refused" if outcome.permanent else "",
            )
        else:
            status, result = "pending", "retry"
            delay = backoff_delay(
                attempts,
                base=self.policy.backoff_base,
                cap=self.policy.backoff_max,
                jitter=self.policy.jitter,
                rand=self.rand(),
            )
        subscription_id: uuid.UUID = row.subscription_id
        params: dict[str, object] = {
            "status": status,
            "now": now,
            "delay": delay,
            "status_code": outcome.status_code,
            "error": outcome.error,
            "subscription_id": subscription_id,
            "event_id": row.event_id,
        }
        return params, result


@asynccontextmanager
async def running(
    settings: Settings,
    engine: AsyncEngine,
    *,
    on_outcome: Callable[[str], None] | None = None,
) -> AsyncIterator[Dispatcher | None]:
    """The app's dispatcher, looping in a task for the block's lifetime (None when
    ``ORGQL_WEBHOOK_DISPATCHER`` is off). Every worker runs one; SKIP LOCKED shares the work."""
    if not settings.webhook_dispatcher:
        yield None
        return
    policy = DispatchPolicy.from_settings(settings)
    async with webhook_client(
        timeout=policy.timeout,
        allow_private=settings.allows_private_webhook_targets,
    ) as client:
        dispatcher = Dispatcher(
            make_sessionmaker(engine), policy, client, on_outcome=on_outcome, listen_on=engine
        )
        task = asyncio.create_task(dispatcher.run(), name="orgql-webhook-dispatcher")
        try:
            yield dispatcher
        finally:
            # Let the POSTs in flight be answered and recorded (fewer repeats after a
            # restart), within their timeout; then stop regardless.
            dispatcher.stop()
            done, _ = await asyncio.wait({task}, timeout=policy.timeout + 5)
            if not done:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
