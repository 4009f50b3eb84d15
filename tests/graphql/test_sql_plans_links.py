"""SQL plans answer ``organization(id)`` with its links as the resolvers do, in one
statement: addresses (all, the own and derived defaults and their types), roles, members,
shipping-method references, the logo URL, dynamic properties, own and derived contracts
with their catalog, price list group and terms, own values on a site and on every site
(siteOrganizationProperties), pages of children and descendants (filtered too, but on
values in effect; bench's depth15 document too); for admins, and for shoppers (their
inactive account without its withheld values, an ancestor of theirs answered null,
breadcrumbs above). Children and descendants are for admins only: a shopper asking for
them is answered by the compiled plan (FORBIDDEN). The reference is the same app without
SQL plans (tests/graphql/test_sql_plans.py)."""

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

from graphql_client import GraphQL, address_input, contract_input
from orgql.graphql.execution import executor as compiled
from orgql.graphql.execution import page_sql

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from scenarios import EVERYTHING, cursor

#: Every link a shopper may ask of their account (no children: admins only).
LINKS = """
query($id: ID!, $site: ID) {
  organization(id: $id) {
    __typename id repositoryId name active organizationLogo organizationLogoURL
    dynamicProperties paymentMethods
    shippingMethods { id __typename } derivedShippingMethods { id }
    parentOrganization { id name }
    ancestorOrganizations { id name }
    secondaryAddresses {
      __typename addressType
      address { __typename id repositoryId companyName firstName lastName address1 address2
                address3 city state postalCode country county phoneNumber externalAddressId }
    }
    billingAddress { repositoryId city } shippingAddress { repositoryId address1 }
    derivedBillingAddress { repositoryId city } derivedBillingAddressType
    derivedShippingAddress { repositoryId city } derivedShippingAddressType
    relativeRoles { __typename id repositoryId function }
    members { __typename id repositoryId firstName lastName email }
    contract(site: $site) { id repositoryId displayName }
    derivedContract(site: $site) {
      __typename id repositoryId displayName description startDate endDate creationDate
      externalContractReference
      catalog { __typename id repositoryId displayName }
      priceListGroup { id repositoryId displayName }
      terms { __typename repositoryId terms }
    }
    approvalRequired(site: $site) orderPriceLimit delegateApprovalManagement
    useExternalApprovalWebhook(site: $site)
    effectiveSiteProperties(site: $site) {
      approvalRequired orderPriceLimit
      contract { id repositoryId catalog { repositoryId } terms { terms } }
      inheritedFrom { contract approvalRequired orderPriceLimit }
    }
    inheritedFrom { derivedBillingAddress derivedShippingAddress derivedShippingMethods }
    siteOrganizationProperties {
      __typename
      site { __typename id repositoryId name productionURL enabled b2b isDefault }
      contract { id repositoryId displayName catalog { id displayName } terms { terms } }
      approvalRequired orderPriceLimit delegateApprovalManagement useExternalApprovalWebhook
      inheritedFrom { contract }
    }
    us: siteOrganizationProperties(site: "siteUS") { site { id } orderPriceLimit }
  }
}
"""

#: Children and descendants pages, and the links of an ancestor: for admins.
CHILDREN = """
query($id: ID!, $first: Int, $after: String, $filter: DescendantsFilter) {
  organization(id: $id) {
    id
    childOrganizations(first: $first, after: $after) {
      __typename totalCount
      pageInfo { hasNextPage endCursor }
      edges { __typename cursor node {
        id repositoryId name active dynamicProperties organizationLogoURL
        shippingMethods { id }
      } }
    }
    few: childOrganizations(first: 1) { edges { node { name } } }
    descendants(first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name active } }
    }
    filtered: descendants(first: $first, after: $after, filter: $filter) {
      totalCount edges { node { repositoryId name type } }
    }
    parentOrganization {
      name billingAddress { city } relativeRoles { function }
      derivedContract { displayName terms { terms } }
      secondaryAddresses { addressType }
    }
  }
}
"""


DESCENDANT_FILTERS: list[dict[str, Any]] = [
    {"nameContains": "sibling"},
    {"nameContains": "%"},
    {"maxDepth": 1},
    {"maxDepth": 2, "active": True},
    {"active": False},
    {"type": "division"},
    {"customerType": "Supplier", "maxDepth": 5},
]


async def _linked(graphql: GraphQL, parent: str) -> list[str]:
    """Under ``parent``: an organization with addresses (both defaults on one), shipping
    methods, a logo and dynamic values, a member and a contract with terms and dates; a
    child with an address of its own, the default shipping one; three more children; and a
    grandchild that sets nothing."""
    top = await graphql.create_organization(
        "Linked top",
        parentOrganizationId=parent,
        shippingMethods=["shippingMethodId1"],
        organizationLogo="/general/hero-image1.jpg",
        members=[SHOPPER],
        secondaryAddresses=[
            address_input("Headquarters", isDefaultBillingAddress=True),
            address_input("Warehouse", city="Worcester", isDefaultShippingAddress=True),
            address_input("Annex", city="Salem"),
        ],
        contract=contract_input(
            "Linked contract",
            description="with terms",
            terms="Pay in 30 days",
            startDate="2026-01-01T00:00:00Z",
            endDate="2027-06-30T12:30:00+00:00",
            externalContractReference="LINKED-1",
        ),
        approvalRequired=False,
        orderPriceLimit=1500,
    )
    middle = await graphql.create_organization(
        "Linked middle",
        parentOrganizationId=top,
        secondaryAddresses=[address_input("Branch", city="Lowell", isDefaultShippingAddress=True)],
        shippingMethods=[],
    )
    for number in range(3):
        await graphql.create_organization(f"Linked sibling {number}", parentOrganizationId=top)
    leaf = await graphql.create_organization("Linked leaf", parentOrganizationId=middle)
    return [top, middle, leaf]


async def test_organization_links_answer_what_the_resolvers_answer_in_one_statement(
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
        linked = await _linked(graphql, ids[5])
    await _memberships(session, ids)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    cases: list[tuple[str, str, dict[str, Any], dict[str, str]]] = []
    everyone = [*ids, *linked, "100001", "100002", "100003", "nope"]
    for organization_id in everyone:
        for site, headers in ((None, {}), ("site1", {}), (None, {"x-ccsite": "siteUS"})):
            cases.append(("any", LINKS, {"id": organization_id, "site": site}, headers))
        for first, after in ((None, None), (2, None), (2, cursor(linked[1])), (0, None)):
            variables = {"id": organization_id, "first": first, "after": after}
            cases.append(("admin", CHILDREN, variables, {}))
        for where in DESCENDANT_FILTERS:
            variables = {"id": organization_id, "first": 3, "filter": where}
            cases.append(("admin", CHILDREN, variables, {}))
        cases.append(("admin", EVERYTHING, {"id": organization_id}, {}))
    for token in ("admin", identity_provider.token(SHOPPER)):
        async with (
            client_for(app, app_state, token=token) as mine,
            client_for(reference, reference.state.lifespan, token=token) as theirs,
        ):
            for who, document, variables, headers in cases:
                if who == "admin" and token != "admin":
                    continue
                statements.clear()
                event.listen(engine.sync_engine, "before_cursor_execute", count)
                try:
                    answer = await _answer(mine, document, variables, headers=headers)
                finally:
                    event.remove(engine.sync_engine, "before_cursor_execute", count)
                expected = await _answer(theirs, document, variables, headers=headers)
                assert answer == expected, (document[:60], variables, headers, token[:10])
                assert len(statements) == 1, [s[:80] for s in statements]
                assert statements[0].startswith(page_sql.MARK)
    # Not vacuous: links from several levels, children paged, the shopper's inactive
    # account without its contract.
    async with client_for(app, app_state, token="admin") as admin:
        node = (await GraphQL(admin).data(LINKS, {"id": linked[2]}))["organization"]
        assert node["derivedBillingAddressType"] == "Headquarters"
        assert node["derivedShippingAddress"]["city"] == "Lowell"
        assert node["derivedContract"]["terms"]["terms"] == "Pay in 30 days"
        assert node["derivedContract"]["endDate"] == "2027-06-30T12:30:00+00:00"
        assert [r["function"] for r in node["relativeRoles"]] != []
        assert node["derivedShippingMethods"] == [{"id": "shippingMethodId1"}]
        top = (await GraphQL(admin).data(LINKS, {"id": linked[0]}))["organization"]
        [own] = top["siteOrganizationProperties"]
        assert (own["orderPriceLimit"], own["contract"]["terms"]) == (
            1500.0,
            {"terms": "Pay in 30 days"},
        )
        assert len(top["members"]) == 1
        assert [a["addressType"] for a in top["secondaryAddresses"]] == [
            "Headquarters",
            "Warehouse",
            "Annex",
        ]
        variables = {"id": linked[0], "first": 2}
        page = (await GraphQL(admin).data(CHILDREN, variables))["organization"]
        assert page["childOrganizations"]["totalCount"] == 4
        assert page["childOrganizations"]["pageInfo"]["hasNextPage"] is True
        assert page["descendants"]["totalCount"] == 5
        variables = {"id": linked[0], "filter": {"maxDepth": 1, "nameContains": "sibling"}}
        page = (await GraphQL(admin).data(CHILDREN, variables))["organization"]
        assert page["filtered"]["totalCount"] == 3
    async with client_for(app, app_state, token=identity_provider.token(SHOPPER)) as mine:
        body = {"query": LINKS, "variables": {"id": ids[4], "site": "siteUS"}}
        inactive = (await mine.post("/graphql", json=body)).json()["data"]["organization"]
        assert (inactive["active"], inactive["derivedContract"], inactive["contract"]) == (
            False,
            None,
            None,
        )


async def test_a_shopper_asking_for_children_is_answered_by_the_compiled_plan(
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
    token = identity_provider.token(SHOPPER)
    async with (
        client_for(app, app_state, token=token) as mine,
        client_for(reference, reference.state.lifespan, token=token) as theirs,
    ):
        for organization_id in (ids[2], ids[4], "100001"):
            variables = {"id": organization_id, "first": 2}
            answer = await _answer(mine, CHILDREN, variables)
            assert answer == await _answer(theirs, CHILDREN, variables)
        body = {"query": CHILDREN, "variables": {"id": "100001"}}
        errors = (await mine.post("/graphql", json=body)).json()["errors"]
        assert {e["extensions"]["code"] for e in errors} == {"FORBIDDEN"}


async def test_descendants_filters_the_plans_do_not_take_are_answered_by_the_compiled_plan(
    client_for: Callable[..., httpx.AsyncClient],
    app: Starlette,
    app_state: Mapping[str, Any],
    reference: Starlette,  # noqa: F811
) -> None:
    compiled.clear_cache()
    async with (
        client_for(app, app_state, token="admin") as mine,
        client_for(reference, reference.state.lifespan, token="admin") as theirs,
    ):
        for where in (
            {"maxDepth": 0},
            {"nameContains": "a\x00b"},
            {"effective": {"approvalRequired": False}},
            {"effective": {"site": "nope", "hasContract": True}},
        ):
            variables = {"id": "100001", "filter": where}
            answer = await _answer(mine, CHILDREN, variables)
            assert answer == await _answer(theirs, CHILDREN, variables), where


#: A page whose organizations (and their parents) are asked for their links.
PAGE_LINKS = """
query($first: Int, $after: String) {
  organizations(first: $first, after: $after) {
    edges { node {
      repositoryId name organizationLogoURL shippingMethods { id }
      secondaryAddresses { addressType address { city } }
      derivedBillingAddress { city } derivedShippingAddressType
      relativeRoles { function } members { email }
      derivedContract { displayName catalog { repositoryId } }
      siteOrganizationProperties { site { repositoryId } approvalRequired }
      parentOrganization { name }
    } }
  }
}
"""

PAGE_CHILDREN = """
query($first: Int, $after: String) {
  organizations(first: $first, after: $after) {
    edges { node {
      repositoryId
      childOrganizations(first: 2) { totalCount edges { node { name } } }
      descendants(first: 3, filter: {maxDepth: 2}) { totalCount edges { node { name } } }
      parentOrganization { name members { repositoryId } billingAddress { city } }
    } }
  }
}
"""


async def test_pages_of_organizations_with_links_answer_what_the_resolvers_answer(
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
        linked = await _linked(graphql, ids[5])
    await _memberships(session, [*ids, linked[0], linked[1]])
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    pages: list[dict[str, Any]] = [
        {"first": 100},
        {"first": 4, "after": cursor(ids[0][:-1])},
        {"first": 3, "after": cursor(linked[0])},
    ]
    for token, documents in (
        ("admin", (PAGE_LINKS, PAGE_CHILDREN)),
        (identity_provider.token(SHOPPER), (PAGE_LINKS,)),
    ):
        async with (
            client_for(app, app_state, token=token) as mine,
            client_for(reference, reference.state.lifespan, token=token) as theirs,
        ):
            for document in documents:
                for variables in pages:
                    statements.clear()
                    event.listen(engine.sync_engine, "before_cursor_execute", count)
                    try:
                        answer = await _answer(mine, document, variables)
                    finally:
                        event.remove(engine.sync_engine, "before_cursor_execute", count)
                    expected = await _answer(theirs, document, variables)
                    assert answer == expected, (document[:50], variables, token[:10])
                    assert len(statements) == 1, [s[:80] for s in statements]
                    assert statements[0].startswith(page_sql.MARK)
