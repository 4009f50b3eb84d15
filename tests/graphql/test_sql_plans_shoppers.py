"""SQL plans answer a shopper's page as the resolvers do: narrowed to the organizations their
active profile is a member of (inside the one statement), an inactive account without its
contract and payment values (own, derived, in effect, and their sources), the ancestors as
breadcrumbs (id and name). A selection asking the ancestors for more falls back to the
compiled plan, whose resolvers answer FORBIDDEN for those fields. The reference is the same
app without SQL plans (tests/graphql/test_sql_plans.py), on the same database."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.applications import Starlette
from test_sql_plans import ALIASED, SUBSET, _answer, _hierarchy, reference  # noqa: F401

from graphql_client import GraphQL, vendor_ids
from orgql.graphql.execution import executor as compiled
from orgql.graphql.execution import page_sql

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from scenarios import PAGE, cursor

SHOPPER = "110000"  # the demo's shopper: a member of 100001

#: Every site value, own and inherited values withheld from an inactive account's shoppers.
WITHHELD = """
query($first: Int, $after: String, $site: ID) {
  organizations(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id repositoryId name active paymentMethods useAllPaymentMethodsFromSite
      derivedPaymentMethods derivedUseAllPaymentMethodsFromSite derivedDescription
      parentOrganization { id name __typename }
      ancestorOrganizations { repositoryId name }
      effectiveSiteProperties(site: $site) {
        approvalRequired orderPriceLimit contract { repositoryId displayName }
        inheritedFrom { contract approvalRequired orderPriceLimit }
      }
    } }
  }
}
"""

#: Asks the ancestors for what a shopper may not see: answered by the compiled plan.
BEYOND_BREADCRUMBS = [
    "{ organizations { edges { node { id parentOrganization { id derivedDescription } } } } }",
    "{ organizations { edges { node { id ancestorOrganizations { id active } } } } }",
    "{ organizations { edges { node { parentOrganization { parentOrganization { id } } } } } }",
]


async def _memberships(session: AsyncSession, ids: list[str]) -> list[str]:
    """The shopper a member of three of the built organizations (one inactive, one whose
    ancestor is also theirs), besides the demo's 100001."""
    members = [ids[2], ids[4], ids[5], ids[6]]
    for organization_id in members:
        await session.execute(
            text("INSERT INTO organization_members (organization_id, profile_id) VALUES (:o, :p)"),
            {"o": organization_id, "p": SHOPPER},
        )
    await session.execute(
        text("UPDATE organizations SET active = false WHERE id = :id"), {"id": ids[4]}
    )
    await session.commit()
    return members


async def test_a_shoppers_page_answers_what_the_resolvers_answer_in_one_statement(
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
        ids = await _hierarchy(GraphQL(admin))
    members = await _memberships(session, ids)
    token = identity_provider.token(SHOPPER)
    mine = client_for(app, app_state, token=token)
    theirs = client_for(reference, reference.state.lifespan, token=token)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    async with mine, theirs:
        for document in (PAGE, SUBSET, WITHHELD):
            for variables in (
                {"first": 100},
                {"first": 2},
                {"first": 0},
                {"first": 2, "after": cursor(ids[2])},
                {"first": 10, "site": "site1"},
                {"first": 10, "site": "siteUS"},
                {"first": 10, "site": "site2"},
            ):
                statements.clear()
                event.listen(engine.sync_engine, "before_cursor_execute", count)
                try:
                    answer = await _answer(mine, document, variables)
                finally:
                    event.remove(engine.sync_engine, "before_cursor_execute", count)
                assert answer == await _answer(theirs, document, variables), (document, variables)
                assert len(statements) == (2 if "totalCount" in document else 1), (
                    document[:40],
                    variables,
                    [s[:80] for s in statements],
                )
                assert all(s.startswith(page_sql.MARK) for s in statements), statements
        # Not vacuous: the page is the shopper's five, one of them inactive and shown
        # without its withheld values, ancestors as breadcrumbs.
        body = {"query": WITHHELD, "variables": {"first": 100, "site": "siteUS"}}
        page = vendor_ids((await mine.post("/graphql", json=body)).json())["data"]["organizations"]
        assert page["totalCount"] == 5
        nodes = {edge["node"]["id"]: edge["node"] for edge in page["edges"]}
        assert sorted(nodes) == sorted(["100001", *members])
        inactive = nodes[ids[4]]
        assert inactive["active"] is False
        assert inactive["derivedPaymentMethods"] is None
        assert inactive["effectiveSiteProperties"]["contract"] is None
        assert inactive["effectiveSiteProperties"]["inheritedFrom"]["contract"] is None
        assert nodes[ids[5]]["effectiveSiteProperties"]["contract"] is not None
        assert [a["repositoryId"] for a in nodes[ids[5]]["ancestorOrganizations"]] == ids[:5]


async def test_a_shopper_asking_ancestors_for_more_than_breadcrumbs_falls_back(
    client_for: Callable[..., httpx.AsyncClient],
    app: Starlette,
    app_state: Mapping[str, Any],
    reference: Starlette,  # noqa: F811
    session: AsyncSession,
    identity_provider: Any,
) -> None:
    compiled.clear_cache()
    async with client_for(app, app_state, token="admin") as admin:
        ids = await _hierarchy(GraphQL(admin))
    await _memberships(session, ids)
    for token in (identity_provider.token(SHOPPER), identity_provider.token("nobody"), None):
        async with (
            client_for(app, app_state, token=token) as mine,
            client_for(reference, reference.state.lifespan, token=token) as theirs,
        ):
            for query, variables in [
                *((query, None) for query in BEYOND_BREADCRUMBS),
                (ALIASED, {"first": 10, "site": "siteUS"}),
            ]:
                answer = await _answer(mine, query, variables)
                assert answer == await _answer(theirs, query, variables), (query, token)
    async with client_for(app, app_state, token=identity_provider.token(SHOPPER)) as mine:
        body = (await mine.post("/graphql", json={"query": BEYOND_BREADCRUMBS[0]})).json()
        assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}


#: One organization by id, with its ancestors as a shopper may ask for them.
SINGLE = """
query($id: ID!) {
  organization(id: $id) {
    id repositoryId name active rolesApplyToDivisions derivedDescription
    parentOrganization { id name }
    ancestorOrganizations { id name }
  }
}
"""


async def test_a_shoppers_page_from_above_answers_what_the_resolvers_answer(
    client_for: Callable[..., httpx.AsyncClient],
    app: Starlette,
    app_state: Mapping[str, Any],
    reference: Starlette,  # noqa: F811
    engine: AsyncEngine,
    session: AsyncSession,
    identity_provider: Any,
) -> None:
    """A member of a mid-level organization whose roles apply to divisions is a member of
    every organization below it, in the statement as in the resolvers; the ancestors above
    it stay breadcrumbs."""
    compiled.clear_cache()
    async with client_for(app, app_state, token="admin") as admin:
        ids = await _hierarchy(GraphQL(admin))
        lent = await GraphQL(admin).data(
            """mutation($id: ID!) {
                 updateOrganization(id: $id, input: {rolesApplyToDivisions: true}) {
                   organization { rolesApplyToDivisions } } }""",
            {"id": ids[2]},
        )
        assert lent["updateOrganization"]["organization"] == {"rolesApplyToDivisions": True}
    await session.execute(
        text("INSERT INTO organization_members (organization_id, profile_id) VALUES (:o, :p)"),
        {"o": ids[2], "p": SHOPPER},
    )
    await session.execute(
        text("UPDATE organizations SET active = false WHERE id = :id"), {"id": ids[4]}
    )
    await session.commit()
    token = identity_provider.token(SHOPPER)
    async with (
        client_for(app, app_state, token=token) as mine,
        client_for(reference, reference.state.lifespan, token=token) as theirs,
    ):
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(args[2])

        for document in (PAGE, SUBSET, WITHHELD):
            for variables in ({"first": 100}, {"first": 2}, {"first": 10, "site": "siteUS"}):
                statements.clear()
                event.listen(engine.sync_engine, "before_cursor_execute", count)
                try:
                    answer = await _answer(mine, document, variables)
                finally:
                    event.remove(engine.sync_engine, "before_cursor_execute", count)
                assert statements
                assert all(s.startswith(page_sql.MARK) for s in statements), statements
                assert answer == await _answer(theirs, document, variables), (document, variables)
        for organization_id in ids:
            variables = {"id": organization_id}
            answer = await _answer(mine, SINGLE, variables)
            assert answer == await _answer(theirs, SINGLE, variables), organization_id
        body = {"query": WITHHELD, "variables": {"first": 100, "site": "siteUS"}}
        page = vendor_ids((await mine.post("/graphql", json=body)).json())["data"]["organizations"]
        body = {"query": SINGLE, "variables": {"id": ids[5]}}
        leaf = vendor_ids((await mine.post("/graphql", json=body)).json())["data"]
    # Below ids[2] (ids[3..5]) and itself, besides the demo's 100001; not the sibling ids[6]
    # (under ids[1]), nor ids[0..1] above.
    assert page["totalCount"] == 5
    assert sorted(edge["node"]["id"] for edge in page["edges"]) == sorted(["100001", *ids[2:6]])
    assert leaf["organization"]["ancestorOrganizations"] == [
        {"id": organization_id, "name": name}
        for organization_id, name in zip(
            ids[:5], ["SQL root", *(f"SQL level {n}" for n in range(1, 5))], strict=True
        )
    ]
