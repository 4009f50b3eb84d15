"""The benchmark's read scenarios (bench/scenarios.py) cost a constant number of SQL
statements: the same for a page of 10 and a page of 100, and for one organization at depth 2
and at depth 15 (DESIGN.md: ancestors come from the stored path, one batch for a page)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from graphql_client import GraphQL
from orgql.core.organizations import service as organizations
from orgql.core.organizations.input import parse_new_organization

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import scenarios
from scenarios import CREATE, UPDATE_SITE

# bench/scenarios.py's page document: ancestors, parent, five derived fields, effective site
# values with their contract and sources.
PAGE = """
query Page($first: Int!) {
  organizations(first: $first) {
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        id name
        parentOrganization { id name }
        ancestorOrganizations { id name }
        derivedDescription derivedType derivedCustomerType derivedDunsNumber
        derivedTaxReferenceNumber
        effectiveSiteProperties {
          approvalRequired orderPriceLimit delegateApprovalManagement useExternalApprovalWebhook
          contract { repositoryId displayName }
          inheritedFrom { contract approvalRequired orderPriceLimit }
        }
      }
    }
  }
}
"""

# bench/scenarios.py's "one organization with everything", less the financial fields.
EVERYTHING = """
query One($id: ID!) {
  organization(id: $id) {
    id name description type customerType dunsNumber organizationLogoURL paymentMethods
    shippingMethods { id }
    parentOrganization { id name }
    ancestorOrganizations { id name }
    childOrganizations(first: 10) { totalCount edges { node { id name } } }
    secondaryAddresses { addressType address { repositoryId city } }
    billingAddress { repositoryId city }
    shippingAddress { repositoryId city }
    relativeRoles { repositoryId function }
    members { id email }
    derivedDescription derivedType derivedCustomerType derivedDunsNumber
    derivedTaxReferenceNumber derivedVatReferenceNumber derivedTaxExemptionCode
    derivedUniqueId derivedOrganizationLogo derivedPaymentMethods
    derivedShippingMethods { id }
    derivedUseAllPaymentMethodsFromSite derivedUseAllShippingMethodsFromSite
    derivedBillingAddress { repositoryId city } derivedBillingAddressType
    derivedShippingAddress { repositoryId city } derivedShippingAddressType
    contract { repositoryId }
    derivedContract { repositoryId displayName catalog { repositoryId } terms { terms } }
    approvalRequired orderPriceLimit
    siteOrganizationProperties { site { id } approvalRequired }
    effectiveSiteProperties {
      approvalRequired contract { repositoryId } inheritedFrom { contract approvalRequired }
    }
  }
}
"""

CHAIN = 12  # below "Sample East Purchasing" (depth 3): the last one is at depth 15
SIBLINGS = 90  # children of "Sample East", so that a page of 100 is full


class StatementCounter(Protocol):
    @property
    def count(self) -> int: ...

    def reset(self) -> None: ...


@pytest.fixture
async def depth_15(session: AsyncSession) -> str:
    """The id of an organization at depth 15, levels setting various inherited values; and
    SIBLINGS more organizations at depth 3."""
    parent = "100003"
    for level in range(4, 4 + CHAIN):
        document: dict[str, Any] = {"name": f"Deep {level}", "parentOrganization": {"id": parent}}
        if level % 3 == 0:
            document["vatReferenceNumber"] = f"VAT-{level}"
        if level % 4 == 0:
            document["approvalRequired"] = level % 8 == 0
        parent = (await organizations.create(session, parse_new_organization(document))).id
    for number in range(SIBLINGS):
        document = {"name": f"Sibling {number}", "parentOrganization": {"id": "100002"}}
        await organizations.create(session, parse_new_organization(document))
    await session.commit()
    return parent


async def _statements(
    graphql: GraphQL, counter: StatementCounter, query: str, variables: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    counter.reset()
    data = await graphql.data(query, variables)
    return counter.count, data


async def test_a_page_of_100_costs_the_statements_of_a_page_of_10(
    graphql: GraphQL, statement_counter: StatementCounter, depth_15: str
) -> None:
    ten, ten_data = await _statements(graphql, statement_counter, PAGE, {"first": 10})
    hundred, hundred_data = await _statements(graphql, statement_counter, PAGE, {"first": 100})

    assert len(ten_data["organizations"]["edges"]) == 10
    assert len(hundred_data["organizations"]["edges"]) == 100
    depths = {
        len(e["node"]["ancestorOrganizations"]) for e in hundred_data["organizations"]["edges"]
    }
    assert max(depths) == 14
    assert hundred == ten
    # One: the SQL plan reads the page, its ancestors and the site values of them all with
    # their contracts in one statement (graphql.execution.page_sql); without it (shoppers,
    # ORGQL_GRAPHQL_SQL_PLANS=false) three: the page with its ancestors, the default site,
    # the site values with their contracts.
    assert hundred == 1


async def test_one_organization_at_depth_15_costs_the_statements_of_one_at_depth_2(
    graphql: GraphQL, statement_counter: StatementCounter, depth_15: str
) -> None:
    shallow, shallow_data = await _statements(
        graphql, statement_counter, EVERYTHING, {"id": "100002"}
    )
    deep, deep_data = await _statements(graphql, statement_counter, EVERYTHING, {"id": depth_15})

    assert len(shallow_data["organization"]["ancestorOrganizations"]) == 1
    assert len(deep_data["organization"]["ancestorOrganizations"]) == 14
    assert deep_data["organization"]["derivedVatReferenceNumber"] == "VAT-15"
    assert deep == shallow
    # One: the SQL plan reads the organization, its chain, its links (addresses, roles,
    # members, children and their count, own site rows with their contracts) as JSON
    # columns of its row, and the site rows of the chain with their contracts
    # (graphql.execution.page_links, page_sites); the compiled plan took 12.
    assert deep == 1


async def test_bench_depth15_costs_one_statement(
    graphql: GraphQL, statement_counter: StatementCounter, depth_15: str
) -> None:
    """bench's own depth15 document (every field, the financial ones too): one statement."""
    count, data = await _statements(
        graphql, statement_counter, scenarios.EVERYTHING, {"id": depth_15}
    )
    assert len(data["organization"]["ancestorOrganizations"]) == 14
    assert len(data["organization"]["relativeRoles"]) == 5
    assert count == 1


async def test_a_shoppers_page_of_100_costs_one_statement(
    shopper_client: Callable[[str], httpx.AsyncClient],
    statement_counter: StatementCounter,
    depth_15: str,
    session: AsyncSession,
) -> None:
    """bench's shopperPage: a shopper member of the 100 organizations of a page (and of
    the deepest), who sees the admin's page: narrowed inside the SQL plan's one statement."""
    await session.execute(
        text(
            "INSERT INTO organization_members (organization_id, profile_id)"
            " SELECT id, '110000' FROM organizations WHERE id <> '100001' ORDER BY id LIMIT 100"
        )
    )
    await session.commit()
    async with shopper_client("110000") as client:
        statement_counter.reset()
        response = await client.post("/graphql", json={"query": PAGE, "variables": {"first": 100}})
        count = statement_counter.count
    page = response.json()["data"]["organizations"]
    assert len(page["edges"]) == 100
    assert max(len(e["node"]["ancestorOrganizations"]) for e in page["edges"]) == 14
    assert count == 1


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/ccadmin/v1/organizations/{deep}", 1), ("/ccadmin/v1/organizations?limit=100", 1)],
)
async def test_the_rest_reads_cost_a_constant_number_of_statements(
    client: httpx.AsyncClient,
    statement_counter: StatementCounter,
    depth_15: str,
    path: str,
    expected: int,
) -> None:
    """bench's restGet and restList: one statement each, the page with its ancestors, site
    values, contracts, addresses, roles and members (core.organizations.snapshots; they cost 9
    and 8 before)."""
    statement_counter.reset()
    response = await client.get(path.format(deep=depth_15))
    assert response.status_code == 200
    assert statement_counter.count == expected


@pytest.mark.read_vendor_ids
async def test_bench_create_costs_five_statements(
    graphql: GraphQL, statement_counter: StatementCounter
) -> None:
    """bench's create under a depth-3 organization: the first read (the writer's name for
    history, the move lock, the default site, the ids), the parent locked with its
    ancestors, the organization, its roles, the event. The name's uniqueness is the unique
    index's; the payload's chain is the parent's read (issue 16: at most 6)."""
    document = CREATE.replace('"b0050000"', '"100003"')
    statement_counter.reset()
    data = await graphql.data(document, {"name": "Counted"})
    payload = data["createOrganization"]
    assert payload["userErrors"] == []
    assert [a["id"] for a in payload["organization"]["ancestorOrganizations"]] == [
        "100001",
        "100002",
        "100003",
    ]
    assert payload["organization"]["derivedCustomerType"] == "Enterprise"
    assert statement_counter.count == 5, statement_counter.statements


async def test_bench_update_site_costs_five_statements(
    graphql: GraphQL, statement_counter: StatementCounter
) -> None:
    """bench's updateSite with no webhook subscriber: the organization locked (with the
    writer's name and whether effective-value events are wanted), the sites with the own
    values and the approver count, the write, the version, the event (issue 16: at most 5)."""
    document = UPDATE_SITE.replace('"b0050000"', '"100003"').replace('"site1"', '"siteUS"')
    statement_counter.reset()
    data = await graphql.data(document, {})
    assert data["updateSiteOrganizationProperties"]["userErrors"] == []
    assert statement_counter.count == 5, statement_counter.statements
