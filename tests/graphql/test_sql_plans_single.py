"""SQL plans answer ``organization(id)`` as the resolvers do, in one statement, for admins
and shoppers: any id (one of the shopper's accounts, an inactive one, an ancestor of theirs,
another account, a missing id), every selection the page plans translate, the site
arguments and header. What they do not translate (asOf, filtered descendants, history,
synced accounts) falls back to the compiled plan (tests/graphql/test_sql_plans_links.py has the
links: addresses, roles, members, children, contracts). The reference is the same app
without SQL plans."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.applications import Starlette
from test_sql_plans import _answer, _hierarchy, reference  # noqa: F401
from test_sql_plans_shoppers import SHOPPER, _memberships

from graphql_client import GraphQL
from orgql.graphql.execution import executor as compiled
from orgql.graphql.execution import page_sql

ONE = """
query($id: ID!, $site: ID) {
  organization(id: $id) {
    __typename id repositoryId name active version description paymentMethods
    useAllPaymentMethodsFromSite derivedDescription derivedPaymentMethods
    derivedUseAllPaymentMethodsFromSite derivedCustomerType derivedVatReferenceNumber
    parentOrganization { id name }
    ancestorOrganizations { repositoryId name __typename }
    here: effectiveSiteProperties(site: $site) {
      approvalRequired orderPriceLimit delegateApprovalManagement useExternalApprovalWebhook
      contract { repositoryId displayName description externalContractReference }
      inheritedFrom { contract approvalRequired orderPriceLimit delegateApprovalManagement }
    }
    effectiveSiteProperties { orderPriceLimit contract { displayName } }
  }
}
"""

#: The ancestors asked for more than a breadcrumb: one statement for admins only.
DEEP = """
query($id: ID!) {
  organization(id: $id) {
    id parentOrganization { id derivedDescription parentOrganization { name } }
    ancestorOrganizations { id dunsNumber derivedType }
  }
}
"""

FALLBACKS = [
    'query($id: ID!) { organization(id: $id, asOf: "2020-01-01T00:00:00Z") { id } }',
    "query($id: ID!) { organization(id: $id) { id descendants(filter: {maxDepth: 1})"
    " { totalCount } } }",
    "query($id: ID!) { organization(id: $id) { id customerAccounts { repositoryId } } }",
]


async def test_organization_by_id_answers_what_the_resolvers_answer_in_one_statement(
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
    await _memberships(session, ids)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    for token, documents in (
        ("admin", (ONE, DEEP)),
        (identity_provider.token(SHOPPER), (ONE,)),
    ):
        async with (
            client_for(app, app_state, token=token) as mine,
            client_for(reference, reference.state.lifespan, token=token) as theirs,
        ):
            for document in documents:
                for organization_id in [*ids, "100001", "100002", "nope"]:
                    for site, headers in ((None, {}), ("site1", {}), (None, {"x-ccsite": "site2"})):
                        variables = {"id": organization_id, "site": site}
                        statements.clear()
                        event.listen(engine.sync_engine, "before_cursor_execute", count)
                        try:
                            answer = await _answer(mine, document, variables, headers=headers)
                        finally:
                            event.remove(engine.sync_engine, "before_cursor_execute", count)
                        expected = await _answer(theirs, document, variables, headers=headers)
                        assert answer == expected, (document, variables, headers)
                        assert len(statements) == 1, [s[:80] for s in statements]
                        assert statements[0].startswith(page_sql.MARK)
        # Not vacuous: the shopper reads their inactive account without its withheld values,
        # and nothing of an ancestor by id.
    async with client_for(app, app_state, token=identity_provider.token(SHOPPER)) as mine:
        inactive = await mine.post("/graphql", json={"query": ONE, "variables": {"id": ids[4]}})
        node = inactive.json()["data"]["organization"]
        assert (node["active"], node["derivedPaymentMethods"], node["here"]["contract"]) == (
            False,
            None,
            None,
        )
        ancestor = await mine.post("/graphql", json={"query": ONE, "variables": {"id": ids[1]}})
        assert ancestor.json() == {"data": {"organization": None}}


async def test_what_the_plans_do_not_translate_is_answered_by_the_compiled_plan(
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
    for token in ("admin", identity_provider.token(SHOPPER), None):
        async with (
            client_for(app, app_state, token=token) as mine,
            client_for(reference, reference.state.lifespan, token=token) as theirs,
        ):
            for query in [*FALLBACKS, DEEP, ONE]:
                for organization_id in (ids[2], ids[4], "100001"):
                    variables = {"id": organization_id}
                    answer = await _answer(mine, query, variables)
                    assert answer == await _answer(theirs, query, variables), (query, token)
