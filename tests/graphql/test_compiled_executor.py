"""The compiled executor (ORGQL_GRAPHQL_COMPILED_EXECUTOR, on by default) answers exactly what
graphql-core's executor answers: the same bytes, data and errors, for the bench scenarios, the
README's queries, fragments, variables, @skip/@include, aliases, nulls, errors, permission
refusals, shopper tokens, point-in-time reads (asOf), history, descendants and versions. Two
apps on one database, one with it off, asked the same."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.applications import Starlette

from graphql_client import GraphQL, address_input, contract_input, gid
from orgql.app import create_app
from orgql.graphql.execution import executor as compiled
from orgql.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import scenarios

FRAGMENTS = """
query WithFragments($id: ID!) {
  organization(id: $id) {
    ...Names
    ... on Organization { derivedCustomerType kind: __typename }
    parentOrganization { ...Names }
    childOrganizations(first: 2) { totalCount edges { cursor node { ...Names } } }
  }
}
fragment Names on Organization { id name repositoryId __typename }
"""

DIRECTIVES = """
query Directives($id: ID!, $withParent: Boolean!, $withoutSites: Boolean!) {
  organization(id: $id) {
    id
    parentOrganization @include(if: $withParent) { id }
    ... @skip(if: $withoutSites) {
      siteOrganizationProperties { site { id } approvalRequired orderPriceLimit }
    }
    name @skip(if: true)
    description @include(if: false)
  }
}
"""

ALIASES = """
{
  first: organization(id: "100002") {
    key: id
    one: effectiveSiteProperties(site: "site1") { approvalRequired contract { displayName } }
    two: effectiveSiteProperties(site: "site2") { approvalRequired contract { displayName } }
    same: approvalRequired(site: "site1")
    other: approvalRequired(site: "site2")
  }
  second: organization(id: "100001") { key: id name }
  missing: organization(id: "no-such-organization") { id }
}
"""

MERGED = """
query Merged($id: ID!, $withNames: Boolean!) {
  organization(id: $id) {
    a: parentOrganization { id }
    a: parentOrganization { name ...Flags @include(if: $withNames) }
    ...Flags @include(if: $withNames)
  }
}
fragment Flags on Organization { active derivedType }
"""

# An error on every organization of a page, in a nullable field resolved asynchronously:
# the errors' order follows the order in which gathered resolvers fail.
ERRORS_IN_A_LIST = """
{ organizations(first: 50) { edges { node { id
    effectiveSiteProperties(site: "no-such-site") { approvalRequired }
    approvalRequired(site: "no-such-site") } } } }
"""

README_QUERIES = [
    """{ organizations(first: 20) { edges { node { id name derivedCustomerType } }
         pageInfo { hasNextPage endCursor } totalCount } }""",
    """query { organizationRequests(status: REVIEW, first: 20) {
         edges { cursor node { id name organizationDraft { name } profileDraft { email } } }
         pageInfo { hasNextPage endCursor } totalCount } }""",
    '{ organizationRequest(id: "no-such-request") { id } }',
    "{ sites { id name } }",
    """{ organization(id: "100001") { customerAccounts { accountNumber
         addresses { billTo primaryBillTo address { city } } } billingAddresses { city } } }""",
]

ERRORS = [
    "{ organizations(first: 500) { edges { node { id } } } }",  # INVALID_INPUT, a null root
    '{ organizations(after: "not a cursor") { edges { node { id } } } }',
    '{ organization(id: "100002") { effectiveSiteProperties(site: "nope") { orderPriceLimit } } }',
    '{ organization(id: "100002") { approvalRequired(site: "no") orderPriceLimit(site: "no") } }',
    "{ organization { id } }",  # validation: a missing argument
    "{ organization(id: 1) { nosuch } }",  # validation: an unknown field
    "query Q($id: ID!) { organization(id: $id) { id } }",  # a missing variable
    "{ __schema { queryType { name } } }",  # introspection: graphql-core's executor
    '{ __typename organization(id: "100002") { __typename id } }',
]

# Issue 9's fields: an organization and its ancestors as they were (own, derived and site
# values, addresses, members, history up to the instant), versions, descendants.
POINT_IN_TIME = """
query AsOf($id: ID!, $asOf: DateTime) {
  organization(id: $id, asOf: $asOf) {
    id name version description derivedDescription derivedCustomerType derivedPaymentMethods
    parentOrganization { id name version derivedDescription contract { displayName } }
    ancestorOrganizations { id name version description derivedDescription }
    contract(site: "siteUS") { displayName }
    derivedContract(site: "siteUS") { displayName }
    approvalRequired(site: "siteUS") orderPriceLimit(site: "siteUS")
    effectiveSiteProperties(site: "siteUS") {
      approvalRequired orderPriceLimit contract { displayName }
      inheritedFrom { contract approvalRequired orderPriceLimit }
    }
    siteOrganizationProperties { site { id } orderPriceLimit contract { displayName } }
    billingAddress { city } derivedBillingAddress { city } derivedBillingAddressType
    secondaryAddresses { addressType address { city } }
    members { id }
    history(first: 5) {
      edges { cursor node { changedAt actor operation entityKind entityId transactionId
                            changes { field before after } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

# Refused in a point-in-time read (no history): the same error from both executors.
NOT_HISTORICAL = """
query($id: ID!, $asOf: DateTime) {
  organization(id: $id, asOf: $asOf) {
    name
    descendants(first: 2) { edges { node { id } } }
    childOrganizations(first: 2) { edges { node { id } } }
  }
}
"""

# The same ancestors live and at an instant in one request: objects built once per instant.
MIXED = """
query Mixed($id: ID!, $asOf: DateTime) {
  now: organization(id: $id) {
    parentOrganization { description derivedDescription version }
    ancestorOrganizations { description }
  }
  then: organization(id: $id, asOf: $asOf) {
    parentOrganization { description derivedDescription version }
    ancestorOrganizations { description }
  }
}
"""

DESCENDANTS = """
query Descendants($id: ID!, $filter: DescendantsFilter) {
  organization(id: $id) {
    id version
    descendants(first: 5, filter: $filter) {
      totalCount
      edges { cursor node { id name version derivedDescription ancestorOrganizations { id }
                            effectiveSiteProperties(site: "siteUS") { orderPriceLimit } } }
      pageInfo { hasNextPage endCursor }
    }
  }
  organizations(first: 3) {
    edges { node { id version descendants(first: 2) { totalCount edges { node { id } } } } }
  }
}
"""

UPDATE_SITE = """
mutation($id: ID!, $input: [SiteOrganizationPropertiesInput!]!) {
  updateSiteOrganizationProperties(id: $id, input: $input) { userErrors { code } }
}
"""

UPDATE = """
mutation($id: ID!, $input: UpdateOrganizationInput!) {
  updateOrganization(id: $id, input: $input) { userErrors { code } }
}
"""

Case = tuple[str, dict[str, Any] | None, str | None]

ADMIN_CASES: list[Case] = [
    (scenarios.PAGE, {"first": 100}, None),
    (scenarios.PAGE, {"first": 2, "after": scenarios.cursor("100001")}, None),
    (scenarios.EVERYTHING, {"id": "100002"}, None),
    (scenarios.EVERYTHING, {"id": "100001"}, None),
    (scenarios.TYPENAME, None, None),
    (FRAGMENTS, {"id": "100002"}, None),
    (FRAGMENTS, {"id": "100001"}, None),
    *(
        (DIRECTIVES, {"id": "100002", "withParent": parent, "withoutSites": sites}, None)
        for parent in (True, False)
        for sites in (True, False)
    ),
    (ALIASES, None, None),
    *((MERGED, {"id": "100002", "withNames": names}, None) for names in (True, False)),
    (ERRORS_IN_A_LIST, None, None),
    (FRAGMENTS + "query Other { sites { id } }", {"id": "100002"}, "WithFragments"),
    (FRAGMENTS + "query Other { sites { id } }", None, "Other"),
    *((query, None, None) for query in README_QUERIES),
    *((query, None, None) for query in ERRORS),
]

# What a shopper (member of 100001) and an anonymous caller may and may not read.
REFUSALS: list[Case] = [
    # Navigating down is for admins: a non-null connection refused.
    (
        '{ organization(id: "100001") { id childOrganizations { edges { node { id } } } } }',
        None,
        None,
    ),
    (scenarios.PAGE, {"first": 10}, None),  # a shopper's breadcrumbs; anonymous: refused
    ('{ organization(id: "100001") { id name parentOrganization { id } } }', None, None),
    (
        """{ organization(id: "100001") { id derivedCustomerType derivedPaymentMethods
             effectiveSiteProperties { approvalRequired contract { displayName } } } }""",
        None,
        None,
    ),
    ('{ organization(id: "100002") { id name } }', None, None),
    ("{ organizations(first: 5) { edges { node { id name } } } }", None, None),
    (scenarios.TYPENAME, None, None),
]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """SQL plans off: the compiled executor itself is compared here (SQL plans are compared
    with it in test_sql_plans.py)."""
    return settings.model_copy(update={"graphql_sql_plans": False})


@pytest.fixture
async def reference(settings: Settings, engine: AsyncEngine) -> AsyncIterator[Starlette]:
    """The same app with the compiled executor off: graphql-core executes everything."""
    app = create_app(
        settings.model_copy(update={"graphql_compiled_executor": False}), engine=engine
    )
    async with app.router.lifespan_context(app) as state:
        app.state.lifespan = state
        yield app


async def _post(client: httpx.AsyncClient, case: Case) -> httpx.Response:
    query, variables, operation = case
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    if operation is not None:
        body["operationName"] = operation
    return await client.post("/graphql", json=body)


async def _same_answers(
    compiled_client: httpx.AsyncClient, reference_client: httpx.AsyncClient, cases: list[Case]
) -> None:
    for case in cases:
        mine = await _post(compiled_client, case)
        theirs = await _post(reference_client, case)
        assert (mine.status_code, mine.content) == (theirs.status_code, theirs.content), case


def _clients(
    client_for: Callable[..., httpx.AsyncClient],
    app: Starlette,
    app_state: Mapping[str, Any],
    reference: Starlette,
    token: str | None,
) -> tuple[httpx.AsyncClient, httpx.AsyncClient]:
    return (
        client_for(app, app_state, token=token),
        client_for(reference, reference.state.lifespan, token=token),
    )


async def test_admin_queries_are_answered_identically(
    client_for: Callable[..., httpx.AsyncClient],
    app: Starlette,
    app_state: Mapping[str, Any],
    reference: Starlette,
) -> None:
    compiled.clear_cache()
    mine, theirs = _clients(client_for, app, app_state, reference, "admin")
    async with mine, theirs:
        await _same_answers(mine, theirs, ADMIN_CASES)
        page = (await _post(mine, ADMIN_CASES[0])).json()
    assert len(page["data"]["organizations"]["edges"]) > 2
    # The plans were used: every query above but introspection compiled.
    plans = compiled.cached_plans()
    assert sum(plan is not None for plan in plans) >= 15
    assert sum(plan is None for plan in plans) == 1  # __schema


async def _now(session: AsyncSession) -> str:
    """The database's clock (the one history dates changes by), outside any write."""
    instant = await session.scalar(text("SELECT clock_timestamp()"))
    await session.commit()
    return str(instant.isoformat())


async def test_point_in_time_history_and_descendants_are_answered_identically(
    client_for: Callable[..., httpx.AsyncClient],
    app: Starlette,
    app_state: Mapping[str, Any],
    reference: Starlette,
    graphql: GraphQL,
    session: AsyncSession,
) -> None:
    # A parent with a contract, a description and a billing address, a child and a
    # grandchild of their own; then the parent's contract, limit and description changed.
    before = await _now(session)
    parent = await graphql.create_organization(
        "Differential Regional",
        parentOrganizationId="100001",
        description="regional",
        contract=contract_input("Contract A"),
        secondaryAddresses=[address_input("Office", city="Chicago", isDefaultBillingAddress=True)],
    )
    child = await graphql.create_organization("Differential Branch", parentOrganizationId=parent)
    grandchild = await graphql.create_organization("Differential Desk", parentOrganizationId=child)
    created = await _now(session)
    site = {"site": "siteUS", "properties": {"contract": contract_input("Contract B")}}
    site["properties"]["orderPriceLimit"] = 500
    changes = await graphql.data(UPDATE_SITE, {"id": parent, "input": [site]})
    assert changes["updateSiteOrganizationProperties"]["userErrors"] == []
    updated = await graphql.data(UPDATE, {"id": parent, "input": {"description": "changed"}})
    assert updated["updateOrganization"]["userErrors"] == []
    changed = await _now(session)

    cases: list[Case] = [
        *(
            (POINT_IN_TIME, {"id": organization, "asOf": instant}, None)
            for organization in (parent, child, grandchild, "100001")
            for instant in (before, created, changed, None)
        ),
        *((NOT_HISTORICAL, {"id": parent, "asOf": instant}, None) for instant in (created, None)),
        (DESCENDANTS, {"id": "100001"}, None),
        (MIXED, {"id": grandchild, "asOf": created}, None),
        (DESCENDANTS, {"id": parent, "filter": {"maxDepth": 1}}, None),
        (DESCENDANTS, {"id": "100001", "filter": {"nameContains": "Differential"}}, None),
        (
            DESCENDANTS,
            {"id": "100001", "filter": {"effective": {"site": "siteUS", "hasContract": True}}},
            None,
        ),
    ]
    compiled.clear_cache()
    mine, theirs = _clients(client_for, app, app_state, reference, "admin")
    async with mine, theirs:
        await _same_answers(mine, theirs, cases)
        then = (await _post(mine, cases[1 + 4 * 1])).json()["data"]["organization"]
        now = (await _post(mine, cases[2 + 4 * 1])).json()["data"]["organization"]
        gone = (await _post(mine, cases[0 + 4 * 1])).json()["data"]["organization"]
        refused = (await _post(mine, cases[16])).json()
        below = (await _post(mine, cases[20])).json()["data"]["organization"]["descendants"]
        mixed = (await _post(mine, cases[19])).json()["data"]
    # The cases read what they are meant to (a child: inherited values of each instant).
    assert gone is None
    assert then["derivedContract"] == {"displayName": "Contract A"}
    assert then["derivedDescription"] == "regional"
    assert then["parentOrganization"]["derivedDescription"] == "regional"
    assert now["derivedContract"] == {"displayName": "Contract B"}
    assert now["effectiveSiteProperties"]["orderPriceLimit"] == 500.0
    assert now["derivedDescription"] == "changed"
    assert now["parentOrganization"]["version"] > then["parentOrganization"]["version"]
    assert {e["node"]["entityKind"] for e in now["history"]["edges"]} == {"ORGANIZATION"}
    assert refused["errors"][0]["extensions"]["code"] == "100002"
    assert mixed["now"]["ancestorOrganizations"][-2] == {"description": "changed"}
    assert mixed["then"]["ancestorOrganizations"][-2] == {"description": "regional"}
    assert mixed["then"]["parentOrganization"]["derivedDescription"] == "regional"
    assert [e["node"]["id"] for e in below["edges"]] == [gid(child)]  # maxDepth 1
    # Every one compiled: point-in-time reads take the compiled path too.
    plans = compiled.cached_plans()
    assert len(plans) == 4  # POINT_IN_TIME, NOT_HISTORICAL, MIXED, DESCENDANTS
    assert all(plan is not None for plan in plans)


async def test_shopper_and_anonymous_refusals_are_answered_identically(
    client_for: Callable[..., httpx.AsyncClient],
    app: Starlette,
    app_state: Mapping[str, Any],
    reference: Starlette,
    identity_provider: Any,
) -> None:
    for token in (identity_provider.token("110000"), None):
        mine, theirs = _clients(client_for, app, app_state, reference, token)
        async with mine, theirs:
            await _same_answers(mine, theirs, REFUSALS)
    async with client_for(app, app_state, token=identity_provider.token("110000")) as shopper:
        body = (await _post(shopper, REFUSALS[0])).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_setting_turns_it_off(settings: Settings) -> None:
    from orgql.graphql.asgi import graphql_app

    on = graphql_app(settings).schema
    off = graphql_app(settings.model_copy(update={"graphql_compiled_executor": False})).schema
    # Each a subclass holding the limits' answer budget (graphql.answer_budget.with_limit).
    assert issubclass(on.execution_context_class, compiled.CompiledExecutor)  # type: ignore[attr-defined]
    assert not issubclass(off.execution_context_class, compiled.CompiledExecutor)  # type: ignore[attr-defined]
