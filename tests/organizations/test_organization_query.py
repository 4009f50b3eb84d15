"""organization(id): plain fields, and the hierarchy around it (DOMAIN.md, "Derived values":
ancestorOrganizations lists the ancestors from the root down to the direct parent)."""

from __future__ import annotations

import pytest

from graphql_client import GraphQL

#: The id format is tests/graphql/test_node.py's; these compare ids with vendor ids.
pytestmark = pytest.mark.read_vendor_ids

HIERARCHY = """
query Hierarchy($id: ID!) {
  organization(id: $id) {
    id
    name
    ancestorOrganizations { id name }
    parentOrganization { id name }
    childOrganizations { totalCount edges { node { id name } } }
  }
}
"""


async def test_an_organization_is_read_by_id_with_its_own_fields(graphql: GraphQL) -> None:
    data = await graphql.data(
        """{
          organization(id: "100001") {
            id repositoryId name type customerType active dunsNumber taxExemptionCode
            organizationLogo paymentMethods shippingMethods { id }
            useAllPaymentMethodsFromSite useAllShippingMethodsFromSite dynamicProperties
            billingAddress { repositoryId city } shippingAddress { repositoryId city }
            secondaryAddresses { addressType address { repositoryId companyName city } }
          }
        }"""
    )

    assert data["organization"] == {
        "id": "100001",
        "repositoryId": "100001",
        "name": "Sample",
        "type": "company",
        "customerType": "Enterprise",
        "active": True,
        "dunsNumber": "987654321",
        "taxExemptionCode": "SAMPLEEXEMPT",
        "organizationLogo": "/general/hero-image1.jpg",
        "paymentMethods": ["card"],
        "shippingMethods": [{"id": "shippingMethodId1"}],
        "useAllPaymentMethodsFromSite": False,
        "useAllShippingMethodsFromSite": False,
        "dynamicProperties": {},
        "billingAddress": {"repositoryId": "150001", "city": "Boston"},
        "shippingAddress": {"repositoryId": "150001", "city": "Boston"},
        "secondaryAddresses": [
            {
                "addressType": "Headquarters",
                "address": {"repositoryId": "150001", "companyName": "Sample", "city": "Boston"},
            }
        ],
    }


async def test_an_unknown_id_gives_null_without_errors(graphql: GraphQL) -> None:
    result = await graphql.post('{ organization(id: "999999") { id } }')

    assert result == {"data": {"organization": None}}


async def test_ancestors_are_listed_from_the_root_down_to_the_parent(graphql: GraphQL) -> None:
    data = await graphql.data(HIERARCHY, {"id": "100003"})

    assert data["organization"]["ancestorOrganizations"] == [
        {"id": "100001", "name": "Sample"},
        {"id": "100002", "name": "Sample East"},
    ]


async def test_the_parent_is_the_direct_parent(graphql: GraphQL) -> None:
    data = await graphql.data(HIERARCHY, {"id": "100003"})

    assert data["organization"]["parentOrganization"] == {"id": "100002", "name": "Sample East"}


async def test_a_root_has_no_parent_and_no_ancestors(graphql: GraphQL) -> None:
    data = await graphql.data(HIERARCHY, {"id": "100001"})

    assert data["organization"]["parentOrganization"] is None
    assert data["organization"]["ancestorOrganizations"] == []


async def test_children_are_the_direct_children_only(graphql: GraphQL) -> None:
    second = await graphql.create_organization("Sample West", parentOrganizationId="100001")

    data = await graphql.data(HIERARCHY, {"id": "100001"})

    assert data["organization"]["childOrganizations"] == {
        "totalCount": 2,
        "edges": [
            {"node": {"id": "100002", "name": "Sample East"}},
            {"node": {"id": second, "name": "Sample West"}},
        ],
    }


async def test_children_are_a_connection_with_paging(graphql: GraphQL) -> None:
    second = await graphql.create_organization("Sample West", parentOrganizationId="100001")
    query = """
    query Children($after: String) {
      organization(id: "100001") {
        childOrganizations(first: 1, after: $after) {
          edges { node { id } }
          pageInfo { hasNextPage endCursor }
        }
      }
    }
    """

    first = (await graphql.data(query))["organization"]["childOrganizations"]
    after = first["pageInfo"]["endCursor"]
    rest = (await graphql.data(query, {"after": after}))["organization"]["childOrganizations"]

    assert first["edges"] == [{"node": {"id": "100002"}}]
    assert first["pageInfo"]["hasNextPage"] is True
    assert rest["edges"] == [{"node": {"id": second}}]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_a_leaf_has_an_empty_children_connection(graphql: GraphQL) -> None:
    data = await graphql.data(HIERARCHY, {"id": "100003"})

    assert data["organization"]["childOrganizations"] == {"totalCount": 0, "edges": []}


async def test_ancestors_are_organizations_with_their_own_fields(graphql: GraphQL) -> None:
    data = await graphql.data(
        """{
          organization(id: "100003") {
            ancestorOrganizations { id type ancestorOrganizations { id } }
          }
        }"""
    )

    assert data["organization"]["ancestorOrganizations"] == [
        {"id": "100001", "type": "company", "ancestorOrganizations": []},
        {"id": "100002", "type": "division", "ancestorOrganizations": [{"id": "100001"}]},
    ]


async def test_members_and_roles_are_listed(graphql: GraphQL) -> None:
    data = await graphql.data(
        """{
          organization(id: "100001") {
            members { id firstName lastName email }
            relativeRoles { function }
          }
        }"""
    )

    assert data["organization"] == {
        "members": [
            {
                "id": "110000",
                "firstName": "Shelly",
                "lastName": "Smith",
                "email": "shelly.smith@example.com",
            }
        ],
        "relativeRoles": [
            {"function": "admin"},
            {"function": "buyer"},
            {"function": "approver"},
            {"function": "accountAddressManager"},
            {"function": "profileAddressManager"},
        ],
    }


async def test_the_logo_url_is_the_logo_under_the_media_path(graphql: GraphQL) -> None:
    data = await graphql.data('{ organization(id: "100001") { organizationLogoURL } }')

    assert data["organization"] == {
        "organizationLogoURL": "http://localhost:9080/file/general/hero-image1.jpg"
    }
