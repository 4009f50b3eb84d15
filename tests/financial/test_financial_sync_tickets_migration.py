"""Migration 0025 (the financial sync tickets): the upgrade adds the sequence and the
settings' ``synced_ticket``, keeping the configured business units; the downgrade removes
both and the upgrade applies again."""

from __future__ import annotations

import secrets
from typing import Any

from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from orgql.db.engine import make_engine
from orgql.db.migrate import alembic_config, upgrade


def _downgrade(connection: Any, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def _schema(connection: AsyncConnection) -> tuple[list[str], bool]:
    columns = await connection.scalars(
        text(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = 'organization_financial_settings' ORDER BY column_name"
        )
    )
    sequence = await connection.scalar(text("SELECT to_regclass('financial_sync_tickets')"))
    return list(columns), sequence is not None


async def test_the_tickets_migrate_up_down_and_up(server: Any) -> None:
    name = f"orgql_sync_tickets_{secrets.token_hex(4)}"
    await server.create_database(name)
    engine = make_engine(server.database_url(name), pool_size=1)
    try:
        await upgrade(engine, "0024")
        async with engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO organizations (id, name, active) VALUES ('o1', 'One', true)")
            )
            await connection.execute(
                text(
                    "INSERT INTO organization_financial_settings"
                    " (organization_id, business_unit_id) VALUES ('o1', 7)"
                )
            )

        await upgrade(engine, "0025")
        async with engine.connect() as connection:
            assert await _schema(connection) == (
                ["business_unit_id", "organization_id", "synced_ticket"],
                True,
            )
            row = await connection.execute(
                text("SELECT business_unit_id, synced_ticket FROM organization_financial_settings")
            )
            assert [tuple(r) for r in row] == [(7, None)]
            assert await connection.scalar(text("SELECT nextval('financial_sync_tickets')")) == 1

        async with engine.begin() as connection:
            await connection.run_sync(_downgrade, "0024")
        async with engine.connect() as connection:
            assert await _schema(connection) == (["business_unit_id", "organization_id"], False)

        await upgrade(engine)
        async with engine.connect() as connection:
            assert (await _schema(connection))[1]
    finally:
        await engine.dispose()
        await server.drop_database(name)
