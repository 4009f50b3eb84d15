"""The statements of SQL plans keep the planner to the indexes the resolvers' reads use."""

from __future__ import annotations

from orgql.graphql.execution import page_filters, page_links


def test_pages_of_children_and_descendants_select_their_rows_behind_a_fence() -> None:
    """A page of descendants is ordered and limited outside the subquery that selects them
    (``OFFSET 0``): inside it, ``ORDER BY id LIMIT`` let the planner walk the primary key for
    the first few rows whose ``path`` matches, the whole table for an organization with few
    descendants (bench dataset, a page of 60 with descendants: 2.5 s, 4 ms fenced)."""
    columns = ["id", "path", "position", "name"]
    texts = [
        page_links.children_sql("child0", columns, descendants=True),
        page_links.children_sql("child0", columns),
    ]
    filtered = page_filters.descendants("child0", columns, {"maxDepth": 2, "nameContains": "a"})
    assert isinstance(filtered, page_filters.Descendants)
    texts.append(filtered.page)
    for sql in texts:
        selected, _, outside = sql.partition(" OFFSET 0) AS link_below ")
        assert outside, sql
        assert "ORDER BY" not in selected.split("FROM organizations")[-1], sql
        assert "ORDER BY link_below.id" in outside, sql
        assert "LIMIT :child0_limit" in outside, sql
