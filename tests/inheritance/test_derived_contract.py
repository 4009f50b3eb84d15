"""derivedContract per site (DOMAIN.md, "Site context" and "Derived values": the effective
contract of (organization, site) is its own on that site, else its parent's on that site).
The site comes from the `site` argument, else the x-ccsite header, else the default site."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from graphql_client import GraphQL

CONTRACTS = """
query Contracts($id: ID!, $site: ID) {
  organization(id: $id) {
    contract(site: $site) { displayName }
    derivedContract(site: $site) { displayName }
  }
}
"""


@dataclass(frozen=True)
class Tree:
    """ "Sample" (siteUS contract) → regional (site1 contract) → branch (none of its own)."""

    regional: str
    branch: str


@pytest.fixture
async def tree(graphql: GraphQL, make_contract_input: Callable[..., dict[str, Any]]) -> Tree:
    regional = await graphql.create_organization(
        "Sample Regional",
        parentOrganizationId="100001",
        site="site1",
        contract=make_contract_input("Regional Site 1 Contract"),
    )
    branch = await graphql.create_organization("Sample Branch", parentOrganizationId=regional)
    return Tree(regional, branch)


async def _contracts(
    graphql: GraphQL,
    organization_id: str,
    site: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    data = await graphql.data(CONTRACTS, {"id": organization_id, "site": site}, headers=headers)
    contracts: dict[str, Any] = data["organization"]
    return contracts


async def test_the_site_argument_picks_the_sites_inherited_contract(
    graphql: GraphQL, tree: Tree
) -> None:
    assert await _contracts(graphql, tree.branch, site="site1") == {
        "contract": None,
        "derivedContract": {"displayName": "Regional Site 1 Contract"},
    }


async def test_each_site_inherits_along_the_path_on_its_own(graphql: GraphQL, tree: Tree) -> None:
    # The regional organization has no siteUS contract: the branch gets the root's.
    assert await _contracts(graphql, tree.branch, site="siteUS") == {
        "contract": None,
        "derivedContract": {"displayName": "Sample Master Contract"},
    }


async def test_a_site_where_no_organization_on_the_path_has_a_contract_gives_null(
    graphql: GraphQL, tree: Tree
) -> None:
    assert await _contracts(graphql, tree.branch, site="site2") == {
        "contract": None,
        "derivedContract": None,
    }


async def test_the_own_contract_is_the_derived_one_where_set(graphql: GraphQL, tree: Tree) -> None:
    assert await _contracts(graphql, tree.regional, site="site1") == {
        "contract": {"displayName": "Regional Site 1 Contract"},
        "derivedContract": {"displayName": "Regional Site 1 Contract"},
    }


async def test_the_x_ccsite_header_names_the_site(graphql: GraphQL, tree: Tree) -> None:
    contracts = await _contracts(graphql, tree.branch, headers={"x-ccsite": "site1"})

    assert contracts["derivedContract"] == {"displayName": "Regional Site 1 Contract"}


async def test_the_site_argument_wins_over_the_header(graphql: GraphQL, tree: Tree) -> None:
    contracts = await _contracts(graphql, tree.branch, site="siteUS", headers={"x-ccsite": "site1"})

    assert contracts["derivedContract"] == {"displayName": "Sample Master Contract"}


async def test_without_argument_or_header_the_default_site_applies(
    graphql: GraphQL, tree: Tree
) -> None:
    contracts = await _contracts(graphql, tree.branch)

    assert contracts["derivedContract"] == {"displayName": "Sample Master Contract"}


async def test_sites_can_differ_within_one_document(graphql: GraphQL, tree: Tree) -> None:
    data = await graphql.data(
        """query Both($id: ID!) {
          organization(id: $id) {
            us: derivedContract(site: "siteUS") { displayName }
            one: derivedContract(site: "site1") { displayName }
            defaultSite: derivedContract { displayName }
          }
        }""",
        {"id": tree.branch},
        headers={"x-ccsite": "site2"},
    )

    assert data["organization"] == {
        "us": {"displayName": "Sample Master Contract"},
        "one": {"displayName": "Regional Site 1 Contract"},
        "defaultSite": None,
    }


async def test_the_derived_contract_carries_its_catalog_prices_and_terms(
    graphql: GraphQL,
) -> None:
    data = await graphql.data(
        """{
          organization(id: "100003") {
            derivedContract {
              repositoryId displayName description externalContractReference startDate
              catalog { repositoryId displayName }
              priceListGroup { repositoryId displayName }
              terms { repositoryId terms }
            }
          }
        }"""
    )

    assert data["organization"]["derivedContract"] == {
        "repositoryId": "100010",
        "displayName": "Sample Master Contract",
        "description": "Prices every Sample account pays on the US store",
        "externalContractReference": "SAMPLE-MASTER",
        "startDate": "2016-01-01T00:00:00+00:00",
        "catalog": {"repositoryId": "cloudCatalog", "displayName": "Cloud Catalog"},
        "priceListGroup": {
            "repositoryId": "defaultPriceGroup",
            "displayName": "Default Price Group",
        },
        "terms": {
            "repositoryId": "100011",
            "terms": "Standard terms of the Sample master contract",
        },
    }
