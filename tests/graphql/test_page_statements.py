"""The page plans' statements (graphql.execution.page_sql): one per page size, first page or not,
made once and shared, in one LRU bounded for all plans; the size is written in as a number."""

from __future__ import annotations

from orgql.graphql.execution import page_sql
from orgql.graphql.execution.page_sql import Key, PagePlan

KEYS = (Key("edges", "edges", keys=(Key("node", "node", keys=(Key("id", "column", "id"),)),)),)


def test_a_statement_is_made_once_per_page_size_and_kind() -> None:
    plan = PagePlan(KEYS)
    first = plan.statement(10, False)
    assert plan.statement(10, False) is first
    assert plan.statement(10, True) is not first
    assert plan.statement(11, False) is not first
    assert "LIMIT 11" in first.text
    assert "LIMIT 12" in plan.statement(11, False).text
    assert ":after" not in first.text
    assert ":after" in plan.statement(10, True).text
    assert first.text.startswith(page_sql.MARK)


def test_the_statements_of_all_plans_are_bounded() -> None:
    plans = [PagePlan(KEYS) for _ in range(3)]
    for plan in plans:
        for size in range(101):
            for after in (False, True):
                plan.statement(size, after)
    assert len(page_sql._STATEMENTS) == page_sql.MAX_STATEMENTS  # 606 asked for
    # The most recently used are kept: the last plan's, all 202 of them.
    last = plans[-1]
    kept = {key for key in page_sql._STATEMENTS if key[0] == last._serial}
    assert len(kept) == 202
