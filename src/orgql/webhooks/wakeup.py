"""LISTEN for the outbox's notifications, so an idle dispatcher wakes when an event with a
delivery commits instead of at its next poll.

:func:`orgql.core.events.outbox.emit_many` sends ``NOTIFY orgql_webhooks`` when it wrote a delivery;
PostgreSQL delivers it at commit, and never for a transaction that rolled back. Polling stays
the safety net: a lost listening connection is opened again on the next wake-up, and until
then the poll interval bounds the delay.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from orgql.core.events.outbox import NOTIFY_CHANNEL

logger = logging.getLogger("orgql.webhooks")


class Listener:
    """One pooled connection LISTENing on :data:`NOTIFY_CHANNEL`; sets ``wake`` on each
    notification."""

    def __init__(self, engine: AsyncEngine, wake: asyncio.Event) -> None:
        self.engine = engine
        self.wake = wake
        self._connection: AsyncConnection | None = None
        self._driver: Any = None
        self._warned = False  # one warning per outage, not one per poll

    @property
    def listening(self) -> bool:
        return self._driver is not None and not self._driver.is_closed()

    async def ensure(self) -> None:
        """Listen, if not listening already; a failure is logged and polling goes on."""
        if self.listening:
            return
        await self.close()
        try:
            self._connection = await self.engine.connect()
            raw = await self._connection.get_raw_connection()
            self._driver = raw.driver_connection
            await self._driver.add_listener(NOTIFY_CHANNEL, self._notified)
        except Exception as exc:  # the database is away: the poll interval still applies
            if not self._warned:
                logger.warning("webhook dispatcher cannot LISTEN (polling only): %s", exc)
                self._warned = True
            await self.close()
            return
        self._warned = False

    def _notified(self, *args: object) -> None:
        self.wake.set()

    async def close(self) -> None:
        connection, self._connection, self._driver = self._connection, None, None
        if connection is not None:
            try:
                await connection.invalidate()  # never back to the pool while listening
            except Exception:  # already broken: nothing to release
                logger.debug("closing the LISTEN connection failed", exc_info=True)
