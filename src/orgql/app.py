"""The ASGI application: ``create_app(settings)`` wires transports to the core."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypedDict

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orgql.core.financial.source import FinancialSource
from orgql.db.engine import make_engine, make_sessionmaker
from orgql.financial_sources import open_source
from orgql.graphql.asgi import graphql_app
from orgql.rest import rest_routes
from orgql.settings import Settings


class State(TypedDict):
    """Lifespan state, copied into every request's ``request.state``."""

    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    #: Where syncFinancialData reads billing accounts (upstream service or built-in).
    financial_source: FinancialSource


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    engine: AsyncEngine = request.state.engine
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database means "not ready"
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings, *, engine: AsyncEngine | None = None) -> Starlette:
    """Build the app. Pass ``engine`` to share one (tests); otherwise the lifespan owns one."""
    if engine is None and settings.database_url is None:
        raise ValueError("ORGQL_DATABASE_URL is not set (orgql serve starts an embedded server)")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        owned = engine is None
        active = engine or make_engine(str(settings.database_url), pool_size=settings.db_pool_size)
        sessionmaker = make_sessionmaker(active)
        try:
            async with open_source(settings, sessionmaker) as financial_source:
                yield State(
                    settings=settings,
                    engine=active,
                    sessionmaker=sessionmaker,
                    financial_source=financial_source,
                )
        finally:
            if owned:
                await active.dispose()

    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/graphql", graphql_app(settings), methods=["GET", "POST"]),
        *rest_routes(),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def app_from_env() -> Starlette:
    """Factory for ``uvicorn --factory``: settings from the environment (workers use this)."""
    return create_app(Settings())
