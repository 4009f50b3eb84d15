"""The ASGI application: ``create_app(settings)`` wires transports to the core."""

from __future__ import annotations

import gc
import logging
import multiprocessing
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypedDict

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from orgql.auth.asgi import Authenticate
from orgql.auth.revocations import listening as revocations_listening
from orgql.auth.tokens import Authenticator
from orgql.body_limit import LimitBody
from orgql.consistency import ReadConsistency
from orgql.core.financial.source import FinancialSource
from orgql.db.engine import PRIMARY_HELD_CONNECTIONS, make_engine, make_sessionmaker
from orgql.db.replicas import Databases, open_replicas
from orgql.edge_errors import GRAPHQL_PATH, for_graphql
from orgql.financial_sources import open_source
from orgql.graphiql import ASSET_DIR, ASSET_PATH, TOKEN_PATH
from orgql.graphql.asgi import graphiql_token, graphql_app
from orgql.graphql.errors import unexpected_error_response as graphql_unexpected_error_response
from orgql.graphql.websocket import close_all
from orgql.idempotency import Idempotency
from orgql.live import feed as live
from orgql.observability import database as database_watch
from orgql.observability.health import healthz, readyz
from orgql.observability.metrics import Metrics
from orgql.observability.requests import ObserveRequests
from orgql.rest.errors import unexpected_error_response as rest_unexpected_error_response
from orgql.rest.operation_ids import operation_id
from orgql.rest.routes import rest_routes
from orgql.routing import RoutedApp, SegmentRouter
from orgql.settings import Settings
from orgql.slash_redirects import install as install_slash_redirects
from orgql.webhooks import dispatcher as webhooks

logger = logging.getLogger("orgql.app")


class State(TypedDict):
    """Lifespan state, copied into every request's ``request.state``."""

    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    #: The primary and its read replicas: where each request reads (orgql.db.replicas).
    databases: Databases
    #: Where syncFinancialData reads billing accounts (upstream service or built-in).
    financial_source: FinancialSource
    #: The webhook dispatcher running in this process (None: ORGQL_WEBHOOK_DISPATCHER off).
    webhook_dispatcher: webhooks.Dispatcher | None
    #: The outbox read for this process's GraphQL subscriptions (orgql.live.feed).
    live_feed: live.Feed


class GraphiqlAssets(StaticFiles):
    """GraphiQL's built scripts and styles. Until they are built there is no directory, and
    every path is a 404 (the page then loads them from the CDN), not a 500."""

    async def check_config(self) -> None:
        if ASSET_DIR.is_dir():
            await super().check_config()


def create_app(settings: Settings, *, engine: AsyncEngine | None = None) -> Starlette:
    """Build the app. Pass ``engine`` to share one (tests); otherwise the lifespan owns one."""
    if engine is None and settings.database_url is None:
        raise ValueError("ORGQL_DATABASE_URL is not set (orgql serve starts an embedded server)")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        owned = engine is None
        active = engine or _engine(
            settings, str(settings.database_url), held=PRIMARY_HELD_CONNECTIONS
        )
        databases = _databases(settings, active)
        databases.count_statements(metrics.count_statement)
        databases.report_checks(metrics.replica_checked)
        sessionmaker = make_sessionmaker(active)
        database_watch.watch(active)
        metrics.watch_pool(active)
        try:
            async with (
                # The logged-out tokens of every process, read and LISTENed for on the
                # primary (never a replica: a revocation is refused as soon as committed).
                revocations_listening(
                    authenticator.revoked,
                    active,
                    connect_timeout=settings.db_connect_timeout_seconds,
                ),
                databases.checking(),
                open_source(settings, sessionmaker) as financial_source,
                webhooks.running(
                    settings, active, on_outcome=metrics.count_webhook_delivery
                ) as dispatcher,
                live.running(active, _feed_policy(settings)) as live_feed,
            ):
                try:
                    yield State(
                        settings=settings,
                        engine=active,
                        sessionmaker=sessionmaker,
                        databases=databases,
                        financial_source=financial_source,
                        webhook_dispatcher=dispatcher,
                        live_feed=live_feed,
                    )
                finally:  # subscribers first: their connections close with 1001
                    await close_all(graphql.connections)
        finally:
            await metrics.worker_stopped()
            database_watch.unwatch(active)
            await databases.dispose()
            if owned:
                await active.dispose()
                logger.info("database pool closed")

    metrics = Metrics()
    # Resolved now: a missing production signing key stops the start, not the first login.
    authenticator = Authenticator(settings)
    graphql = graphql_app(settings)
    graphql.connections.on_event = metrics.websocket_event
    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics.endpoint),
        Route("/readyz", readyz),
        Route(GRAPHQL_PATH, graphql),  # every method: another is its 405 (graphql.asgi.METHODS)
        # Subscriptions: graphql-transport-ws (graphql.websocket).
        WebSocketRoute(GRAPHQL_PATH, graphql),
        Route(TOKEN_PATH, graphiql_token),
        Mount(ASSET_PATH, app=GraphiqlAssets(directory=ASSET_DIR, check_dir=False)),
        *rest_routes(),
    ]
    app = RoutedApp(lifespan=lifespan)
    # Starlette's router, but a request tries only the routes of its path's first segment;
    # a path no route has, or a method its route does not take: JSON in the shape of the
    # path, never Starlette's plain text (it answers them, not an ExceptionMiddleware).
    app.router = SegmentRouter(routes, lifespan=lifespan)
    # ``/graphql/``: 307 to a relative Location, never one built on the Host header.
    install_slash_redirects(app.router)
    # Innermost first: idempotency needs the caller, authentication a bounded body.
    app.add_middleware(
        Idempotency,
        ttl_seconds=settings.idempotency_ttl_seconds,
        lease_seconds=settings.idempotency_lease_seconds,
    )
    app.add_middleware(Authenticate, authenticator=authenticator)
    app.add_middleware(
        LimitBody, max_bytes=settings.max_body_bytes, seconds=settings.body_timeout_seconds
    )
    # A malformed consistency token is refused before anything runs (observed all the same).
    app.add_middleware(ReadConsistency)
    # Outermost: request ids, access logs and metrics cover every response, and an exception
    # escaping everything else is answered there as a JSON 500 (observability.requests).
    app.add_middleware(
        ObserveRequests,
        metrics=metrics,
        rest_operation=operation_id,
        failure_response=failure_response,
    )
    return app


def failure_response(scope: Scope, error: Exception) -> Response:
    """``error``, raised below every middleware and handled by none (a bug), answered in the
    shape of the path: GraphQL's unexpected error on /graphql, else an errorModel 500. Each
    logs it once, with its traceback, under the reference or error id it answers with (a lost
    database: noted, answered 503 by ObserveRequests, one warning)."""
    if for_graphql(scope):
        return graphql_unexpected_error_response()
    return rest_unexpected_error_response(f"{scope['method']} {scope['path']}", error)


def _engine(
    settings: Settings, url: str, pool_size: int | None = None, *, held: int = 0
) -> AsyncEngine:
    """An engine of ``url`` bounded by the settings; ``held``: its connections held long
    (the primary's, db.engine.PRIMARY_HELD_CONNECTIONS; a replica's: none)."""
    return make_engine(
        url,
        pool_size=pool_size or settings.db_pool_size,
        held=held,
        connect_timeout=settings.db_connect_timeout_seconds,
        command_timeout=settings.db_command_timeout_seconds,
        pool_timeout=settings.db_pool_timeout_seconds,
        statement_timeout=settings.db_statement_timeout_seconds,
        lock_timeout=settings.db_lock_timeout_seconds,
    )


def _feed_policy(settings: Settings) -> live.FeedPolicy:
    return live.FeedPolicy(
        poll_interval=settings.graphql_ws_poll_interval_seconds,
        queue_size=settings.graphql_ws_queue_events,
    )


def _databases(settings: Settings, primary: AsyncEngine) -> Databases:
    """The primary and the replicas of ORGQL_DATABASE_REPLICA_URLS (docs/scaling.md)."""
    return Databases(
        primary,
        open_replicas(settings.replica_urls, lambda url, size: _engine(settings, url, size)),
        max_lag_seconds=settings.replica_max_lag_seconds,
        wait_seconds=settings.replica_wait_seconds,
        check_interval_seconds=settings.replica_check_interval_seconds,
        ask_timeout_seconds=settings.db_connect_timeout_seconds,
    )


def app_from_env() -> Starlette:
    """Factory for ``uvicorn --factory``: settings from the environment (workers use this)."""
    app = create_app(Settings())
    if multiprocessing.parent_process() is not None and hasattr(signal, "SIGHUP"):
        # A worker of `orgql serve --workers N`: the terminal closing sends SIGHUP to the whole
        # process group, whose default would end this worker on the spot, requests and all.
        # The supervisor handles it and stops the workers gracefully (cli_serve.run_workers).
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    # What exists now (modules, the schema, the app) lives as long as the worker: frozen, the
    # cyclic garbage collector stops scanning it again and again while requests allocate
    # (about a quarter of the CPU of a page of 100 organizations, bench/README.md).
    gc.collect()
    gc.freeze()
    return app
