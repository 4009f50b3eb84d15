"""Migration 0010 on a database that already holds data: every existing row gets a baseline
image dated by its (or its organization's) creation, so point-in-time reads answer for data
older than history itself."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.schema import sort_tables

from orgql.core.history import point_in_time
from orgql.core.inheritance.rules import chain_of, derive, derive_site_value
from orgql.db import history_models, models
from orgql.db.engine import make_engine, make_sessionmaker
from orgql.db.migrate import upgrade

#: The last revisions before history (0010): versions (0009) and change events (0011).
BEFORE_HISTORY = ("0009", "0011")


@pytest.fixture
async def seeded_before_history(server: Any, database_url: str) -> AsyncIterator[AsyncSession]:
    """A database at the revisions before 0010 (no history yet) holding the demo data, then
    migrated to the head (``server``: tests/conftest.py's Server).

    The demo data is copied from a database at the head (``database_url``), each table as it
    was at those revisions (reflected): today's ORM knows columns added since, which that
    database does not have, so it cannot write there."""
    name = f"orgql_history_baseline_{secrets.token_hex(4)}"
    await server.create_database(name)
    engine = make_engine(server.database_url(name), pool_size=1)
    source = make_engine(database_url, pool_size=1)
    try:
        for revision in BEFORE_HISTORY:
            await upgrade(engine, revision)
        await copy_rows(source, engine)
        await upgrade(engine)
        async with make_sessionmaker(engine)() as session:
            yield session
    finally:
        await source.dispose()
        await engine.dispose()
        await server.drop_database(name)


async def copy_rows(source: AsyncEngine, target: AsyncEngine) -> None:
    """Every row of the target's tables from the source, only the columns the target has
    (computed columns and identities are the target's own), parents before children. A row
    the migrations wrote (the financial settings) stays as they wrote it."""
    metadata = MetaData()
    async with target.connect() as connection:
        await connection.run_sync(metadata.reflect)
    # Deferrable keys (an organization's default addresses) are checked at commit.
    tables = sort_tables(metadata.tables.values(), skip_fn=lambda key: bool(key.deferrable))
    async with source.connect() as read, target.begin() as write:
        for table in tables:
            if table.name == "alembic_version":
                continue
            columns = [c for c in table.columns if c.computed is None and c.identity is None]
            rows = [dict(row) for row in (await read.execute(select(*columns))).mappings()]
            if rows:
                await write.execute(
                    insert(table).on_conflict_do_nothing(), _parents_first(table, rows)
                )


def _parents_first(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of a table that refers to itself (organizations' parent), each after its parent."""
    to_itself = [key for key in table.foreign_keys if key.column.table is table]
    if not to_itself:
        return rows
    (key,) = to_itself
    refers, own = key.parent.name, key.column.name
    placed: set[object] = set()
    ordered: list[dict[str, Any]] = []
    pending = rows
    while pending:
        ready = [row for row in pending if row[refers] is None or row[refers] in placed]
        assert ready, f"{table.name}: a cycle of {refers}"
        ordered.extend(ready)
        placed.update(row[own] for row in ready)
        pending = [row for row in pending if row[own] not in placed]
    return ordered


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
