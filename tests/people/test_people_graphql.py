"""Contacts, their organizations and roles over GraphQL: the same core as REST, problems as
userErrors with the same codes, admin only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from people_support import EAST, SAMPLE, SHELLY

from graphql_client import GraphQL

# These tests compare contacts' ids with vendor ids (the id format is tests/graphql/test_node.py's).
pytestmark = pytest.mark.read_vendor_ids

CONTACT = """
  contact { id email active firstName customerContactId receiveEmail
            parentOrganization { id name } secondaryOrganizations { id }
            roles { function organizationId } }
  userErrors { code message field }
"""
CREATE = f"mutation($input: CreateContactInput!) {{ createContact(input: $input) {{ {CONTACT} }} }}"
GRANT = f"""mutation($id: ID!, $roles: [RoleInput!]!) {{
  grantRoles(contactId: $id, roles: $roles) {{ {CONTACT} }} }}"""
REVOKE = f"""mutation($id: ID!, $roles: [RoleInput!]!) {{
  revokeRoles(contactId: $id, roles: $roles) {{ {CONTACT} }} }}"""
REQUIRE_APPROVAL = """mutation {
  updateSiteOrganizationProperties(id: "100001", input: [
    {site: "siteUS", properties: {approvalRequired: true}}]) { userErrors { code } } }"""


async def create(graphql: GraphQL, email: str, **values: Any) -> dict[str, Any]:
    data = await graphql.data(
        CREATE, {"input": {"email": email, "parentOrganizationId": SAMPLE, **values}}
    )
    payload: dict[str, Any] = data["createContact"]
    assert payload["userErrors"] == []
    return payload["contact"]


def secondary(operation: str) -> str:
    return f"""mutation($id: ID!, $orgs: [ID!]!) {{
      {operation}(contactId: $id, organizationIds: $orgs) {{ {CONTACT} }} }}"""


def approver(organization_id: str = SAMPLE) -> list[dict[str, str]]:
    return [{"function": "APPROVER", "organizationId": organization_id}]


async def test_a_contact_is_created_read_and_looked_up(graphql: GraphQL) -> None:
    created = await create(graphql, "Gia@Example.com", firstName="Gia", customerContactId="X-1")

    found = await graphql.data(
        """query($id: ID!) { contact(id: $id) { email }
             contactByEmail(email: "gia@example.COM") { id }
             contactsByCustomerContactId(customerContactId: "X-1") { id }
             missing: contact(id: "nobody") { id } }""",
        {"id": created["id"]},
    )

    assert created["parentOrganization"] == {"id": SAMPLE, "name": "Sample"}
    assert (created["active"], created["receiveEmail"]) == (True, False)
    assert found == {
        "contact": {"email": "Gia@Example.com"},
        "contactByEmail": {"id": created["id"]},
        "contactsByCustomerContactId": [{"id": created["id"]}],
        "missing": None,
    }


async def test_problems_are_user_errors_and_change_nothing(graphql: GraphQL) -> None:
    await create(graphql, "hu@example.com")

    taken = await graphql.data(CREATE, {"input": {"email": "HU@example.com"}})
    lost = await graphql.data(
        CREATE, {"input": {"email": "lost@example.com", "parentOrganizationId": "nowhere"}}
    )
    bad = await graphql.data(CREATE, {"input": {"email": "nope"}})

    assert taken["createContact"] == {
        "contact": None,
        "userErrors": [
            {"code": "22003", "message": "Another profile has this email address", "field": "email"}
        ],
    }
    assert lost["createContact"]["userErrors"][0]["code"] == "100001"
    assert lost["createContact"]["userErrors"][0]["field"] == "parentOrganizationId"
    assert bad["createContact"]["userErrors"][0]["code"] == "100002"
    looked_up = await graphql.data('{ contactByEmail(email: "lost@example.com") { id } }')
    assert looked_up == {"contactByEmail": None}


async def test_a_contact_is_updated_deactivated_and_reactivated(graphql: GraphQL) -> None:
    created = await create(graphql, "ivy@example.com")
    variables = {"id": created["id"]}

    updated = await graphql.data(
        f"""mutation($id: ID!) {{ updateContact(id: $id, input: {{firstName: "Ivy"}}) {{
              {CONTACT} }} }}""",
        variables,
    )
    off = await graphql.data(
        f"mutation($id: ID!) {{ deactivateContact(id: $id) {{ {CONTACT} }} }}", variables
    )
    on = await graphql.data(
        f"mutation($id: ID!) {{ reactivateContact(id: $id) {{ {CONTACT} }} }}", variables
    )
    missing = await graphql.data(f'mutation {{ deactivateContact(id: "nobody") {{ {CONTACT} }} }}')

    assert updated["updateContact"]["contact"]["firstName"] == "Ivy"
    assert off["deactivateContact"]["contact"]["active"] is False
    assert on["reactivateContact"]["contact"]["active"] is True
    assert missing["deactivateContact"]["userErrors"][0]["code"] == "22002"


async def test_a_contacts_organizations_change(graphql: GraphQL) -> None:
    created = await create(graphql, "jo@example.com")
    variables = {"id": created["id"], "orgs": [EAST]}

    appended = await graphql.data(
        secondary("appendSecondaryOrganizations"),
        variables,
    )
    moved = await graphql.data(
        f"""mutation($id: ID!) {{
          updateParentOrganization(contactId: $id, organizationId: "{EAST}") {{ {CONTACT} }} }}""",
        {"id": created["id"]},
    )
    replaced = await graphql.data(
        secondary("replaceSecondaryOrganizations"),
        {"id": created["id"], "orgs": []},
    )
    refused = await graphql.data(
        secondary("removeSecondaryOrganizations"),
        variables,
    )

    assert appended["appendSecondaryOrganizations"]["contact"]["secondaryOrganizations"] == [
        {"id": EAST}
    ]
    contact = moved["updateParentOrganization"]["contact"]
    assert (contact["parentOrganization"]["id"], contact["secondaryOrganizations"]) == (
        EAST,
        [{"id": SAMPLE}],
    )
    assert replaced["replaceSecondaryOrganizations"]["contact"]["secondaryOrganizations"] == []
    assert refused["removeSecondaryOrganizations"]["userErrors"][0]["code"] == "100002"
    assert refused["removeSecondaryOrganizations"]["userErrors"][0]["field"] == "organizationIds[0]"


async def test_roles_are_granted_and_the_last_approver_kept(graphql: GraphQL) -> None:
    created = await create(graphql, "kai@example.com")
    variables = {"id": created["id"], "roles": approver()}

    granted = await graphql.data(GRANT, variables)
    required = await graphql.data(REQUIRE_APPROVAL)
    revoked = await graphql.data(REVOKE, variables)
    stranger = await graphql.data(GRANT, {"id": created["id"], "roles": approver(EAST)})
    roles = await graphql.data(
        '{ organizationalRoles(organizationId: "100001") { function contacts { id } } }'
    )

    assert granted["grantRoles"]["contact"]["roles"] == [
        {"function": "approver", "organizationId": SAMPLE}
    ]
    assert required["updateSiteOrganizationProperties"]["userErrors"] == []
    assert revoked["revokeRoles"]["contact"] is None
    assert revoked["revokeRoles"]["userErrors"][0]["code"] == "100083"
    assert stranger["grantRoles"]["userErrors"][0]["code"] == "100002"
    assert stranger["grantRoles"]["userErrors"][0]["field"] == "roles[0].organizationId"
    by_function = {r["function"]: r["contacts"] for r in roles["organizationalRoles"]}
    assert by_function["approver"] == [{"id": created["id"]}]
    unknown = await graphql.post('{ organizationalRoles(organizationId: "nowhere") { function } }')
    assert unknown["errors"][0]["extensions"]["code"] == "100001"


async def test_an_organizations_members_are_replaced(graphql: GraphQL) -> None:
    created = await create(graphql, "lu@example.com")
    update = """mutation($ids: [ID!]!) { updateOrganizationMembers(id: "100001", profileIds: $ids) {
                  members { id } userErrors { code field } } }"""

    replaced = await graphql.data(update, {"ids": [created["id"]]})
    unknown = await graphql.data(update, {"ids": ["nobody"]})
    contact = await graphql.data(
        '{ shelly: contact(id: "110000") { parentOrganization { id } roles { function } } }'
    )

    assert replaced["updateOrganizationMembers"] == {
        "members": [{"id": created["id"]}],
        "userErrors": [],
    }
    assert unknown["updateOrganizationMembers"]["userErrors"] == [
        {"code": "22002", "field": "profileIds[0]"}
    ]
    assert contact == {"shelly": {"parentOrganization": None, "roles": []}}


async def test_a_members_update_names_its_profile_ids_argument(graphql: GraphQL) -> None:
    """The REST body's list is ``members``; GraphQL's is the ``profileIds`` argument."""
    update = """mutation($ids: [ID!]!) { updateOrganizationMembers(id: "100001", profileIds: $ids) {
                  members { id } userErrors { code message field } } }"""

    blank = await graphql.data(update, {"ids": ["110000", ""]})

    assert blank["updateOrganizationMembers"] == {
        "members": None,
        "userErrors": [
            {
                "code": "100002",
                "message": "profileIds holds an invalid id: ''",
                "field": "profileIds[1]",
            }
        ],
    }


async def test_only_an_admin_may_ask(
    anonymous_client: httpx.AsyncClient, shopper_client: Callable[[str], httpx.AsyncClient]
) -> None:
    document = {"query": f'{{ contact(id: "{SHELLY}") {{ id }} }}'}
    async with shopper_client(SHELLY) as shopper:
        for caller, code in ((anonymous_client, "UNAUTHENTICATED"), (shopper, "FORBIDDEN")):
            body = (await caller.post("/graphql", json=document)).json()
            assert body["errors"][0]["extensions"]["code"] == code
            created = await caller.post(
                "/graphql", json={"query": CREATE, "variables": {"input": {"email": "x@y.z"}}}
            )
            assert created.json()["errors"][0]["extensions"]["code"] == code
