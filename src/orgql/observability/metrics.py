"""Prometheus metrics, one registry per app (no process globals: tests build many apps).

With ``orgql serve --workers N`` (N > 1) the workers share prometheus_client's multiprocess
mode: ``PROMETHEUS_MULTIPROC_DIR``, set (and emptied at start) by ``orgql serve``, holds each
worker's values, and a scrape answered by any worker adds up all of them. Connection pool
gauges are per worker there (a ``pid`` label), each worker's written by itself every
POOL_REFRESH_SECONDS and before it answers a scrape (PoolGauges). Several machines: scrape
each (docs/scaling.md).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool
from starlette.requests import Request
from starlette.responses import Response

from orgql.db.engine import open_connections
from orgql.db.replicas import Replica

logger = logging.getLogger("orgql.metrics")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

#: Operation names come from callers: only well-formed ones, and only so many, become labels.
_OPERATION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
MAX_OPERATION_LABELS = 200

# Latency buckets in seconds: from a cached read (~1 ms) to a slow sync (~10 s).
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

#: How often each worker writes its pool gauges in multiprocess mode (PoolGauges): a scrape
#: answered by another worker shows this one's pool as it was at most this long ago.
POOL_REFRESH_SECONDS = 1.0


class PoolCollector(Collector):
    """The engine's connection pool, read at scrape time."""

    def __init__(self) -> None:
        self.engine: AsyncEngine | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        engine = self.engine
        pool = engine.sync_engine.pool if engine is not None else None
        if engine is None or not isinstance(pool, QueuePool):
            return
        size = GaugeMetricFamily("orgql_db_pool_size", "Connections the pool may hold.")
        size.add_metric([], pool.size())
        yield size
        connections = GaugeMetricFamily(
            "orgql_db_pool_connections", "Database connections by state.", labels=["state"]
        )
        checked_out, idle = pool_connections(engine, pool)
        connections.add_metric(["checked_out"], checked_out)
        connections.add_metric(["idle"], idle)
        yield connections


def pool_connections(engine: AsyncEngine, pool: QueuePool) -> tuple[int, int]:
    """The connections of ``engine``'s pool checked out and idle. Idle ones are those open
    (db.engine.open_connections) and not checked out, not the pool's free slots: a slot whose
    connection was closed (lost, or invalidated) is one until a checkout opens a connection
    in it."""
    checked_out = pool.checkedout()
    opened = open_connections(engine)
    if opened is None:  # an engine of another maker: its free slots
        return checked_out, pool.checkedin()
    return checked_out, max(0, opened - checked_out)


def multiprocess_directory() -> str | None:
    """Where the workers of ``orgql serve --workers N`` keep their values (None: one process).
    prometheus_client reads the same variable once, when first imported."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class PoolGauges:
    """The pool's gauges in multiprocess mode, where a scrape answered by another worker
    cannot read this one's pool: each worker writes its own, every POOL_REFRESH_SECONDS
    (:meth:`refreshing`) and right before it answers a scrape itself (:meth:`refresh`). A
    scrape so shows the answering worker's pool as it is, and the others' as they were at
    most a period ago.

    Not on every checkout and checkin: that was twice per request, three gauges each (each
    write takes a lock and writes an mmap file, in Python), about 5% of the instructions of
    a GraphQL read (issue 16). A gauge is written only when its value changed."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.size = Gauge(
            "orgql_db_pool_size",
            "Connections the pool may hold.",
            registry=registry,
            multiprocess_mode="liveall",
        )
        self.connections = Gauge(
            "orgql_db_pool_connections",
            "Database connections by state.",
            ["state"],
            registry=registry,
            multiprocess_mode="liveall",
        )
        self._watched: tuple[AsyncEngine, QueuePool] | None = None
        self._written: dict[Gauge, int] = {}
        self._failing = False

    def watch(self, engine: AsyncEngine) -> None:
        pool = engine.sync_engine.pool
        if isinstance(pool, QueuePool):
            self._watched = (engine, pool)
            self.refresh()

    def refresh(self) -> None:
        """Write what the pool holds now. Never raises, so that a scrape still answers and the
        periodic refresh goes on: a failure is logged (pool numbers only, nothing of a
        request), once until a refresh succeeds again."""
        if self._watched is None:
            return
        engine, pool = self._watched
        try:
            checked_out, idle = pool_connections(engine, pool)
            for gauge, value in (
                (self.size, pool.size()),
                (self.connections.labels("checked_out"), checked_out),
                (self.connections.labels("idle"), idle),
            ):
                if self._written.get(gauge) != value:
                    gauge.set(value)
                    self._written[gauge] = value
        except Exception:
            if not self._failing:
                logger.exception("pool gauges not refreshed")
            self._failing = True
        else:
            self._failing = False

    async def refreshing(self, seconds: float) -> None:
        """:meth:`refresh` every ``seconds``, until cancelled."""
        while True:
            await asyncio.sleep(seconds)
            self.refresh()


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.multiprocess_directory = multiprocess_directory()
        self.requests = Counter(
            "orgql_requests",
            "Requests answered, by transport, operation, outcome, the execution path that"
            " answered (GraphQL: sql_plan, compiled, resolvers; else none) and why not a"
            " faster one (none when it did not fall back).",
            ["transport", "operation", "outcome", "path", "fallback_reason"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "orgql_request_duration_seconds",
            "Time from the request's arrival to its last response byte.",
            ["transport", "operation", "path"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "orgql_errors",
            "Errors shown to callers, by transport and OCC error code.",
            ["transport", "code"],
            registry=self.registry,
        )
        self.in_progress = Gauge(
            "orgql_requests_in_progress",
            "Requests being handled now.",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.statements = Counter(
            "orgql_db_statements",
            "SQL statements sent, by database (primary, replica); with read replicas only.",
            ["database"],
            registry=self.registry,
        )
        self.webhook_deliveries = Counter(
            "orgql_webhook_deliveries",
            "Webhook delivery attempts by outcome: delivered, retry (to be sent again), failed"
            " (given up).",
            ["outcome"],
            registry=self.registry,
        )
        self.websockets = Gauge(
            "orgql_graphql_websockets",
            "GraphQL WebSocket connections open (subscriptions).",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.websocket_closes = Counter(
            "orgql_graphql_websocket_closes",
            "GraphQL WebSocket connections closed by the gateway for a bound: too_many"
            " (1013), awaiting_init (too many awaiting connection_init: the oldest closed"
            " 4408, or the new one 1013), slow_consumer (4008).",
            ["reason"],
            registry=self.registry,
        )
        # Per replica (host:port/database, from ORGQL_DATABASE_REPLICA_URLS): what the last
        # check found. With several workers, the worst any live worker saw.
        self.replica_healthy = Gauge(
            "orgql_replica_healthy",
            "1 while reads use the replica, 0 while they skip it (down, not replaying, or"
            " lagging more than ORGQL_REPLICA_MAX_LAG_SECONDS), as last checked.",
            ["replica"],
            registry=self.registry,
            multiprocess_mode="livemin",
        )
        self.replica_lag = Gauge(
            "orgql_replica_lag_seconds",
            "How far the replica's replay was behind the primary at its last successful"
            " check (0: it had replayed the primary's newest position).",
            ["replica"],
            registry=self.registry,
            multiprocess_mode="livemax",
        )
        self.pool = PoolCollector()
        self.pool_gauges: PoolGauges | None = None
        self._pool_refresh: asyncio.Task[None] | None = None
        if self.multiprocess_directory is None:
            self.registry.register(self.pool)
        else:
            self.pool_gauges = PoolGauges(self.registry)
        self._operations: set[str] = set()
        #: The labelled request counter and duration histogram by their labels, looked up
        #: once per series rather than on every request (``labels()`` checks and converts
        #: its values each time). As bounded as the labels: a fixed vocabulary, and
        #: operations up to MAX_OPERATION_LABELS.
        self._series: dict[tuple[str, str, str, str, str], tuple[Counter, Histogram]] = {}

    def watch_pool(self, engine: AsyncEngine) -> None:
        """Report ``engine``'s connection pool: read by each scrape in one process; with
        several workers, its gauges written by a task of this worker's, every
        POOL_REFRESH_SECONDS until :meth:`worker_stopped` (PoolGauges). Called by the app's
        lifespan, in its event loop."""
        self.pool.engine = engine
        if self.pool_gauges is not None and self._pool_refresh is None:
            self.pool_gauges.watch(engine)
            self._pool_refresh = asyncio.get_running_loop().create_task(
                self.pool_gauges.refreshing(POOL_REFRESH_SECONDS), name="orgql-pool-gauges"
            )

    async def worker_stopped(self) -> None:
        """A worker that stops takes its live gauges (in progress, pool) with it; its
        counters and histograms still count. The pool gauges' refresh stops first: nothing
        writes them once they are marked dead."""
        if self._pool_refresh is not None:
            self._pool_refresh.cancel()
            await asyncio.gather(self._pool_refresh, return_exceptions=True)
            self._pool_refresh = None
        if self.multiprocess_directory is not None:
            mark_process_dead(os.getpid(), self.multiprocess_directory)  # type: ignore[no-untyped-call]

    def count_statement(self, database: str) -> None:
        self.statements.labels(database).inc()

    def replica_checked(self, replica: Replica) -> None:
        self.replica_healthy.labels(replica.name).set(1 if replica.healthy else 0)
        if replica.lag_seconds is not None:
            self.replica_lag.labels(replica.name).set(replica.lag_seconds)

    def count_webhook_delivery(self, outcome: str) -> None:
        self.webhook_deliveries.labels(outcome).inc()

    def websocket_event(self, kind: str) -> None:
        """``opened``, ``closed``, or a close for a bound (``too_many``, ``awaiting_init``,
        ``slow_consumer``)."""
        if kind == "opened":
            self.websockets.inc()
        elif kind == "closed":
            self.websockets.dec()
        else:
            self.websocket_closes.labels(kind).inc()

    def operation_label(self, transport: str, operation: str | None) -> str:
        if operation is None:
            return "none"
        if operation in self._operations:
            return operation
        # REST operations are our operationIds; GraphQL's are whatever the caller named.
        named_by_caller = transport == "graphql"
        if (named_by_caller and not _OPERATION_NAME.fullmatch(operation)) or len(
            self._operations
        ) >= MAX_OPERATION_LABELS:
            return "other"
        self._operations.add(operation)
        return operation

    def observe(
        self,
        transport: str,
        operation: str | None,
        outcome: str,
        seconds: float,
        error_codes: list[str],
        path: str | None = None,
        fallback_reason: str | None = None,
    ) -> None:
        """``path`` and ``fallback_reason`` come from a fixed vocabulary
        (graphql.execution.paths), never from the caller."""
        label = self.operation_label(transport, operation)
        key = (transport, label, outcome, path or "none", fallback_reason or "none")
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = (
                self.requests.labels(*key),
                self.duration.labels(transport, label, key[3]),
            )
        requests, duration = series
        requests.inc()
        duration.observe(seconds)
        for code in error_codes:
            self.errors.labels(
                transport, code if _OPERATION_NAME.fullmatch(f"_{code}") else "other"
            ).inc()

    async def endpoint(self, request: Request) -> Response:
        if self.multiprocess_directory is None:
            return Response(generate_latest(self.registry), media_type=CONTENT_TYPE)
        # Every worker's values, added up (gauges as their modes say), whoever answers; this
        # worker's pool as it is now, the others' at most POOL_REFRESH_SECONDS old.
        if self.pool_gauges is not None:
            self.pool_gauges.refresh()
        registry = CollectorRegistry()
        MultiProcessCollector(registry, self.multiprocess_directory)  # type: ignore[no-untyped-call]
        return Response(generate_latest(registry), media_type=CONTENT_TYPE)
