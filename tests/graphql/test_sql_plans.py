"""SQL plans (ORGQL_GRAPHQL_SQL_PLANS) answer what the compiled executor answers: the same
JSON (numbers compared as written, keys in order) for pages of the demo data and of a built
hierarchy with overrides at several levels on several sites (values and their sources),
cursors, the last page, subsets, aliases, fragments, the default site (and none), the
x-ccsite header and explicit sites; what they do not cover falls back and is still answered
the same. Two apps, one database."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.applications import Starlette

from graphql_client import GraphQL, contract_input
from orgql.app import create_app
from orgql.graphql.execution import executor as compiled
from orgql.graphql.execution import page_sql
from orgql.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import scenarios

SUBSET = """
query($first: Int, $after: String) {
  organizations(first: $first, after: $after) {
    totalCount
    edges { node { repositoryId name active version type customerType description
                   dunsNumber taxReferenceNumber vatReferenceNumber taxExemptionCode uniqueId
                   externalOrganizationId partyId partyNumber organizationLogo paymentMethods
                   useAllPaymentMethodsFromSite useAllShippingMethodsFromSite
                   derivedVatReferenceNumber derivedTaxExemptionCode derivedUniqueId
                   derivedOrganizationLogo derivedPaymentMethods
                   derivedUseAllPaymentMethodsFromSite derivedUseAllShippingMethodsFromSite
                   inheritedFrom { derivedDescription derivedType derivedCustomerType
                     derivedDunsNumber derivedTaxReferenceNumber derivedVatReferenceNumber
                     derivedTaxExemptionCode derivedUniqueId derivedOrganizationLogo
                     derivedPaymentMethods derivedShippingMethods
                     derivedUseAllPaymentMethodsFromSite derivedUseAllShippingMethodsFromSite
                     derivedBillingAddress derivedShippingAddress } } }
    pageInfo { endCursor }
  }
}
"""

ALIASED = """
query($first: Int, $after: String, $site: ID) {
  page: organizations(first: $first, after: $after) {
    kind: __typename
    info: pageInfo { more: hasNextPage __typename last: endCursor }
    edges {
      __typename
      node {
        ...Names
        up: parentOrganization { ...Names derivedDescription inheritedFrom { derivedType }
                                 effectiveSiteProperties { orderPriceLimit } }
        chain: ancestorOrganizations { key: id derivedCustomerType }
        inheritedFrom { __typename derivedDescription type: derivedType }
        here: effectiveSiteProperties(site: $site) {
          __typename limit: orderPriceLimit approvalRequired
          contract { __typename repositoryId displayName description externalContractReference }
          inheritedFrom { __typename contract orderPriceLimit approvalRequired
                          delegateApprovalManagement useExternalApprovalWebhook }
        }
        us: effectiveSiteProperties(site: "siteUS") {
          delegateApprovalManagement useExternalApprovalWebhook
          inheritedFrom { delegateApprovalManagement useExternalApprovalWebhook }
        }
        ... @include(if: true) { derivedType }
        name @skip(if: true)
      }
      c: cursor
    }
  }
}
fragment Names on Organization { id name __typename }
"""

#: Ancestors asked for their own columns, values and links (the chain's rows read only what
#: an ancestor's selection asks: page_sql), on pages whose organizations are ancestors of
#: others.
ABOVE = """
query($first: Int, $after: String) {
  organizations(first: $first, after: $after) {
    edges { node {
      id active
      parentOrganization {
        repositoryId active type customerType version description dunsNumber paymentMethods
        dynamicProperties organizationLogo organizationLogoURL shippingMethods { id }
        uniqueId taxExemptionCode partyId externalOrganizationId vatReferenceNumber
        approvalRequired orderPriceLimit contract { displayName }
        siteOrganizationProperties { site { id } orderPriceLimit }
        derivedDescription
      }
      ancestorOrganizations {
        taxReferenceNumber useAllPaymentMethodsFromSite
        effectiveSiteProperties { approvalRequired }
      }
    } }
  }
}
"""

#: Selections SQL plans do not cover: answered by the compiled plan.
FALLBACKS = [
    ("{ organizations(first: 5) { edges { node { id billingAddresses { city } } } } }", None),
    (
        "{ organizations(first: 5, filter: {effective: {approvalRequired: true}})"
        " { edges { node { id } } } }",
        None,
    ),
    (
        "{ organizations(first: 5) { edges { node { id history(first: 2)"
        " { edges { cursor } } } } } }",
        None,
    ),
    (
        "{ organizations(first: 3) { edges { node { effectiveSiteProperties"
        " { site { id } } } } } }",
        None,
    ),
    ("{ organizations(first: 2) { edges { node { id } } } sites { id } }", None),
    ("{ organizations(first: 500) { edges { node { id } } } }", None),
    ('{ organizations(after: "not a cursor") { edges { node { id } } } }', None),
    (
        '{ organizations(first: 3) { edges { node { effectiveSiteProperties(site: "nope")'
        " { orderPriceLimit } } } } }",
        None,
    ),
]


def _parsed(body: bytes) -> Any:
    """The JSON with numbers as written (2500.0 is not 2500) and key order kept."""
    return json.loads(
        body,
        parse_float=lambda s: ("float", s),
        parse_int=lambda s: ("int", s),
        object_pairs_hook=list,
    )


@pytest.fixture
async def reference(settings: Settings, engine: AsyncEngine) -> AsyncIterator[Starlette]:
    """The same app without SQL plans: the compiled executor answers everything."""
    app = create_app(settings.model_copy(update={"graphql_sql_plans": False}), engine=engine)
    async with app.router.lifespan_context(app) as state:
        app.state.lifespan = state
        yield app


async def _answer(client: httpx.AsyncClient, query: str, variables: Any, **kw: Any) -> Any:
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    response = await client.post("/graphql", json=body, **kw)
    return response.status_code, _parsed(response.content)


async def _hierarchy(graphql: GraphQL) -> list[str]:
    """A chain of five under a new root and a sibling branch, with own values set at some
    levels and site values (contracts, flags, limits) at several levels on several sites."""
    root = await graphql.create_organization(
        "SQL root",
        description="root text",
        type="company",
        customerType="OEM",
        paymentMethods=["card"],
        useAllPaymentMethodsFromSite=False,
        contract=contract_input("Root contract", description="root terms"),
        approvalRequired=True,
        orderPriceLimit=2500,
        delegateApprovalManagement=False,
    )
    ids = [root]
    specs: list[dict[str, Any]] = [
        {"dunsNumber": "123456789", "paymentMethods": []},
        {"description": "mid text", "type": "division", "uniqueId": "u-2"},
        {},
        {"customerType": "Supplier", "useAllShippingMethodsFromSite": True},
        {"description": "leaf text", "vatReferenceNumber": "VAT5"},
    ]
    for level, spec in enumerate(specs, 1):
        ids.append(
            await graphql.create_organization(
                f"SQL level {level}", parentOrganizationId=ids[-1], **spec
            )
        )
    ids.append(await graphql.create_organization("SQL sibling", parentOrganizationId=ids[1]))
    update = """
    mutation($id: ID!, $input: [SiteOrganizationPropertiesInput!]!) {
      updateSiteOrganizationProperties(id: $id, input: $input) { userErrors { code message } }
    }"""
    writes: list[tuple[int, str, dict[str, Any]]] = [
        (1, "siteUS", {"orderPriceLimit": 1234.5678, "useExternalApprovalWebhook": True}),
        (2, "site1", {"contract": contract_input("Mid contract"), "approvalRequired": False}),
        (2, "siteUS", {"approvalRequired": False, "orderPriceLimit": 0}),
        (3, "site2", {"orderPriceLimit": 999999999999999.5, "delegateApprovalManagement": False}),
        (4, "siteUS", {"contract": contract_input("Deep contract", externalContractReference="X")}),
        (5, "site1", {"orderPriceLimit": 0.0001, "approvalRequired": False}),
        (6, "site2", {"orderPriceLimit": 100000000000000}),
    ]
    for index, site, properties in writes:
        data = await graphql.data(
            update, {"id": ids[index], "input": [{"site": site, "properties": properties}]}
        )
        assert data["updateSiteOrganizationProperties"]["userErrors"] == []
    return ids


def _cases(ids: list[str]) -> list[tuple[str, dict[str, Any] | None, dict[str, str]]]:
    before_root = scenarios.cursor(ids[0][:-1])  # a cursor just before the new organizations
    cases: list[tuple[str, dict[str, Any] | None, dict[str, str]]] = []
    for document in (scenarios.PAGE, SUBSET, ALIASED):
        for variables in (
            {"first": 1},
            {"first": 10},
            {"first": 100},
            {"first": 0},
            {"first": 3, "after": scenarios.cursor("100001")},
            {"first": 10, "after": before_root},
            {"first": 100, "after": scenarios.cursor(ids[3])},
            {"first": 5, "after": scenarios.cursor("~~~~")},  # past the last: an empty page
        ):
            cases.append((document, variables, {}))
            if document is ALIASED:
                cases.extend(
                    (document, {**variables, "site": site}, {}) for site in ("site1", "site2", None)
                )
                cases.append((document, variables, {"x-ccsite": "site2"}))
    above = ({"first": 10}, {"first": 10, "after": before_root}, {"first": 50})
    cases.extend((ABOVE, variables, {}) for variables in above)  # 100: more than the cost limit
    cases.append((scenarios.PAGE, {"first": 20, "after": before_root}, {"x-ccsite": "site1"}))
    cases.append(("{ organizations { edges { node { id derivedDescription } } } }", None, {}))
    return cases


async def test_sql_plans_answer_what_the_compiled_executor_answers(
    client_for: Callable[..., httpx.AsyncClient],
    app: Starlette,
    app_state: Mapping[str, Any],
    reference: Starlette,
    engine: AsyncEngine,
) -> None:
    compiled.clear_cache()
    mine = client_for(app, app_state, token="admin")
    theirs = client_for(reference, reference.state.lifespan, token="admin")
    async with mine, theirs:
        ids = await _hierarchy(GraphQL(mine))
        cases = _cases(ids)
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(args[2])

        for query, variables, headers in cases:
            statements.clear()
            event.listen(engine.sync_engine, "before_cursor_execute", count)
            try:
                answer = await _answer(mine, query, variables, headers=headers)
            finally:
                event.remove(engine.sync_engine, "before_cursor_execute", count)
            assert answer == await _answer(theirs, query, variables, headers=headers), (
                query,
                variables,
                headers,
            )
            # The SQL plan ran: one statement (two with totalCount).
            assert len(statements) == (2 if "totalCount" in query else 1), statements
            assert all(s.startswith(page_sql.MARK) for s in statements), statements
        assert len(cases) == 61
        # The built hierarchy shows up with its overrides (the comparison is not vacuous):
        # prices as Python writes them, contracts and sources from several levels.
        expected = {
            "site2": (b"999999999999999.5", b"100000000000000.0"),
            "siteUS": (b"Deep contract", b"1234.5678", b'"' + ids[4].encode() + b'"'),
            "site1": (b"Mid contract", b"0.0001"),
        }
        for site, written in expected.items():
            variables = {"first": 10, "after": scenarios.cursor(ids[0][:-1]), "site": site}
            body = {"query": ALIASED, "variables": variables}
            content = (await mine.post("/graphql", json=body)).content
            assert all(w in content for w in written), (site, content)


async def test_what_sql_plans_do_not_cover_is_answered_by_the_compiled_plan(
    client_for: Callable[..., httpx.AsyncClient],
    app: Starlette,
    app_state: Mapping[str, Any],
    reference: Starlette,
    identity_provider: Any,
) -> None:
    compiled.clear_cache()
    for token in ("admin", identity_provider.token("200001"), None):
        mine = client_for(app, app_state, token=token)
        theirs = client_for(reference, reference.state.lifespan, token=token)
        async with mine, theirs:
            for query, variables in [*FALLBACKS, (scenarios.PAGE, {"first": 5})]:
                if token is None and "sites" in query:
                    # Known, not the SQL plans': anonymous, a refused non-null root beside a
                    # root that reads makes the compiled executor answer 503 (the sibling's
                    # statement is cancelled), with or without SQL plans.
                    continue
                assert await _answer(mine, query, variables) == await _answer(
                    theirs, query, variables
                ), (query, token)
    # Only the bench's page and the filtered page had an SQL plan; the others were refused
    # when compiled, or (first: 500, a bad cursor, an unknown site, a filter on values in
    # effect, a shopper) fell back when run.
    plans = [p for p in compiled.cached_plans() if p is not None]
    with_sql = [p for p in plans if p.sql is not None]
    assert len(with_sql) == 5, [p.root[0].nodes[0].loc for p in with_sql]


async def test_without_a_default_site_effective_values_are_null_in_both(
    client_for: Callable[..., httpx.AsyncClient],
    app: Starlette,
    app_state: Mapping[str, Any],
    reference: Starlette,
    session: AsyncSession,
) -> None:
    await session.execute(text("UPDATE sites SET is_default = false"))
    await session.commit()
    compiled.clear_cache()
    mine = client_for(app, app_state, token="admin")
    theirs = client_for(reference, reference.state.lifespan, token="admin")
    async with mine, theirs:
        for variables in ({"first": 10}, {"first": 10, "site": "site1"}):
            answer = await _answer(mine, ALIASED, variables)
            assert answer == await _answer(theirs, ALIASED, variables)
        body = {"query": scenarios.PAGE, "variables": {"first": 3}}
        page = (await mine.post("/graphql", json=body)).json()["data"]["organizations"]
        assert [e["node"]["effectiveSiteProperties"] for e in page["edges"]] == [None] * 3
        assert await _answer(theirs, scenarios.PAGE, {"first": 3}) == await _answer(
            mine, scenarios.PAGE, {"first": 3}
        )
