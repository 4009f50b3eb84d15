"""docs/history.md's table of entity kinds is every kind history records: the kinds the
database allows (its check constraint), the kinds GraphQL answers (``HistoryEntityKind``),
and, in its "a row of" column, every table whose writes the history trigger records."""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from database_checks import check_values
from docs import examples
from orgql.graphql.history.types import HistoryEntityKind

PAGE = examples.ROOT / "docs" / "history.md"
_ROW = re.compile(r"^\| `(?P<kind>[a-z_]+)` \| `(?P<table>[a-z_]+)`")
_TRACKED_TABLES = text(
    "SELECT DISTINCT c.relname FROM pg_trigger t"
    " JOIN pg_class c ON c.oid = t.tgrelid"
    " JOIN pg_proc p ON p.oid = t.tgfoid"
    " WHERE p.proname = 'orgql_record_history' AND NOT t.tgisinternal"
)


def documented() -> list[tuple[str, str]]:
    """(kind, table) of each row of the page's entity-kind table."""
    lines = PAGE.read_text("utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| `entity_kind` | a row of"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        match = _ROW.match(line)
        assert match is not None, line
        rows.append((match["kind"], match["table"]))
    return rows


def test_the_page_lists_the_kinds_graphql_answers() -> None:
    assert sorted(kind for kind, _ in documented()) == sorted(k.value for k in HistoryEntityKind)


async def test_the_page_lists_the_kinds_and_tables_the_database_records(
    engine: AsyncEngine,
) -> None:
    kinds = await check_values(engine, "ck_organization_history_entity_kind_known")
    async with engine.connect() as connection:
        tables = (await connection.scalars(_TRACKED_TABLES)).all()

    assert sorted(kind for kind, _ in documented()) == sorted(kinds)
    assert sorted({table for _, table in documented()}) == sorted(tables)
