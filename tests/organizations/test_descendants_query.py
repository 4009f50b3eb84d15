"""Organization.descendants and the effective-value filter through GraphQL: pages, filters,
errors with codes, the cost limit, agreement with effectiveSiteProperties, and a constant
number of statements for a page of organizations each asking for its descendants."""

from __future__ import annotations

from typing import Any, Protocol

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from effective_tree import K1, K2, Tree, build_tree
from graphql_client import GraphQL, inlined
from orgql.db import models

DESCENDANTS = """
query Descendants($id: ID!, $first: Int, $after: String, $filter: DescendantsFilter) {
  organization(id: $id) {
    descendants(first: $first, after: $after, filter: $filter) {
      totalCount
      edges { cursor node { repositoryId } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

ORGANIZATIONS = """
query Organizations($filter: OrganizationFilter) {
  organizations(first: 100, filter: $filter) { totalCount edges { node { repositoryId } } }
}
"""


@pytest.fixture
async def tree(session: AsyncSession) -> Tree:
    return await build_tree(session)


async def _descendants(graphql: GraphQL, organization_id: str, **variables: Any) -> Any:
    data = await graphql.data(DESCENDANTS, {"id": organization_id, **variables})
    return data["organization"]["descendants"]


def _ids(connection: Any) -> list[str]:
    return [edge["node"]["repositoryId"] for edge in connection["edges"]]


async def _organizations(graphql: GraphQL, where: dict[str, Any]) -> list[str]:
    data = await graphql.data(ORGANIZATIONS, {"filter": where})
    connection = data["organizations"]
    assert connection["totalCount"] == len(connection["edges"])
    return _ids(connection)


async def test_descendants_at_any_depth_in_id_order(graphql: GraphQL, tree: Tree) -> None:
    connection = await _descendants(graphql, tree.a)

    assert _ids(connection) == [tree.b, tree.c, tree.d, tree.e, tree.f]
    assert connection["totalCount"] == 5
    assert connection["pageInfo"] == {
        "hasNextPage": False,
        "endCursor": connection["edges"][-1]["cursor"],
    }


async def test_descendant_pages_follow_each_other(graphql: GraphQL, tree: Tree) -> None:
    seen: list[str] = []
    more: list[bool] = []
    after = None
    for _ in range(3):
        page = await _descendants(graphql, tree.a, first=2, after=after)
        seen += _ids(page)
        more.append(page["pageInfo"]["hasNextPage"])
        after = page["pageInfo"]["endCursor"]

    assert seen == [tree.b, tree.c, tree.d, tree.e, tree.f]
    assert more == [True, True, False]


async def test_descendant_filter_predicates(graphql: GraphQL, tree: Tree) -> None:
    async def ids(where: dict[str, Any]) -> list[str]:
        connection = await _descendants(graphql, tree.a, filter=where)
        assert connection["totalCount"] == len(connection["edges"])
        return _ids(connection)

    assert await ids({"maxDepth": 1}) == [tree.b, tree.f]
    assert await ids({"maxDepth": 2, "active": True}) == [tree.b, tree.c]
    assert await ids({"type": "division"}) == [tree.f]
    assert await ids({"nameContains": "tree e"}) == [tree.e]
    assert await ids({"effective": {"site": "site2", "contractId": K2}}) == [
        tree.c,
        tree.d,
        tree.e,
    ]


async def test_effective_contract_on_site2_own_inherited_overridden_or_none(
    graphql: GraphQL, tree: Tree
) -> None:
    # A sets K1, B inherits it; C overrides with K2, D (a row without contract) and E inherit
    # K2; G and the demo tree have none on site2; H sets K1 under G.
    assert await _organizations(graphql, {"effective": {"site": "site2", "contractId": K1}}) == [
        tree.a,
        tree.b,
        tree.f,
        tree.h,
    ]
    assert await _organizations(graphql, {"effective": {"site": "site2", "contractId": K2}}) == [
        tree.c,
        tree.d,
        tree.e,
    ]
    assert await _organizations(
        graphql, {"effective": {"site": "site2", "hasContract": False}}
    ) == ["100001", "100002", "100003", tree.g]


async def test_the_effective_filter_defaults_to_the_header_then_the_default_site(
    graphql: GraphQL, tree: Tree
) -> None:
    default = await _organizations(graphql, {"effective": {"contractId": "100010"}})
    data = await graphql.data(
        ORGANIZATIONS, {"filter": {"effective": {"contractId": K1}}}, headers={"x-ccsite": "site2"}
    )

    assert default == ["100001", "100002", "100003"]  # siteUS: the demo master contract
    assert _ids(data["organizations"]) == [tree.a, tree.b, tree.f, tree.h]


async def test_unknown_site_in_the_filter_is_an_error_with_code(
    graphql: GraphQL, tree: Tree
) -> None:
    body = await graphql.post(
        ORGANIZATIONS, {"filter": {"effective": {"site": "nowhere", "contractId": K1}}}
    )

    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"] == "Site 'nowhere' does not exist"
    assert error["extensions"] == {"code": "100002", "field": "filter.effective.site"}


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"after": "bm90IGEgY3Vyc29y"}, "after"),
        ({"first": 101}, "first"),
        ({"first": -1}, "first"),
        ({"filter": {"maxDepth": 0}}, "filter.maxDepth"),
        ({"filter": {"effective": {"site": "nowhere"}}}, "filter.effective.site"),
    ],
)
async def test_bad_descendant_arguments_are_errors_with_code(
    graphql: GraphQL, tree: Tree, variables: dict[str, Any], field: str
) -> None:
    body = await graphql.post(DESCENDANTS, {"id": tree.a, **variables})

    [error] = body["errors"]
    assert error["extensions"] == {"code": "100002", "field": field}
    assert body["data"] == {"organization": None}


async def test_nested_descendant_connections_count_toward_the_cost_limit(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql",
        json={
            "query": "{ organizations(first: 100) { edges { node {"
            " descendants(first: 100) { edges { node { repositoryId name } } } } } } }"
        },
    )

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"


EFFECTIVE = """
query Effective($site: ID) {
  organizations(first: 100) {
    edges { node { repositoryId effectiveSiteProperties(site: $site) {
      contract { repositoryId } approvalRequired delegateApprovalManagement
      useExternalApprovalWebhook
    } } }
  }
}
"""


@pytest.mark.parametrize("site", ["siteUS", "site1", "site2"])
async def test_the_filter_agrees_with_effective_site_properties(
    graphql: GraphQL, tree: Tree, site: str
) -> None:
    """Every organization's effectiveSiteProperties, read through the live resolver, against
    what the filter selects, for each value seen and each flag, top level and descendants."""
    data = await graphql.data(EFFECTIVE, {"site": site})
    shown = {
        edge["node"]["repositoryId"]: edge["node"]["effectiveSiteProperties"]
        for edge in data["organizations"]["edges"]
    }
    ids = list(shown)

    def contract(org_id: str) -> str | None:
        value = shown[org_id]["contract"]
        return value["repositoryId"] if value else None

    contracts = sorted({c for o in ids if (c := contract(o)) is not None})
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"contractId": c}, [o for o in ids if contract(o) == c]) for c in contracts
    ]
    cases += [
        ({"hasContract": has}, [o for o in ids if (contract(o) is not None) is has])
        for has in (True, False)
    ]
    cases += [
        ({flag: value}, [o for o in ids if shown[o][flag] is value])
        for flag in ("approvalRequired", "delegateApprovalManagement", "useExternalApprovalWebhook")
        for value in (True, False)
    ]

    assert contracts
    for condition, expected in cases:
        where = {"site": site, **condition}
        assert await _organizations(graphql, {"effective": where}) == expected, where
        below_a = await _descendants(graphql, tree.a, filter={"effective": where})
        assert _ids(below_a) == [
            o for o in expected if o in (tree.b, tree.c, tree.d, tree.e, tree.f)
        ]


class StatementCounter(Protocol):
    @property
    def count(self) -> int: ...

    def reset(self) -> None: ...


FAN = """
query Fan($first: Int!) {
  organizations(first: $first, filter: {nameContains: "Fan", rootsOnly: true}) {
    edges { node {
      id
      descendants(first: 10, filter: {effective: {site: "site2", hasContract: false}}) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node { repositoryId name derivedType } }
      }
    } }
  }
}
"""


@pytest.fixture
async def fan(session: AsyncSession) -> list[str]:
    """20 roots "Fan nn", each with a child and a grandchild."""
    parents: list[str] = []
    for n in range(20):
        root = f"{320000 + 3 * n}"
        for offset, parent in ((0, None), (1, root), (2, f"{320000 + 3 * n + 1}")):
            session.add(
                models.Organization(
                    id=f"{320000 + 3 * n + offset}",
                    name=f"Fan {n:02d}" + ("" if offset == 0 else f" level {offset}"),
                    parent_id=parent,
                    active=True,
                    type="department" if offset == 0 else None,
                )
            )
            await session.flush()
        parents.append(root)
    await session.commit()
    return parents


async def test_a_page_of_20_asking_descendants_costs_the_statements_of_1(
    graphql: GraphQL, statement_counter: StatementCounter, fan: list[str]
) -> None:
    statement_counter.reset()
    one = await graphql.data(FAN, {"first": 1})
    one_count = statement_counter.count
    statement_counter.reset()
    twenty = await graphql.data(FAN, {"first": 20})
    twenty_count = statement_counter.count

    print(f"\nSQL statements: 1 parent = {one_count}, 20 parents = {twenty_count}")
    edges = twenty["organizations"]["edges"]
    assert len(one["organizations"]["edges"]) == 1
    assert len(edges) == 20
    last = edges[-1]["node"]
    assert last["descendants"]["totalCount"] == 2
    assert [e["node"]["derivedType"] for e in last["descendants"]["edges"]] == [
        "department",
        "department",
    ]
    assert twenty_count == one_count


README_EXAMPLE = """
{
  organization(id: "100001") {
    descendants(first: 10,
                filter: {maxDepth: 2, effective: {site: "siteUS", contractId: "100010"}}) {
      totalCount
      edges { node { repositoryId name } }
    }
  }
  organizations(filter: {effective: {site: "site2", hasContract: false}}) {
    edges { node { repositoryId } }
  }
}
"""


async def test_the_readme_example_answers_as_documented(graphql: GraphQL) -> None:
    assert await graphql.data(README_EXAMPLE) == {
        "organization": {
            "descendants": {
                "totalCount": 2,
                "edges": [
                    {"node": {"repositoryId": "100002", "name": "Sample East"}},
                    {"node": {"repositoryId": "100003", "name": "Sample East Purchasing"}},
                ],
            }
        },
        "organizations": {
            "edges": [
                {"node": {"repositoryId": "100001"}},
                {"node": {"repositoryId": "100002"}},
                {"node": {"repositoryId": "100003"}},
            ]
        },
    }


@pytest.mark.parametrize(
    ("where", "field"),
    [
        ({"nameContains": "a\u0000"}, "filter.nameContains"),
        ({"type": "x\u0000"}, "filter.type"),
        ({"effective": {"site": "site2", "contractId": "a\u0000"}}, "filter.effective.contractId"),
    ],
)
async def test_filter_text_postgresql_cannot_take_is_an_input_error(
    graphql: GraphQL, where: dict[str, Any], field: str
) -> None:
    # In the document: the transport refuses a NUL in variables (graphql.request_body).
    top = await graphql.post(inlined(ORGANIZATIONS, {"filter": where}))
    below = await graphql.post(inlined(DESCENDANTS, {"id": "100001", "filter": where}))

    for body in (top, below):
        [error] = body["errors"]
        assert error["extensions"] == {"code": "100002", "field": field}


@pytest.mark.parametrize(
    "query",
    [
        '{ organization(id: "100001") { descendants(first: 5, after: "b3JnOgA=") {'
        " edges { node { repositoryId } } } } }",
        '{ organization(id: "100001") { childOrganizations(first: 5, after: "b3JnOgA=") {'
        " edges { node { repositoryId } } } } }",
        '{ organizations(first: 5, after: "b3JnOgA=") { edges { node { repositoryId } } } }',
    ],
)
async def test_a_cursor_naming_text_with_nul_is_a_bad_cursor(graphql: GraphQL, query: str) -> None:
    body = await graphql.post(query, {})  # "b3JnOgA=" is "org:" and a NUL

    [error] = body["errors"]
    assert error["extensions"] == {"code": "100002", "field": "after"}
