"""An ID argument takes the global id of its own Node type only: vendor ids of different
types overlap (organization 100001 and organization request 100001; profile 110000), and the
global id of another type used to act on the object of the argument's type with the same
vendor id. Now such an operation is refused before it runs (100002, the argument named), on
every execution path, for literals and variables, in arguments and input fields."""

from __future__ import annotations

import httpx

from graphql_client import GraphQL
from orgql.graphql import global_ids
from orgql.graphql.global_id_arguments import ANY, expected, schema_positions
from orgql.graphql.global_ids import NODE_TYPES, encode
from orgql.graphql.schema import default_schema

REQUEST_100001 = encode("OrganizationRequest", "100001")
ORGANIZATION = "query($id: ID!) { organization(id: $id) { repositoryId name } }"
UPDATE = """mutation($id: ID!) { updateOrganization(id: $id, input: {name: "Renamed"}) {
  organization { name } userErrors { code } } }"""
GRANT = """mutation($id: ID!, $roles: [RoleInput!]!) { grantRoles(contactId: $id, roles: $roles) {
  contact { roles { function organizationId } } userErrors { code field } } }"""


def _refused(body: dict[str, object], field: str) -> None:
    assert body["data"] is None
    [error] = body["errors"]  # type: ignore[misc]
    assert error["extensions"] == {"code": "100002", "field": field}
    assert "OrganizationRequest" in error["message"] or "Profile" in error["message"]


async def test_a_requests_global_id_does_not_read_the_organization(graphql: GraphQL) -> None:
    by_variable = await graphql.post(ORGANIZATION, {"id": REQUEST_100001})
    by_literal = await graphql.post(
        f'{{ organization(id: "{REQUEST_100001}") {{ repositoryId name }} }}'
    )
    in_a_fragment = await graphql.post(
        "query { ...F } fragment F on Query"
        f' {{ organization(id: "{REQUEST_100001}") {{ name }} }}'
    )
    right = await graphql.post(ORGANIZATION, {"id": encode("Organization", "100001")})

    _refused(by_variable, "id")
    _refused(by_literal, "id")
    _refused(in_a_fragment, "id")
    assert right == {"data": {"organization": {"repositoryId": "100001", "name": "Sample"}}}


async def test_a_requests_global_id_does_not_update_the_organization(graphql: GraphQL) -> None:
    refused = await graphql.post(UPDATE, {"id": REQUEST_100001})
    after = await graphql.data('{ organization(id: "100001") { name } }')
    right = await graphql.data(UPDATE, {"id": encode("Organization", "100001")})

    _refused(refused, "id")
    assert after == {"organization": {"name": "Sample"}}
    assert right["updateOrganization"]["organization"] == {"name": "Renamed"}


async def test_a_profiles_global_id_grants_no_role_on_an_organization(graphql: GraphQL) -> None:
    """Profile 110000 and an organization id in an input object (RoleInput.organizationId)."""
    profile = encode("Profile", "110000")
    roles = [{"function": "BUYER", "organizationId": encode("Profile", "100001")}]

    refused = await graphql.post(GRANT, {"id": profile, "roles": roles})
    swapped = await graphql.post(
        GRANT,
        {
            "id": encode("Organization", "110000"),
            "roles": [{"function": "BUYER", "organizationId": "100001"}],
        },
    )

    _refused(refused, "organizationId")
    assert swapped["data"] is None
    assert swapped["errors"][0]["extensions"] == {"code": "100002", "field": "contactId"}


async def test_a_site_argument_refuses_an_organizations_global_id(
    client: httpx.AsyncClient,
) -> None:
    document = """query($site: ID) { organization(id: "100001") {
      approvalRequired(site: $site) } }"""

    refused = await client.post(
        "/graphql",
        json={"query": document, "variables": {"site": encode("Organization", "100001")}},
    )
    right = await client.post(
        "/graphql", json={"query": document, "variables": {"site": encode("Site", "siteUS")}}
    )

    assert refused.json()["errors"][0]["extensions"] == {"code": "100002", "field": "site"}
    assert "errors" not in right.json()


async def test_over_get_a_wrong_type_is_refused_and_not_cached(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql",
        params={"query": f'{{ organization(id: "{REQUEST_100001}") {{ name }} }}'},
    )

    assert response.json()["errors"][0]["extensions"]["code"] == "100002"
    assert response.headers["cache-control"] == "no-store"


def test_every_id_argument_and_input_field_declares_its_node_type() -> None:
    positions = sorted(set(schema_positions(default_schema()._schema)))

    undeclared = []
    for owner, name in positions:
        try:
            node_type = expected(owner, name)
        except KeyError:
            undeclared.append((owner, name))
            continue
        kinds = node_type if isinstance(node_type, frozenset) else {node_type}
        assert kinds <= {*NODE_TYPES, ANY, None}, (owner, name)
    assert undeclared == []
    assert len(positions) > 40


def test_every_node_types_global_id_decodes_and_a_vendor_id_does_not() -> None:
    """decode() tells a global id by its first characters before decoding it (a list of
    40,000 vendor ids in a variable): every type's global id still decodes."""
    for type_name in global_ids.NODE_TYPES:
        for vendor_id in ("1", "100001", "siteUS", "0b0e1a9c-5a57-4c2e-9e55-3b8f6a1d2c4e"):
            ref = global_ids.decode(global_ids.encode(type_name, vendor_id))
            assert (ref, getattr(ref, "type_name", None)) == (vendor_id, type_name)
    # "T3JnYW5pemF0aW9uOjE=" is Organization:1 padded (test_id_spellings); over-padded is none.
    for vendor_id in ("100001", "T3Jn", "siteUS", "", "T3JnYW5pemF0aW9uOjE=="):
        assert global_ids.decode(vendor_id) is None
