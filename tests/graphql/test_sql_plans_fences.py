"""The statements of SQL plans keep the planner to the indexes the resolvers' reads use."""

from __future__ import annotations

from orgql.graphql.execution import page_filters, page_links, page_sql


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


def _page(*node: page_sql.Key) -> page_sql.PagePlan:
    edge = page_sql.Key("node", "node", keys=node)
    return page_sql.PagePlan((page_sql.Key("edges", "edges", keys=(edge,)),))


def test_the_links_of_the_page_are_not_read_for_its_ancestors() -> None:
    """The chain's rows (the page's ancestors) read only the links an ancestor's selection
    or a derived address asks for: a page's descendants (or members, or addresses) are not
    read again for every ancestor (a root's whole tree), which the resolvers never read."""
    Key = page_sql.Key
    descendants = Key("d", "children", "descendants", keys=(Key("t", "total"),), param="child0")
    members = Key("m", "members", keys=(Key("e", "column", "email"),))
    parent = Key("p", "parent", keys=(Key("n", "column", "name"),))
    below = "link_child.path @> ARRAY[o.id]"

    page = _page(Key("i", "global_id"), descendants, members, parent)
    _, _, chain = page.statement(10, after=False).text.partition(" UNION ALL ")
    assert below not in chain
    assert "link_member" not in chain
    assert below in page.statement(10, after=False).text

    asked = _page(descendants, Key("p", "parent", keys=(descendants, members)))
    _, _, chain = asked.statement(10, after=False).text.partition(" UNION ALL ")
    assert below in chain
    assert "link_member" in chain

    address = Key("a", "derived_address", "billing_address_id", keys=(Key("c", "column", "city"),))
    _, _, chain = _page(address, parent).statement(10, after=False).text.partition(" UNION ALL ")
    assert "link_address" in chain  # read of the organization that set it


def test_ancestors_and_children_read_only_the_columns_asked_of_them() -> None:
    """The chain's rows carry an ancestor's id, path, derived columns and what its selection
    asks (here its name), and a children page's rows what its nodes ask (their name); the
    page's own columns (its description) are null in both."""
    Key = page_sql.Key
    name = Key("n", "column", "name")
    children = Key(
        "c",
        "children",
        "children",
        keys=(Key("edges", "edges", keys=(Key("node", "node", keys=(name,)),)),),
        param="child0",
    )
    page = _page(
        Key("d", "column", "description"),
        Key("t", "derived", "type"),
        Key("p", "parent", keys=(name,)),
        children,
    )
    sql = page.statement(10, after=False).text
    _, _, chain = sql.partition(" UNION ALL ")
    ancestors = chain.partition(" FROM organizations o WHERE")[0]
    assert "o.name" in ancestors, ancestors
    assert "o.type" in ancestors, ancestors
    assert "o.description" not in ancestors, ancestors
    assert "link_child.name" in sql, sql
    assert "link_child.description" not in sql, sql
