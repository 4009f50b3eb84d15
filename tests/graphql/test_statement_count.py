"""A page of organizations costs a constant number of SQL statements, whatever its size
(DESIGN.md, "GraphQL": expensive fields resolve through per-request DataLoaders)."""

from __future__ import annotations

from typing import Any, Protocol

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from graphql_client import GraphQL, gid
from orgql.core.organizations import service as organizations
from orgql.core.organizations.input import parse_new_organization
from orgql.settings import Settings

TREES = 21
DEPTH = 5  # below "Sample East Purchasing", itself at depth 3: organizations at depths 4 to 8
ROOT_TREE = 1  # this tree starts at the top: roots and shallow organizations on the page too


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The counted page of 100 costs 27,801: its three plain lists (ancestors, addresses,
    members) are each counted at their bound (README "Limits"), over the default limit.
    This test counts statements, so it allows that cost."""
    return settings.model_copy(update={"graphql_max_cost": 30_000})


PAGE = """
query Page($first: Int!) {
  organizations(first: $first, filter: {nameContains: "Bulk"}) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        id
        name
        ancestorOrganizations { id name }
        parentOrganization { id name }
        secondaryAddresses { addressType address { repositoryId city } }
        billingAddress { repositoryId }
        shippingAddress { repositoryId }
        relativeRoles { repositoryId function }
        members { id email }
        contract { repositoryId }
        derivedContract { repositoryId displayName catalog { repositoryId } terms { terms } }
        derivedDescription
        derivedType
        derivedCustomerType
        derivedDunsNumber
        derivedTaxReferenceNumber
        derivedVatReferenceNumber
        derivedTaxExemptionCode
        derivedUniqueId
        derivedOrganizationLogo
        derivedPaymentMethods
        derivedShippingMethods { id }
        derivedUseAllPaymentMethodsFromSite
        derivedUseAllShippingMethodsFromSite
        derivedBillingAddress { repositoryId city }
        derivedBillingAddressType
        derivedShippingAddress { repositoryId city }
        derivedShippingAddressType
        approvalRequired
        orderPriceLimit
      }
    }
  }
}
"""


class StatementCounter(Protocol):
    @property
    def count(self) -> int: ...

    def reset(self) -> None: ...


def _address(address_type: str, **flags: bool) -> dict[str, Any]:
    return {
        "addressType": address_type,
        "address": {
            "companyName": "Bulk Inc.",
            "address1": "1 Bulk Street",
            "city": "Boston",
            "state": "MA",
            "postalCode": "02110",
            "country": "US",
            "phoneNumber": "617-555-0100",
            **flags,
        },
    }


def _document(tree: int, level: int, parent_id: str | None) -> dict[str, Any]:
    """Levels differ in what they set, so that every derived field has work to do."""
    document: dict[str, Any] = {"name": f"Bulk {tree:02d}-{level}"}
    if parent_id is not None:
        document["parentOrganization"] = {"id": parent_id}
    if level == 1:
        document["description"] = f"Bulk tree {tree}"
        if tree % 2 == 0:
            # Odd trees inherit addresses and the contract from "Sample" (off the page).
            document["members"] = ["110000"]
            document["secondaryAddresses"] = [
                _address("Office", isDefaultBillingAddress=True, isDefaultShippingAddress=True)
            ]
            document["contract"] = {
                "displayName": f"Bulk contract {tree}",
                "catalogId": "cloudCatalog",
                "priceListGroupId": "defaultPriceGroup",
                "contract_terms": {"terms": "Net 30"},
            }
    if level == 2:
        document |= {"paymentMethods": ["cash"], "useAllPaymentMethodsFromSite": True}
    if level == 3:
        document |= {
            "vatReferenceNumber": f"VAT-{tree}",
            "secondaryAddresses": [_address("Dock", isDefaultShippingAddress=True)],
            "approvalRequired": False,
            "orderPriceLimit": 1000,
        }
    if level == 5:
        document |= {"useAllPaymentMethodsFromSite": False, "uniqueId": f"leaf-{tree}"}
    return document


@pytest.fixture
async def bulk_organizations(session: AsyncSession) -> list[str]:
    """TREES chains of DEPTH organizations, committed: tree 1 on its own, the others under
    "Sample East Purchasing"."""
    created: list[str] = []
    for tree in range(TREES):
        parent_id: str | None = None if tree == ROOT_TREE else "100003"
        for level in range(1, DEPTH + 1):
            new = parse_new_organization(_document(tree, level, parent_id))
            row = await organizations.create(session, new)
            created.append(row.id)
            parent_id = row.id
    await session.commit()
    return created


async def _count(
    graphql: GraphQL, counter: StatementCounter, first: int
) -> tuple[int, dict[str, Any]]:
    counter.reset()
    data = await graphql.data(PAGE, {"first": first})
    return counter.count, data


async def test_a_page_of_100_costs_the_statements_of_a_page_of_1(
    graphql: GraphQL,
    statement_counter: StatementCounter,
    bulk_organizations: list[str],
) -> None:
    one, one_data = await _count(graphql, statement_counter, 1)
    hundred, hundred_data = await _count(graphql, statement_counter, 100)

    print(f"\nSQL statements: page of 1 = {one}, page of 100 = {hundred}")
    assert len(one_data["organizations"]["edges"]) == 1
    assert len(hundred_data["organizations"]["edges"]) == 100
    assert hundred == one


async def test_the_counted_page_resolves_every_field(
    graphql: GraphQL, bulk_organizations: list[str]
) -> None:
    # The statement count means something only if the page really resolves the fields:
    # the deepest organization of the first tree, seen through the counted document.
    data = await graphql.data(PAGE, {"first": DEPTH})

    leaf = data["organizations"]["edges"][DEPTH - 1]["node"]
    tree = bulk_organizations[:DEPTH]
    assert leaf["id"] == gid(tree[-1])
    assert [a["id"] for a in leaf["ancestorOrganizations"]] == [
        gid(i) for i in ("100001", "100002", "100003", *tree[:-1])
    ]
    assert leaf["parentOrganization"] == {"id": gid(tree[-2]), "name": "Bulk 00-4"}
    assert [r["function"] for r in leaf["relativeRoles"]] == [
        "admin",
        "buyer",
        "approver",
        "accountAddressManager",
        "profileAddressManager",
    ]
    assert leaf["members"] == []
    assert leaf["contract"] is None
    assert leaf["derivedContract"]["displayName"] == "Bulk contract 0"
    assert leaf["derivedContract"]["terms"] == {"terms": "Net 30"}
    assert leaf["derivedDescription"] == "Bulk tree 0"
    assert leaf["derivedType"] == "department"
    assert leaf["derivedCustomerType"] == "Enterprise"
    assert leaf["derivedDunsNumber"] == "987654321"
    assert leaf["derivedTaxReferenceNumber"] == "EAST-TAX-1"
    assert leaf["derivedVatReferenceNumber"] == "VAT-0"
    assert leaf["derivedUniqueId"] == "leaf-0"
    assert leaf["derivedPaymentMethods"] == ["cash"]
    assert leaf["derivedShippingMethods"] == [{"id": "shippingMethodId1"}]
    assert leaf["derivedUseAllPaymentMethodsFromSite"] is False
    assert leaf["derivedUseAllShippingMethodsFromSite"] is False
    assert leaf["derivedBillingAddressType"] == "Office"
    assert leaf["derivedShippingAddressType"] == "Dock"
    root = data["organizations"]["edges"][0]["node"]
    assert root["members"] == [
        {"id": gid("110000", "Profile"), "email": "shelly.smith@example.com"}
    ]
    assert [a["addressType"] for a in root["secondaryAddresses"]] == ["Office"]


CHILDREN = """
query Children($first: Int!) {
  organizations(first: $first, filter: {nameContains: "Bulk"}) {
    edges { node { id childOrganizations(first: 5) { totalCount edges { node { id } } } } }
  }
}
"""


async def test_child_connections_of_a_page_cost_the_statements_of_a_page_of_1(
    graphql: GraphQL,
    statement_counter: StatementCounter,
    bulk_organizations: list[str],
) -> None:
    statement_counter.reset()
    await graphql.data(CHILDREN, {"first": 1})
    one = statement_counter.count
    statement_counter.reset()
    await graphql.data(CHILDREN, {"first": 100})

    assert statement_counter.count == one
