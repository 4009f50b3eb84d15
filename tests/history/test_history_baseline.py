"""Migration 0010 on a database that already holds data: every existing row gets a baseline
image dated by its (or its organization's) creation, so point-in-time reads answer for data
older than history itself."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.history import point_in_time
from orgql.core.inheritance.rules import chain_of, derive, derive_site_value
from orgql.core.reference.demo import seed_demo
from orgql.db import history_models, models
from orgql.db.engine import make_engine, make_sessionmaker
from orgql.db.migrate import upgrade


@pytest.fixture
async def seeded_before_history(server: Any) -> AsyncIterator[AsyncSession]:
    """A database seeded before revision 0010 (no history yet), then migrated to the head
    (``server``: tests/conftest.py's Server)."""
    name = f"orgql_history_baseline_{secrets.token_hex(4)}"
    await server.create_database(name)
    engine = make_engine(server.database_url(name), pool_size=1)
    try:
        # Every branch but history's (0010): the seed writes versions (0009) and events (0011).
        for revision in ("0009", "0011"):
            await upgrade(engine, revision)
        async with make_sessionmaker(engine)() as session, session.begin():
            await seed_demo(session)
        await upgrade(engine)
        async with make_sessionmaker(engine)() as session:
            yield session
    finally:
        await engine.dispose()
        await server.drop_database(name)


async def test_existing_rows_get_a_baseline_dated_by_their_creation(
    seeded_before_history: AsyncSession,
) -> None:
    session = seeded_before_history
    history = history_models.OrganizationHistory
    rows = list(await session.scalars(select(history).order_by(history.id)))
    created = {org.id: org.created_at for org in await session.scalars(select(models.Organization))}

    assert {row.operation for row in rows} == {"baseline"}
    assert {row.actor for row in rows} == {"system:migration 0010"}
    assert {row.entity_kind for row in rows} == {
        "organization",
        "site_properties",
        "address",
        "member",
        "contract",
    }
    for row in rows:
        if row.entity_kind == "organization":
            assert row.changed_at == created[row.entity_id]
        if row.entity_kind in ("site_properties", "member"):
            assert row.organization_id is not None
            assert row.changed_at == created[row.organization_id]


async def test_a_point_in_time_read_answers_for_data_older_than_history(
    seeded_before_history: AsyncSession,
) -> None:
    session = seeded_before_history
    now = datetime.now(UTC)

    chain = await point_in_time.chain_as_of(session, "100003", now)
    assert chain is not None
    live = await session.get(models.Organization, "100003")
    assert live is not None
    live_by_id = {
        org.id: org
        for org in await session.scalars(
            select(models.Organization).where(models.Organization.id.in_(live.path))
        )
    }
    live_chain = chain_of(live, live_by_id)

    assert [org.id for org in chain] == ["100003", "100002", "100001"]
    assert derive(chain, "customer_type") == derive(live_chain, "customer_type")
    sites = await point_in_time.site_properties_as_of(
        session, [(org.id, "siteUS") for org in chain], now
    )
    contract = derive_site_value(
        [org.id for org in chain], {org: row.contract_id for (org, _), row in sites.items()}
    )
    assert contract.source_id == "100001"
    assert contract.value is not None
