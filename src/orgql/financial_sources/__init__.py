"""Adapters of the core's financial source port (``orgql.core.financial.source``).

``ORGQL_FINANCIAL_BASE_URL`` set: the upstream REST service (http.py, contract in
contract.py and docs/financial-sync.md). Unset: the built-in source, the gateway's own tables.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orgql.core.financial.source import FinancialSource, SyncBounds
from orgql.financial_sources.builtin import BuiltinFinancialSource
from orgql.financial_sources.http import HttpFinancialSource, RetryPolicy, make_client
from orgql.settings import Settings

__all__ = [
    "BuiltinFinancialSource",
    "HttpFinancialSource",
    "RetryPolicy",
    "bounds_of",
    "open_source",
]


def bounds_of(settings: Settings) -> SyncBounds:
    """What one sync may fetch (ORGQL_FINANCIAL_MAX_SYNC_ACCOUNTS / _ADDRESSES)."""
    return SyncBounds(settings.financial_max_sync_accounts, settings.financial_max_sync_addresses)


@asynccontextmanager
async def open_source(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[FinancialSource]:
    """The configured source for the app's lifetime (the HTTP one owns a connection pool)."""
    bounds = bounds_of(settings)
    if settings.financial_base_url is None:
        yield BuiltinFinancialSource(sessionmaker, bounds)
        return
    async with make_client(settings) as client:
        yield HttpFinancialSource(
            client,
            RetryPolicy.from_settings(settings),
            page_size=settings.financial_page_size,
            max_page_bytes=settings.financial_max_page_bytes,
            bounds=bounds,
        )
