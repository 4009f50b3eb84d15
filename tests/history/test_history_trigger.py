"""The history trigger function knows every table whose trigger calls it.

Each migration that tracks a new table replaces ``orgql_record_history()`` with a copy
holding one case more; a copy made from an older revision (two branches each adding a
table) would drop the other's case, and every write to that table would fail with
``case not found``."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def test_every_table_with_a_history_trigger_has_its_case(session: AsyncSession) -> None:
    tables = (
        await session.scalars(
            text(
                "SELECT DISTINCT c.relname FROM pg_trigger t"
                " JOIN pg_class c ON c.oid = t.tgrelid"
                " JOIN pg_proc p ON p.oid = t.tgfoid"
                " WHERE p.proname = 'orgql_record_history' AND NOT t.tgisinternal"
            )
        )
    ).all()
    source = await session.scalar(
        text("SELECT prosrc FROM pg_proc WHERE proname = 'orgql_record_history'")
    )

    assert {"organizations", "profiles", "address_type_links"} <= set(tables)
    assert [table for table in tables if f"WHEN '{table}' THEN" not in source] == []
