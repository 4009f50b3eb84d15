"""Derived values on a four-level hierarchy built through createOrganization (DOMAIN.md,
"Derived values": own value when set, else the parent's derived value, up to the root;
null when nothing on the path sets it; False is a value, not "unset")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from graphql_client import GraphQL

DERIVED = """
query Derived($id: ID!) {
  organization(id: $id) {
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
    derivedBillingAddress { companyName city }
    derivedBillingAddressType
    derivedShippingAddress { companyName city }
    derivedShippingAddressType
    derivedContract { displayName }
  }
}
"""


@dataclass(frozen=True)
class Hierarchy:
    """root → division → department → team; ids of the four organizations."""

    root: str
    division: str
    department: str
    team: str


@pytest.fixture
async def hierarchy(
    graphql: GraphQL,
    make_address_input: Callable[..., dict[str, Any]],
    make_contract_input: Callable[..., dict[str, Any]],
) -> Hierarchy:
    root = await graphql.create_organization(
        "Acme",
        description="Acme holding",
        type="company",
        customerType="Preferred",
        dunsNumber="123456789",
        taxReferenceNumber="ACME-TAX",
        vatReferenceNumber="ACME-VAT",
        taxExemptionCode="ACME-EXEMPT",
        uniqueId="acme-1",
        organizationLogo="/general/hero-image1.jpg",
        paymentMethods=["card"],
        shippingMethods=["shippingMethodId1"],
        useAllPaymentMethodsFromSite=True,
        useAllShippingMethodsFromSite=True,
        secondaryAddresses=[
            make_address_input(
                "Head Office",
                city="Chicago",
                isDefaultBillingAddress=True,
                isDefaultShippingAddress=True,
            )
        ],
        contract=make_contract_input("Acme Contract"),
    )
    division = await graphql.create_organization(
        "Acme Europe",
        parentOrganizationId=root,
        type="division",
        description="European arm",
        taxReferenceNumber="EU-TAX",
        paymentMethods=["cash"],
        useAllShippingMethodsFromSite=False,
        secondaryAddresses=[
            make_address_input("Warehouse", city="Rotterdam", isDefaultShippingAddress=True)
        ],
    )
    # The department sets nothing that the team inherits: values skip a level.
    department = await graphql.create_organization(
        "Acme Europe Sales", parentOrganizationId=division, type="department"
    )
    team = await graphql.create_organization(
        "Acme Europe Sales Team",
        parentOrganizationId=department,
        type="group",
        vatReferenceNumber="TEAM-VAT",
        useAllPaymentMethodsFromSite=False,
    )
    return Hierarchy(root, division, department, team)


async def _derived(graphql: GraphQL, organization_id: str) -> dict[str, Any]:
    data = await graphql.data(DERIVED, {"id": organization_id})
    derived: dict[str, Any] = data["organization"]
    return derived


async def test_every_derived_field_of_the_deepest_organization(
    graphql: GraphQL, hierarchy: Hierarchy
) -> None:
    assert await _derived(graphql, hierarchy.team) == {
        "derivedDescription": "European arm",
        "derivedType": "group",
        "derivedCustomerType": "Preferred",
        "derivedDunsNumber": "123456789",
        "derivedTaxReferenceNumber": "EU-TAX",
        "derivedVatReferenceNumber": "TEAM-VAT",
        "derivedTaxExemptionCode": "ACME-EXEMPT",
        "derivedUniqueId": "acme-1",
        "derivedOrganizationLogo": "/general/hero-image1.jpg",
        "derivedPaymentMethods": ["cash"],
        "derivedShippingMethods": [{"id": "shippingMethodId1"}],
        "derivedUseAllPaymentMethodsFromSite": False,
        "derivedUseAllShippingMethodsFromSite": False,
        "derivedBillingAddress": {"companyName": "Head Office Inc.", "city": "Chicago"},
        "derivedBillingAddressType": "Head Office",
        "derivedShippingAddress": {"companyName": "Warehouse Inc.", "city": "Rotterdam"},
        "derivedShippingAddressType": "Warehouse",
        "derivedContract": {"displayName": "Acme Contract"},
    }


async def test_the_root_derives_its_own_values(graphql: GraphQL, hierarchy: Hierarchy) -> None:
    assert await _derived(graphql, hierarchy.root) == {
        "derivedDescription": "Acme holding",
        "derivedType": "company",
        "derivedCustomerType": "Preferred",
        "derivedDunsNumber": "123456789",
        "derivedTaxReferenceNumber": "ACME-TAX",
        "derivedVatReferenceNumber": "ACME-VAT",
        "derivedTaxExemptionCode": "ACME-EXEMPT",
        "derivedUniqueId": "acme-1",
        "derivedOrganizationLogo": "/general/hero-image1.jpg",
        "derivedPaymentMethods": ["card"],
        "derivedShippingMethods": [{"id": "shippingMethodId1"}],
        "derivedUseAllPaymentMethodsFromSite": True,
        "derivedUseAllShippingMethodsFromSite": True,
        "derivedBillingAddress": {"companyName": "Head Office Inc.", "city": "Chicago"},
        "derivedBillingAddressType": "Head Office",
        "derivedShippingAddress": {"companyName": "Head Office Inc.", "city": "Chicago"},
        "derivedShippingAddressType": "Head Office",
        "derivedContract": {"displayName": "Acme Contract"},
    }


async def test_an_unset_value_skips_levels_up_to_the_nearest_that_sets_it(
    graphql: GraphQL, hierarchy: Hierarchy
) -> None:
    # The team and the department set no description; the division does.
    team = await _derived(graphql, hierarchy.team)

    assert team["derivedDescription"] == "European arm"
    assert team["derivedTaxReferenceNumber"] == "EU-TAX"


async def test_a_value_set_only_at_the_root_reaches_every_level(
    graphql: GraphQL, hierarchy: Hierarchy
) -> None:
    levels = [hierarchy.division, hierarchy.department, hierarchy.team]

    customer_types = [(await _derived(graphql, org))["derivedCustomerType"] for org in levels]

    assert customer_types == ["Preferred", "Preferred", "Preferred"]


async def test_an_own_value_overrides_the_inherited_one(
    graphql: GraphQL, hierarchy: Hierarchy
) -> None:
    division = await _derived(graphql, hierarchy.division)

    assert division["derivedPaymentMethods"] == ["cash"]
    assert division["derivedType"] == "division"


async def test_false_overrides_an_inherited_true(graphql: GraphQL, hierarchy: Hierarchy) -> None:
    # The root says true; the team says false for itself.
    team = await _derived(graphql, hierarchy.team)

    assert team["derivedUseAllPaymentMethodsFromSite"] is False


async def test_an_inherited_false_overrides_a_true_further_up(
    graphql: GraphQL, hierarchy: Hierarchy
) -> None:
    # The root says true, the division false: the department and team inherit false.
    department = await _derived(graphql, hierarchy.department)
    team = await _derived(graphql, hierarchy.team)

    assert department["derivedUseAllShippingMethodsFromSite"] is False
    assert team["derivedUseAllShippingMethodsFromSite"] is False


async def test_an_unset_level_derives_exactly_what_its_parent_derives(
    graphql: GraphQL, hierarchy: Hierarchy
) -> None:
    division = await _derived(graphql, hierarchy.division)
    department = await _derived(graphql, hierarchy.department)

    assert department == {**division, "derivedType": "department"}


async def test_default_addresses_are_derived_separately(
    graphql: GraphQL, hierarchy: Hierarchy
) -> None:
    # The division sets only a shipping default: billing still comes from the root.
    division = await _derived(graphql, hierarchy.division)

    assert division["derivedBillingAddressType"] == "Head Office"
    assert division["derivedShippingAddressType"] == "Warehouse"


async def test_the_own_value_stays_unset_where_the_derived_one_is_inherited(
    graphql: GraphQL, hierarchy: Hierarchy
) -> None:
    data = await graphql.data(
        """query Own($id: ID!) {
          organization(id: $id) {
            description derivedDescription useAllPaymentMethodsFromSite
            derivedUseAllPaymentMethodsFromSite billingAddress { city }
            derivedBillingAddress { city }
          }
        }""",
        {"id": hierarchy.department},
    )

    assert data["organization"] == {
        "description": None,
        "derivedDescription": "European arm",
        "useAllPaymentMethodsFromSite": None,
        "derivedUseAllPaymentMethodsFromSite": True,
        "billingAddress": None,
        "derivedBillingAddress": {"city": "Chicago"},
    }


async def test_a_value_set_nowhere_on_the_path_is_null(graphql: GraphQL) -> None:
    # No organization of the demo hierarchy has a VAT number, a unique id or a description.
    data = await graphql.data(
        """{
          organization(id: "100003") {
            derivedVatReferenceNumber derivedUniqueId derivedDescription
          }
        }"""
    )

    assert data["organization"] == {
        "derivedVatReferenceNumber": None,
        "derivedUniqueId": None,
        "derivedDescription": None,
    }


async def test_the_demo_department_derives_from_both_ancestors(graphql: GraphQL) -> None:
    data = await graphql.data(
        """{
          organization(id: "100003") {
            derivedType derivedTaxReferenceNumber derivedDunsNumber derivedCustomerType
            derivedPaymentMethods derivedBillingAddressType derivedShippingAddress { repositoryId }
            derivedContract { repositoryId displayName }
          }
        }"""
    )

    assert data["organization"] == {
        "derivedType": "department",
        "derivedTaxReferenceNumber": "EAST-TAX-1",
        "derivedDunsNumber": "987654321",
        "derivedCustomerType": "Enterprise",
        "derivedPaymentMethods": ["card"],
        "derivedBillingAddressType": "Headquarters",
        "derivedShippingAddress": {"repositoryId": "150001"},
        "derivedContract": {"repositoryId": "100010", "displayName": "Sample Master Contract"},
    }


SOURCES = """
query Sources($id: ID!) {
  organization(id: $id) {
    inheritedFrom {
      derivedDescription derivedType derivedCustomerType derivedDunsNumber
      derivedTaxReferenceNumber derivedVatReferenceNumber derivedTaxExemptionCode
      derivedUniqueId derivedOrganizationLogo derivedPaymentMethods derivedShippingMethods
      derivedUseAllPaymentMethodsFromSite derivedUseAllShippingMethodsFromSite
      derivedBillingAddress derivedShippingAddress
    }
  }
}
"""


async def test_every_derived_value_says_which_organization_set_it(
    graphql: GraphQL, hierarchy: Hierarchy
) -> None:
    data = await graphql.data(SOURCES, {"id": hierarchy.team})
    root, division, team = hierarchy.root, hierarchy.division, hierarchy.team

    assert data["organization"]["inheritedFrom"] == {
        "derivedDescription": division,
        "derivedType": team,
        "derivedCustomerType": root,
        "derivedDunsNumber": root,
        "derivedTaxReferenceNumber": division,
        "derivedVatReferenceNumber": team,
        "derivedTaxExemptionCode": root,
        "derivedUniqueId": root,
        "derivedOrganizationLogo": root,
        "derivedPaymentMethods": division,
        "derivedShippingMethods": root,
        "derivedUseAllPaymentMethodsFromSite": team,
        "derivedUseAllShippingMethodsFromSite": division,
        "derivedBillingAddress": root,
        "derivedShippingAddress": division,
    }


async def test_a_value_nothing_sets_has_no_source(graphql: GraphQL) -> None:
    alone = await graphql.create_organization("Sets nothing")

    data = await graphql.data(SOURCES, {"id": alone})

    sources = data["organization"]["inheritedFrom"]
    assert sources["derivedDescription"] is None
    assert sources["derivedBillingAddress"] is None
