"""Per-site values through GraphQL: the updateSiteOrganizationProperties mutation,
Organization.siteOrganizationProperties (own values) and effectiveSiteProperties (values in
effect, each with the organization that set it). The rules and error codes themselves are
tested through the service (tests/sites/test_site_properties.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import pytest

from graphql_client import GraphQL

#: The id format is tests/graphql/test_node.py's; these compare ids with vendor ids.
pytestmark = pytest.mark.read_vendor_ids

ROOT, EAST, PURCHASING = "100001", "100002", "100003"

UPDATE = """
mutation Update($id: ID!, $input: [SiteOrganizationPropertiesInput!]!) {
  updateSiteOrganizationProperties(id: $id, input: $input) {
    siteOrganizationProperties {
      site { id name productionURL enabled }
      approvalRequired
      orderPriceLimit
      delegateApprovalManagement
      useExternalApprovalWebhook
      contract { displayName catalog { repositoryId } terms { terms } }
      inheritedFrom { contract }
    }
    userErrors { code message field }
  }
}
"""

OWN = """
query Own($id: ID!, $site: ID) {
  organization(id: $id) {
    siteOrganizationProperties(site: $site) {
      site { id }
      orderPriceLimit
      contract { displayName }
    }
  }
}
"""

EFFECTIVE = """
query Effective($id: ID!, $site: ID) {
  organization(id: $id) {
    effectiveSiteProperties(site: $site) {
      site { id }
      approvalRequired
      orderPriceLimit
      useExternalApprovalWebhook
      contract { displayName }
      inheritedFrom {
        contract
        approvalRequired
        orderPriceLimit
        delegateApprovalManagement
        useExternalApprovalWebhook
      }
    }
  }
}
"""


def entry(site_id: str, **properties: Any) -> dict[str, Any]:
    return {"site": site_id, "properties": properties}


async def update(graphql: GraphQL, organization_id: str, *entries: dict[str, Any]) -> Any:
    data = await graphql.data(UPDATE, {"id": organization_id, "input": list(entries)})
    return data["updateSiteOrganizationProperties"]


async def set_ok(graphql: GraphQL, organization_id: str, *entries: dict[str, Any]) -> None:
    payload = await update(graphql, organization_id, *entries)
    assert payload["userErrors"] == []


async def own(graphql: GraphQL, organization_id: str, site: str | None = None) -> Any:
    data = await graphql.data(OWN, {"id": organization_id, "site": site})
    return data["organization"]["siteOrganizationProperties"]


async def effective(graphql: GraphQL, organization_id: str, site: str | None = None) -> Any:
    data = await graphql.data(EFFECTIVE, {"id": organization_id, "site": site})
    return data["organization"]["effectiveSiteProperties"]


# ---------------------------------------------------------------- the mutation


async def test_update_returns_the_own_values_it_set(
    graphql: GraphQL, make_contract_input: Callable[..., dict[str, Any]]
) -> None:
    payload = await update(
        graphql,
        EAST,
        entry("site1", op="remove", contract=None),
        entry(
            "site2",
            approvalRequired=False,
            orderPriceLimit=1500.5,
            contract=make_contract_input("East Site 2", terms="Net 60"),
        ),
    )

    assert payload == {
        "siteOrganizationProperties": [
            {
                "site": {"id": "site2", "name": "Site 2", "productionURL": None, "enabled": False},
                "approvalRequired": False,
                "orderPriceLimit": 1500.5,
                "delegateApprovalManagement": None,
                "useExternalApprovalWebhook": None,
                "contract": {
                    "displayName": "East Site 2",
                    "catalog": {"repositoryId": "cloudCatalog"},
                    "terms": {"terms": "Net 60"},
                },
                "inheritedFrom": None,
            }
        ],
        "userErrors": [],
    }


async def test_user_errors_name_the_mutations_input_fields(
    graphql: GraphQL, make_contract_input: Callable[..., dict[str, Any]]
) -> None:
    payload = await update(
        graphql,
        EAST,
        entry("site1", contract=make_contract_input("C", catalogId="nope", terms="x" * 10001)),
        entry("nowhere", orderPriceLimit=-1, op="undo"),
    )

    assert payload["siteOrganizationProperties"] == []
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("00004", "input[0].properties.contract.terms"),
        ("100110", "input[1].properties.op"),
    ]


async def test_rule_errors_name_the_entrys_site(graphql: GraphQL) -> None:
    payload = await update(graphql, EAST, entry("site1"), entry("nowhere", orderPriceLimit=1))

    assert payload["userErrors"] == [
        {"code": "100109", "message": "Site 'nowhere' does not exist", "field": "input[1].site"}
    ]


async def test_unknown_organization_is_a_user_error_100108(graphql: GraphQL) -> None:
    payload = await update(graphql, "999999", entry("site1", orderPriceLimit=1))

    assert payload["userErrors"] == [
        {"code": "100108", "message": "Organization '999999' does not exist", "field": "id"}
    ]


async def test_a_list_with_one_bad_entry_changes_nothing(
    graphql: GraphQL, make_contract_input: Callable[..., dict[str, Any]]
) -> None:
    payload = await update(
        graphql,
        EAST,
        entry("site1", contract=make_contract_input("Good"), orderPriceLimit=5),
        entry("site2", approvalRequired=True),
    )

    assert [e["code"] for e in payload["userErrors"]] == ["100083"]
    assert await own(graphql, EAST) == []


# ---------------------------------------------------------------- own values


async def test_own_values_list_each_site_the_organization_sets(
    graphql: GraphQL, make_contract_input: Callable[..., dict[str, Any]]
) -> None:
    await set_ok(
        graphql,
        EAST,
        entry("site2", contract=make_contract_input("East Site 2")),
        entry("site1", orderPriceLimit=10),
    )

    assert await own(graphql, EAST) == [
        {"site": {"id": "site1"}, "orderPriceLimit": 10.0, "contract": None},
        {
            "site": {"id": "site2"},
            "orderPriceLimit": None,
            "contract": {"displayName": "East Site 2"},
        },
    ]


async def test_own_values_of_one_named_site(graphql: GraphQL) -> None:
    await set_ok(
        graphql, EAST, entry("site1", orderPriceLimit=10), entry("site2", orderPriceLimit=20)
    )

    assert await own(graphql, EAST, "site2") == [
        {"site": {"id": "site2"}, "orderPriceLimit": 20.0, "contract": None}
    ]


async def test_own_values_do_not_include_inherited_ones(graphql: GraphQL) -> None:
    assert await own(graphql, PURCHASING) == []


# ---------------------------------------------------------------- effective values


@pytest.fixture
async def two_sites_three_levels(
    graphql: GraphQL, make_contract_input: Callable[..., dict[str, Any]]
) -> None:
    """Root: site1 and site2 contracts and limits; East: its own site1 contract only."""
    await set_ok(
        graphql,
        ROOT,
        entry("site1", contract=make_contract_input("Root Site 1"), orderPriceLimit=1000),
        entry("site2", contract=make_contract_input("Root Site 2"), orderPriceLimit=2000),
    )
    await set_ok(graphql, EAST, entry("site1", contract=make_contract_input("East Site 1")))


@pytest.mark.usefixtures("two_sites_three_levels")
async def test_effective_values_name_the_organization_that_set_each(graphql: GraphQL) -> None:
    assert await effective(graphql, PURCHASING, "site1") == {
        "site": {"id": "site1"},
        "approvalRequired": None,
        "orderPriceLimit": 1000.0,
        "useExternalApprovalWebhook": None,
        "contract": {"displayName": "East Site 1"},
        "inheritedFrom": {
            "contract": EAST,
            "approvalRequired": None,
            "orderPriceLimit": ROOT,
            "delegateApprovalManagement": None,
            "useExternalApprovalWebhook": None,
        },
    }


@pytest.mark.usefixtures("two_sites_three_levels")
async def test_a_middle_override_on_one_site_leaves_the_other_site_to_the_root(
    graphql: GraphQL,
) -> None:
    site2 = await effective(graphql, PURCHASING, "site2")

    assert (site2["contract"], site2["inheritedFrom"]["contract"]) == (
        {"displayName": "Root Site 2"},
        ROOT,
    )


@pytest.mark.usefixtures("two_sites_three_levels")
async def test_removing_the_override_restores_the_roots_value(graphql: GraphQL) -> None:
    await set_ok(graphql, EAST, entry("site1", op="remove", contract=None))

    site1 = await effective(graphql, PURCHASING, "site1")

    assert (site1["contract"], site1["inheritedFrom"]["contract"]) == (
        {"displayName": "Root Site 1"},
        ROOT,
    )


async def test_effective_values_default_to_the_x_ccsite_site(
    graphql: GraphQL, make_contract_input: Callable[..., dict[str, Any]]
) -> None:
    await set_ok(graphql, EAST, entry("site2", useExternalApprovalWebhook=True))

    data = await graphql.data(EFFECTIVE, {"id": PURCHASING}, headers={"x-ccsite": "site2"})

    values = data["organization"]["effectiveSiteProperties"]
    assert (values["site"], values["useExternalApprovalWebhook"]) == ({"id": "site2"}, True)
    assert values["inheritedFrom"]["useExternalApprovalWebhook"] == EAST


async def test_effective_values_without_a_site_are_those_of_the_default_site(
    graphql: GraphQL,
) -> None:
    values = await effective(graphql, PURCHASING)

    assert (values["site"], values["contract"], values["inheritedFrom"]["contract"]) == (
        {"id": "siteUS"},
        {"displayName": "Sample Master Contract"},
        ROOT,
    )


async def test_effective_values_of_a_site_nobody_sets_are_null(graphql: GraphQL) -> None:
    values = await effective(graphql, PURCHASING, "site2")

    assert values == {
        "site": {"id": "site2"},
        "approvalRequired": None,
        "orderPriceLimit": None,
        "useExternalApprovalWebhook": None,
        "contract": None,
        "inheritedFrom": dict.fromkeys(
            (
                "contract",
                "approvalRequired",
                "orderPriceLimit",
                "delegateApprovalManagement",
                "useExternalApprovalWebhook",
            )
        ),
    }


async def test_effective_values_of_an_unknown_site_are_error_100002(graphql: GraphQL) -> None:
    result = await graphql.post(EFFECTIVE, {"id": PURCHASING, "site": "nowhere"})

    assert [(e["message"], e["extensions"]) for e in result["errors"]] == [
        ("Site 'nowhere' does not exist", {"code": "100002", "field": "site"})
    ]


async def test_an_empty_list_is_a_user_error_100110(graphql: GraphQL) -> None:
    payload = await update(graphql, EAST)

    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("100110", "input")]


async def test_sites_lists_every_site(graphql: GraphQL) -> None:
    data = await graphql.data("{ sites { id b2b isDefault } }")

    assert data["sites"] == [
        {"id": "site1", "b2b": True, "isDefault": False},
        {"id": "site2", "b2b": True, "isDefault": False},
        {"id": "siteUS", "b2b": True, "isDefault": True},
    ]


# ---------------------------------------------------------------- statements per page

PAGE = """
query Page($first: Int!, $site: ID!) {
  organizations(first: $first, filter: {nameContains: "Branch"}) {
    edges {
      node {
        id
        effectiveSiteProperties(site: $site) {
          site { id name }
          approvalRequired
          orderPriceLimit
          contract { displayName terms { terms } }
          inheritedFrom { contract orderPriceLimit }
        }
        siteOrganizationProperties { site { id } orderPriceLimit }
      }
    }
  }
}
"""


class StatementCounter(Protocol):
    @property
    def count(self) -> int: ...

    def reset(self) -> None: ...


@pytest.fixture
async def branches(
    graphql: GraphQL, make_contract_input: Callable[..., dict[str, Any]]
) -> list[str]:
    """Twelve chains of two below "Sample East Purchasing"; every third top sets a site1
    contract, every second bottom a site1 limit, so values come from varied depths."""
    bottoms = []
    for index in range(12):
        top = await graphql.create_organization(
            f"Branch {index:02d}", parentOrganizationId=PURCHASING
        )
        bottom = await graphql.create_organization(
            f"Branch {index:02d} Desk", parentOrganizationId=top
        )
        if index % 3 == 0:
            await set_ok(
                graphql, top, entry("site1", contract=make_contract_input(f"Branch {index}"))
            )
        if index % 2 == 0:
            await set_ok(graphql, bottom, entry("site1", orderPriceLimit=index))
        bottoms.append(bottom)
    await set_ok(graphql, ROOT, entry("site1", contract=make_contract_input("Root Site 1")))
    return bottoms


async def test_effective_values_of_a_page_cost_the_statements_of_a_page_of_1(
    graphql: GraphQL, statement_counter: StatementCounter, branches: list[str]
) -> None:
    statement_counter.reset()
    one = await graphql.data(PAGE, {"first": 1, "site": "site1"})
    one_count = statement_counter.count
    statement_counter.reset()
    all_ = await graphql.data(PAGE, {"first": 24, "site": "site1"})

    print(f"\nSQL statements: page of 1 = {one_count}, page of 24 = {statement_counter.count}")
    assert len(one["organizations"]["edges"]) == 1
    assert len(all_["organizations"]["edges"]) == 24
    assert statement_counter.count == one_count


async def test_the_counted_page_resolves_inherited_values(
    graphql: GraphQL, branches: list[str]
) -> None:
    data = await graphql.data(PAGE, {"first": 24, "site": "site1"})

    nodes = {edge["node"]["id"]: edge["node"] for edge in data["organizations"]["edges"]}
    desk_0, desk_1 = nodes[branches[0]], nodes[branches[1]]
    assert desk_0["effectiveSiteProperties"]["contract"] == {
        "displayName": "Branch 0",
        "terms": None,
    }
    assert desk_0["effectiveSiteProperties"]["orderPriceLimit"] == 0.0
    assert desk_0["siteOrganizationProperties"] == [
        {"site": {"id": "site1"}, "orderPriceLimit": 0.0}
    ]
    assert desk_1["effectiveSiteProperties"]["contract"] == {
        "displayName": "Root Site 1",
        "terms": None,
    }
    assert desk_1["effectiveSiteProperties"]["inheritedFrom"] == {
        "contract": ROOT,
        "orderPriceLimit": None,
    }


@pytest.mark.parametrize("limit", [1e-05, 12.34567])
async def test_an_order_price_limit_of_more_than_4_decimals_is_a_user_error(
    graphql: GraphQL, limit: float
) -> None:
    """The core's rule, as on REST: refused (100110), not rounded to 4 decimals."""
    payload = await update(graphql, EAST, entry("site1", orderPriceLimit=limit))

    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("100110", "input[0].properties.orderPriceLimit")
    ]
    data = await graphql.data(OWN, {"id": EAST, "site": "site1"})
    assert data["organization"]["siteOrganizationProperties"] == []
