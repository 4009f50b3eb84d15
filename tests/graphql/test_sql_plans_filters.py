"""SQL plans answer filtered pages (``organizations(filter: ...)``) as the resolvers do, in
one statement (two with totalCount): every filter field but ``effective`` (answered by the
compiled plan, which resolves its site), alone and together, paged, for admins and for
shoppers (the filter narrowed to their memberships, an inactive account without its
withheld values); a name with LIKE's special characters; a parent named by its global id;
a value PostgreSQL cannot take is refused by the resolvers. The reference is the same app
without SQL plans (tests/graphql/test_sql_plans.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.applications import Starlette
from test_sql_plans import _answer, _hierarchy, reference  # noqa: F401
from test_sql_plans_shoppers import SHOPPER, _memberships

from graphql_client import GraphQL, gid
from orgql.graphql.execution import executor as compiled
from orgql.graphql.execution import page_sql

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from scenarios import cursor

FILTERED = """
query($first: Int, $after: String, $filter: OrganizationFilter) {
  organizations(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id repositoryId name active type customerType paymentMethods derivedPaymentMethods
      parentOrganization { id name }
      effectiveSiteProperties { approvalRequired contract { repositoryId } }
    } }
  }
}
"""

#: Without totalCount: one statement.
NODES = """
query($filter: OrganizationFilter) {
  organizations(first: 50, filter: $filter) { edges { node { repositoryId name } } }
}
"""


def _filters(ids: list[str]) -> list[dict[str, Any]]:
    return [
        {},
        {"nameContains": "sql"},
        {"nameContains": "LEVEL 3"},
        {"nameContains": "%"},
        {"nameContains": "_"},
        {"nameContains": "\\"},
        {"nameContains": "Percent 100%"},
        {"parentId": ids[1]},
        {"parentId": gid(ids[1])},
        {"parentId": "nope"},
        {"rootsOnly": True},
        {"rootsOnly": False, "active": True},
        {"active": False},
        {"type": "division"},
        {"customerType": "OEM"},
        {"customerType": "Enterprise", "rootsOnly": True},
        {"uniqueId": "u-2"},
        {"dunsNumber": "123456789"},
        {"externalOrganizationId": "nobody"},
        {"partyNumber": "nobody"},
        {"nameContains": "level", "parentId": ids[2], "active": True},
    ]


async def test_filtered_pages_answer_what_the_resolvers_answer(
    client_for: Callable[..., httpx.AsyncClient],
    app: Starlette,
    app_state: Mapping[str, Any],
    reference: Starlette,  # noqa: F811
    engine: AsyncEngine,
    session: AsyncSession,
    identity_provider: Any,
) -> None:
    compiled.clear_cache()
    async with client_for(app, app_state, token="admin") as admin:
        graphql = GraphQL(admin)
        ids = await _hierarchy(graphql)
        await graphql.create_organization("SQL Percent 100% _off_ \\", parentOrganizationId=ids[0])
    await _memberships(session, ids)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    for token in ("admin", identity_provider.token(SHOPPER)):
        async with (
            client_for(app, app_state, token=token) as mine,
            client_for(reference, reference.state.lifespan, token=token) as theirs,
        ):
            for where in _filters(ids):
                for document, variables in (
                    (FILTERED, {"first": 3, "filter": where}),
                    (FILTERED, {"first": 2, "after": cursor(ids[1]), "filter": where}),
                    (FILTERED, {"first": 0, "filter": where}),
                    (NODES, {"filter": where}),
                ):
                    statements.clear()
                    event.listen(engine.sync_engine, "before_cursor_execute", count)
                    try:
                        answer = await _answer(mine, document, variables)
                    finally:
                        event.remove(engine.sync_engine, "before_cursor_execute", count)
                    assert answer == await _answer(theirs, document, variables), (
                        variables,
                        token[:10],
                    )
                    assert len(statements) == (2 if document is FILTERED else 1), statements
                    assert all(s.startswith(page_sql.MARK) for s in statements), statements
    # Not vacuous: the filters select, for the admin and for the shopper.
    async with client_for(app, app_state, token="admin") as admin:
        data = await GraphQL(admin).data(NODES, {"filter": {"nameContains": "%"}})
        assert [e["node"]["name"] for e in data["organizations"]["edges"]] == [
            "SQL Percent 100% _off_ \\"
        ]
        data = await GraphQL(admin).data(NODES, {"filter": {"parentId": gid(ids[1])}})
        assert len(data["organizations"]["edges"]) == 2
    async with client_for(app, app_state, token=identity_provider.token(SHOPPER)) as mine:
        body = {"query": FILTERED, "variables": {"filter": {"active": False}}}
        page = (await mine.post("/graphql", json=body)).json()["data"]["organizations"]
        assert page["totalCount"] == 1
        [inactive] = page["edges"]
        assert (inactive["node"]["repositoryId"], inactive["node"]["paymentMethods"]) == (
            ids[4],
            None,
        )


async def test_filters_the_plans_do_not_take_are_answered_by_the_compiled_plan(
    client_for: Callable[..., httpx.AsyncClient],
    app: Starlette,
    app_state: Mapping[str, Any],
    reference: Starlette,  # noqa: F811
    identity_provider: Any,
) -> None:
    compiled.clear_cache()
    for token in ("admin", identity_provider.token(SHOPPER), None):
        async with (
            client_for(app, app_state, token=token) as mine,
            client_for(reference, reference.state.lifespan, token=token) as theirs,
        ):
            for where in (
                {"nameContains": "a\x00b"},
                {"effective": {"approvalRequired": False}},
                {"effective": {"site": "nope", "hasContract": True}},
            ):
                variables = {"first": 5, "filter": where}
                answer = await _answer(mine, FILTERED, variables)
                assert answer == await _answer(theirs, FILTERED, variables), (where, token)
