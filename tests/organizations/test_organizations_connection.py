"""The organizations connection: keyset paging with opaque cursors, filters, totalCount,
and limits reported as top-level errors with OCC codes."""

from __future__ import annotations

from typing import Any

import pytest

from graphql_client import GraphQL

#: The id format is tests/graphql/test_node.py's; these compare ids with vendor ids.
pytestmark = pytest.mark.read_vendor_ids

PAGE = """
query Page($first: Int, $after: String, $filter: OrganizationFilter) {
  organizations(first: $first, after: $after, filter: $filter) {
    totalCount
    edges { cursor node { id name } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

DEMO = ["100001", "100002", "100003"]


async def _page(graphql: GraphQL, **variables: Any) -> dict[str, Any]:
    data = await graphql.data(PAGE, variables)
    page: dict[str, Any] = data["organizations"]
    return page


def _ids(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in page["edges"]]


@pytest.fixture
async def seven(graphql: GraphQL) -> list[str]:
    """Seven organizations named "Paged n", in creation (= id) order."""
    return [await graphql.create_organization(f"Paged {n}") for n in range(7)]


async def test_pages_follow_each_other_without_gaps_or_duplicates(
    graphql: GraphQL, seven: list[str]
) -> None:
    where = {"nameContains": "Paged"}
    seen: list[str] = []
    more: list[bool] = []
    after = None
    for _ in range(3):
        page = await _page(graphql, first=3, after=after, filter=where)
        seen += _ids(page)
        more.append(page["pageInfo"]["hasNextPage"])
        after = page["pageInfo"]["endCursor"]

    assert seen == seven
    assert more == [True, True, False]


async def test_the_end_cursor_is_the_cursor_of_the_last_edge(
    graphql: GraphQL, seven: list[str]
) -> None:
    page = await _page(graphql, first=3, filter={"nameContains": "Paged"})

    assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]


async def test_paging_from_an_edge_cursor_continues_after_that_edge(
    graphql: GraphQL, seven: list[str]
) -> None:
    first = await _page(graphql, first=7, filter={"nameContains": "Paged"})

    rest = await _page(
        graphql, first=2, after=first["edges"][3]["cursor"], filter={"nameContains": "Paged"}
    )

    assert _ids(rest) == seven[4:6]


async def test_a_page_exactly_as_long_as_what_is_left_has_no_next_page(
    graphql: GraphQL, seven: list[str]
) -> None:
    page = await _page(graphql, first=7, filter={"nameContains": "Paged"})

    assert _ids(page) == seven
    assert page["pageInfo"]["hasNextPage"] is False


async def test_an_empty_page_has_no_end_cursor(graphql: GraphQL) -> None:
    page = await _page(graphql, filter={"nameContains": "nothing like this"})

    assert page == {
        "totalCount": 0,
        "edges": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }


async def test_without_first_a_page_holds_20(graphql: GraphQL) -> None:
    for n in range(20):
        await graphql.create_organization(f"Default page {n:02d}")

    page = await _page(graphql)

    assert len(page["edges"]) == 20
    assert _ids(page)[:3] == DEMO
    assert page["pageInfo"]["hasNextPage"] is True
    assert page["totalCount"] == 23


async def test_organizations_are_ordered_by_id(graphql: GraphQL) -> None:
    page = await _page(graphql)

    assert page["edges"] == [
        {"cursor": page["edges"][0]["cursor"], "node": {"id": "100001", "name": "Sample"}},
        {"cursor": page["edges"][1]["cursor"], "node": {"id": "100002", "name": "Sample East"}},
        {
            "cursor": page["edges"][2]["cursor"],
            "node": {"id": "100003", "name": "Sample East Purchasing"},
        },
    ]


async def test_total_count_counts_every_match_not_the_page(
    graphql: GraphQL, seven: list[str]
) -> None:
    first = await _page(graphql, first=2, filter={"nameContains": "Paged"})
    later = await _page(
        graphql, first=2, after=first["pageInfo"]["endCursor"], filter={"nameContains": "Paged"}
    )

    assert first["totalCount"] == 7
    assert later["totalCount"] == 7


async def test_name_contains_ignores_case(graphql: GraphQL) -> None:
    page = await _page(graphql, filter={"nameContains": "EAST"})

    assert _ids(page) == ["100002", "100003"]


async def test_name_contains_takes_percent_and_underscore_literally(graphql: GraphQL) -> None:
    percent = await graphql.create_organization("Discount 100% Ltd")
    await graphql.create_organization("Discount 1000 Ltd")

    page = await _page(graphql, filter={"nameContains": "100%"})
    underscore = await _page(graphql, filter={"nameContains": "_"})

    assert _ids(page) == [percent]
    assert _ids(underscore) == []


async def test_parent_id_gives_the_direct_children(graphql: GraphQL) -> None:
    page = await _page(graphql, filter={"parentId": "100001"})

    assert _ids(page) == ["100002"]


async def test_roots_only_gives_the_organizations_without_parent(graphql: GraphQL) -> None:
    other_root = await graphql.create_organization("Other Root")

    page = await _page(graphql, filter={"rootsOnly": True})

    assert _ids(page) == ["100001", other_root]


async def test_active_filters_on_the_active_flag(graphql: GraphQL) -> None:
    dormant = await graphql.create_organization("Dormant", active=False)

    inactive = await _page(graphql, filter={"active": False})
    active = await _page(graphql, filter={"active": True})

    assert _ids(inactive) == [dormant]
    assert _ids(active) == DEMO


async def test_customer_type_filters_on_the_own_customer_type(graphql: GraphQL) -> None:
    # 100002 and 100003 derive "Enterprise" but do not set it themselves.
    page = await _page(graphql, filter={"customerType": "Enterprise"})

    assert _ids(page) == ["100001"]


async def test_filters_combine(graphql: GraphQL) -> None:
    await graphql.create_organization("Sample North", parentOrganizationId="100001", active=False)

    page = await _page(
        graphql, filter={"nameContains": "sample", "parentId": "100001", "active": True}
    )

    assert _ids(page) == ["100002"]
    assert page["totalCount"] == 1


async def test_first_0_gives_no_edges_but_counts(graphql: GraphQL) -> None:
    page = await _page(graphql, first=0)

    assert page["edges"] == []
    assert page["totalCount"] == 3


@pytest.mark.parametrize(
    ("first", "message"),
    [(101, "first must be at most 100"), (-1, "first must not be negative")],
)
async def test_first_outside_0_to_100_is_a_top_level_error(
    graphql: GraphQL, first: int, message: str
) -> None:
    result = await graphql.post(PAGE, {"first": first})

    assert result == {
        "data": None,
        "errors": [
            {
                "message": message,
                "locations": [{"line": 3, "column": 3}],
                "path": ["organizations"],
                "extensions": {"code": "100002", "field": "first"},
            }
        ],
    }


@pytest.mark.parametrize("cursor", ["garbage", "", "b3JnOg==", "aWQ6MTAwMDAx", "🙂"])
async def test_a_cursor_not_made_by_this_api_is_a_top_level_error(
    graphql: GraphQL, cursor: str
) -> None:
    # "b3JnOg==" is "org:" without an id; "aWQ6MTAwMDAx" is "id:100001".
    result = await graphql.post(PAGE, {"after": cursor})

    assert result == {
        "data": None,
        "errors": [
            {
                "message": "not a cursor of this API",
                "locations": [{"line": 3, "column": 3}],
                "path": ["organizations"],
                "extensions": {"code": "100002", "field": "after"},
            }
        ],
    }


async def test_a_child_connection_has_the_same_limit(graphql: GraphQL) -> None:
    result = await graphql.post(
        '{ organization(id: "100001") { childOrganizations(first: 101) { totalCount } } }'
    )

    assert result["data"] == {"organization": None}
    assert [e["extensions"] for e in result["errors"]] == [{"code": "100002", "field": "first"}]
