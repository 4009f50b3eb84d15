"""Fixtures of the financial data tests: a loopback upstream, the demo party's snapshot, and
the settings of an app whose financial source is that upstream.

Database, app and client fixtures come from tests/conftest.py. A test module whose syncs go
through the HTTP adapter overrides ``settings`` with :func:`upstream_settings`.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from financial_support import Snapshot
from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from upstream import Upstream

from orgql.core.financial.demo import DEMO_PARTY_ID
from orgql.db import financial_models, models
from orgql.db.engine import make_sessionmaker


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    server = Upstream()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def dead_url() -> str:
    """A loopback URL where nothing listens (the port was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def financial_snapshot(engine: AsyncEngine) -> Callable[[str], Awaitable[Snapshot]]:
    """Everything a sync may change for an organization, read in a fresh transaction."""

    async def snapshot(organization_id: str) -> Snapshot:
        async with make_sessionmaker(engine)() as session:
            accounts = await session.execute(
                text(
                    "SELECT id, external_account_id, account_number, account_name,"
                    " business_unit_id, synced_at FROM customer_accounts"
                    " WHERE organization_id = :id ORDER BY id"
                ),
                {"id": organization_id},
            )
            links = await session.execute(
                text(
                    "SELECT l.* FROM customer_account_addresses l JOIN customer_accounts a"
                    " ON a.id = l.customer_account_id WHERE a.organization_id = :id"
                    " ORDER BY l.customer_account_id, l.address_id"
                ),
                {"id": organization_id},
            )
            addresses = await session.execute(
                text("SELECT * FROM addresses WHERE organization_id = :id ORDER BY id"),
                {"id": organization_id},
            )
            defaults = await session.execute(
                select(
                    models.Organization.billing_address_id, models.Organization.shipping_address_id
                ).where(models.Organization.id == organization_id)
            )
            return {
                "accounts": [tuple(row) for row in accounts],
                "links": [tuple(row) for row in links],
                "addresses": [tuple(row) for row in addresses],
                "defaults": tuple(defaults.one()),
            }

    return snapshot


@pytest.fixture
def set_portal(engine: AsyncEngine) -> Callable[[bool], Awaitable[None]]:
    async def set_enabled(enabled: bool) -> None:
        async with make_sessionmaker(engine)() as session, session.begin():
            await session.execute(
                update(financial_models.FinancialSettings).values(
                    self_service_portal_enabled=enabled
                )
            )

    return set_enabled


@pytest.fixture
def configure_business_unit(engine: AsyncEngine) -> Callable[[str, int], Awaitable[None]]:
    async def configure(organization_id: str, business_unit_id: int) -> None:
        # An upsert: a sync creates the row to keep its ticket (core.financial.order).
        settings = financial_models.OrganizationFinancialSettings
        statement = insert(settings).values(
            organization_id=organization_id, business_unit_id=business_unit_id
        )
        async with make_sessionmaker(engine)() as session, session.begin():
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=[settings.organization_id],
                    set_={"business_unit_id": statement.excluded.business_unit_id},
                )
            )

    return configure


@pytest.fixture
def demo_party() -> str:
    return DEMO_PARTY_ID
