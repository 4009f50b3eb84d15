"""Which database answers: the primary, or a streaming replica (docs/scaling.md).

Writes, and every read of a request that writes, go to the primary. Reads of a request that
only reads go to a replica, round robin among the healthy ones: a replica that cannot be
reached, is not in recovery, or replays more than ``ORGQL_REPLICA_MAX_LAG_SECONDS`` behind
the primary is skipped, and the read goes to the primary instead (never an error).

Read-your-writes: a request that wrote learns the primary's WAL position after its commit (a
log sequence number, LSN), and answers it as a consistency token. A read presenting that
token is served by a replica that has replayed that far, or by the primary once
``ORGQL_REPLICA_WAIT_SECONDS`` have passed without one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine

from orgql.database_urls import server_name
from orgql.db.engine import autocommit

logger = logging.getLogger("orgql.db.replicas")

#: PostgreSQL's text form of an LSN: two hexadecimal halves of 64 bits, e.g. ``16/B374D848``.
_LSN = re.compile(r"([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})")

#: How often a replica waited for is asked again how far it has replayed.
_POLL_SECONDS = 0.02

_FAILURES = (SQLAlchemyError, OSError, TimeoutError)


def parse_lsn(value: str) -> int:
    """An LSN in PostgreSQL's text form as a number; ValueError for anything else."""
    match = _LSN.fullmatch(value.strip())
    if match is None:
        raise ValueError("not a log sequence number")
    return (int(match[1], 16) << 32) | int(match[2], 16)


def format_lsn(lsn: int) -> str:
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


@dataclass
class Replica:
    #: host:port/database, no user or password (log lines, metric labels).
    name: str
    #: The requests' reads.
    engine: AsyncEngine
    #: A pool of its own for the health check and the token polls: a replica whose request
    #: pool is busy is still asked (and is busy, not down).
    checks: AsyncEngine
    healthy: bool = False
    #: The WAL position it had replayed when last asked.
    replayed: int = 0
    lag_seconds: float | None = None
    #: The question "how far have you replayed" in flight (Databases._asked).
    asking: asyncio.Future[None] | None = field(default=None, repr=False)
    #: ``checks`` in autocommit: the question without BEGIN and ROLLBACK.
    asks: AsyncEngine = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.asks = self.checks.execution_options(isolation_level="AUTOCOMMIT")


@dataclass
class Databases:
    """The primary and the replicas of one process; the health check runs in ``checking``."""

    primary: AsyncEngine
    replicas: Sequence[Replica] = ()
    max_lag_seconds: float = 5.0
    wait_seconds: float = 0.5
    check_interval_seconds: float = 1.0
    #: How long a replica may take to say how far it replayed (else it is down).
    ask_timeout_seconds: float = 5.0
    _next: int = 0
    #: (monotonic time, the primary's WAL position then), newest last: how old a replica's
    #: replayed position is (its lag) without trusting either server's clock.
    _samples: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=600))
    _primary_autocommit: AsyncEngine | None = None
    #: Told each replica after each check of it (metrics: Databases.report_checks).
    _check_listeners: list[Callable[[Replica], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._primary_autocommit = autocommit(self.primary)

    @property
    def has_replicas(self) -> bool:
        return bool(self.replicas)

    def count_statements(self, callback: Callable[[str], None]) -> None:
        """Call ``callback("primary" | "replica")`` for each statement sent (metrics)."""
        if not self.replicas:
            return  # one database: nothing to split
        engines = [(self.primary, "primary")] + [(r.engine, "replica") for r in self.replicas]
        for engine, role in engines:

            def counted(*args: Any, _role: str = role) -> None:
                callback(_role)

            event.listen(engine.sync_engine, "before_cursor_execute", counted)

    def report_checks(self, callback: Callable[[Replica], None]) -> None:
        """Call ``callback(replica)`` after each check of a replica, whatever it found:
        ``replica.healthy`` and ``replica.lag_seconds`` are then the check's (metrics)."""
        self._check_listeners.append(callback)

    # ------------------------------------------------------------------ choosing

    async def reader(self, *, after: int | None = None) -> AsyncEngine:
        """The engine a read-only request reads from: a healthy replica (round robin) that
        has replayed ``after`` when given, else the primary. Never raises for a replica, and
        waits ``wait_seconds`` at most for one to replay ``after``."""
        candidates = [replica for replica in self._rotation() if replica.healthy]
        if not candidates:
            return self.primary
        if after is None:
            for replica in candidates:
                if await self._reachable(replica):
                    return replica.engine
            return self.primary
        for replica in candidates:
            if replica.replayed >= after and await self._reachable(replica):
                return replica.engine
        try:
            # However long a replica takes to answer (one that accepts TCP and says nothing).
            async with asyncio.timeout(self.wait_seconds):
                return await self._replaying(candidates, after)
        except TimeoutError:
            return self.primary

    async def _replaying(self, candidates: list[Replica], after: int) -> AsyncEngine:
        """Ask the candidates again and again until one has replayed ``after`` (reader
        bounds the wait); the primary when none is left healthy."""
        while True:
            await asyncio.gather(*(self._asked(replica) for replica in candidates))
            for replica in candidates:
                if replica.healthy and replica.replayed >= after:
                    return replica.engine
            candidates = [replica for replica in candidates if replica.healthy]
            if not candidates:
                return self.primary
            await asyncio.sleep(_POLL_SECONDS)

    def _rotation(self) -> list[Replica]:
        count = len(self.replicas)
        if count == 0:
            return []
        start = self._next % count
        self._next = start + 1
        return [*self.replicas[start:], *self.replicas[:start]]

    async def _reachable(self, replica: Replica) -> bool:
        """A connection can be had (the pool's, or a new one): a replica that is down is
        found here, before any of the request's statements, and skipped."""
        try:
            async with replica.engine.connect():
                return True
        except PoolTimeout:  # every connection busy with reads: busy, not down
            return False
        except _FAILURES as error:
            self._down(replica, error)
            return False

    # ------------------------------------------------------------------ consistency

    async def written(self) -> int | None:
        """After a commit on the primary: a WAL position at or past that commit (the
        consistency token), or None when there are no replicas to be consistent with, or
        when the primary cannot say (no connection free in time, gone a moment).

        ``pg_current_wal_insert_lsn`` and not ``pg_current_wal_lsn``: the latter is where
        WAL has been written to, which with ``synchronous_commit = off`` may still be short
        of the commit record; the insert position never is."""
        if not self.replicas:
            return None
        assert self._primary_autocommit is not None
        try:
            async with self._primary_autocommit.connect() as connection:
                value = await connection.scalar(text("SELECT pg_current_wal_insert_lsn()::text"))
        except _FAILURES as error:
            # The write is committed: answered as done (an error would have it retried and
            # made twice), without a token (its next reads may be a replica's, a little old).
            logger.warning(
                "a committed write's consistency token could not be read (%s): answered"
                " without one",
                type(error).__name__,
            )
            return None
        return parse_lsn(str(value))

    async def dispose(self) -> None:
        """Close the replicas' pools (the primary's belongs to whoever made it)."""
        for replica in self.replicas:
            for engine in (replica.engine, replica.checks):
                await engine.dispose()

    # ------------------------------------------------------------------ health

    @contextlib.asynccontextmanager
    async def checking(self) -> AsyncIterator[None]:
        """Check the replicas now, then every ``check_interval_seconds`` while in use."""
        if not self.replicas:
            yield
            return
        await self.check()
        task = asyncio.create_task(self._check_forever(), name="orgql-replica-check")
        try:
            yield
        finally:
            asking = [replica.asking for replica in self.replicas if replica.asking]
            for running in (task, *asking):
                running.cancel()
            await asyncio.gather(task, *asking, return_exceptions=True)

    async def _check_forever(self) -> None:
        while True:
            await asyncio.sleep(self.check_interval_seconds)
            try:
                await self.check()
            except Exception:  # a check never ends the checking
                logger.exception("replica check failed")

    async def check(self) -> None:
        """Sample the primary's WAL position, then ask each replica how far it replayed."""
        assert self._primary_autocommit is not None
        try:
            async with self._primary_autocommit.connect() as connection:
                position = await connection.scalar(text("SELECT pg_current_wal_lsn()::text"))
            self._samples.append((time.monotonic(), parse_lsn(str(position))))
        except _FAILURES:
            pass  # the primary's own health is /readyz's business; lags stay as they were
        await asyncio.gather(*(self._asked(replica) for replica in self.replicas))

    async def _asked(self, replica: Replica) -> None:
        """Ask ``replica`` how far it replayed, one question at a time: the requests waiting
        for it and the health check share the one in flight (one connection, not one each)."""
        if replica.asking is None:
            task = asyncio.ensure_future(self._ask(replica))
            replica.asking = task
            task.add_done_callback(lambda _: setattr(replica, "asking", None))
        # Shielded: a request that stops waiting does not cancel the others' question.
        await asyncio.shield(replica.asking)

    async def _ask(self, replica: Replica) -> None:
        try:
            # A replica that cannot say this much in a connection's time is down, however
            # long a request's statements may take (ORGQL_DB_COMMAND_TIMEOUT_SECONDS).
            async with (
                asyncio.timeout(self.ask_timeout_seconds),
                replica.asks.connect() as connection,
            ):
                row = (
                    await connection.execute(
                        text("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text")
                    )
                ).one()
        except _FAILURES as error:
            self._down(replica, error)
            return
        in_recovery, replayed = row
        if not in_recovery or replayed is None:
            self._mark(replica, False, "is not a streaming replica (not in recovery)")
            return
        replica.replayed = parse_lsn(str(replayed))
        replica.lag_seconds = self._lag(replica.replayed)
        if replica.lag_seconds is not None and replica.lag_seconds > self.max_lag_seconds:
            self._mark(replica, False, f"lags {replica.lag_seconds:.1f} s behind the primary")
        else:
            self._mark(replica, True, "is replaying within the allowed lag")

    def _lag(self, replayed: int) -> float | None:
        """Seconds since the newest primary sample this replica has replayed: 0 if it has
        replayed the newest one; None when no sample was taken yet."""
        if not self._samples:
            return None
        now = time.monotonic()
        for sampled_at, position in reversed(self._samples):
            if position <= replayed:
                newest_at = self._samples[-1][0]
                return 0.0 if sampled_at == newest_at else now - sampled_at
        return now - self._samples[0][0]

    def _down(self, replica: Replica, error: BaseException) -> None:
        self._mark(replica, False, f"is unreachable ({type(error).__name__})")

    def _mark(self, replica: Replica, healthy: bool, why: str) -> None:
        if replica.healthy != healthy:
            log = logger.info if healthy else logger.warning
            log("replica %s %s: reads %s", replica.name, why, "use it" if healthy else "skip it")
        replica.healthy = healthy
        for listener in self._check_listeners:
            listener(replica)


def open_replicas(
    urls: Sequence[str], make: Callable[[str, int | None], AsyncEngine]
) -> list[Replica]:
    """The replicas of ``urls``; ``make(url, pool_size)`` makes an engine (None: the
    requests' pool size), db.engine.make_engine's: a pooled connection whose server went
    away (a replica stopped) is replaced at checkout, before a statement fails on it; a
    replica that is down then fails to connect, and the read goes elsewhere."""
    return [Replica(server_name(url), make(url, None), make(url, 1)) for url in urls]
