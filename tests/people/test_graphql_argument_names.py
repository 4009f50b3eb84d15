"""The people mutations' refusals name what the GraphQL caller sent: their arguments'
names in the field and in the message (graphql.errors.argument_paths, and the names the core
parsers take, core.common.validation.InputNames), never the REST bodies' keys, which the REST
answers keep."""

from __future__ import annotations

from typing import Any

import httpx
from people_support import PROFILES, SAMPLE, SHELLY

from orgql.graphql.global_ids import encode

BARE_ID = "must be a non-blank id of at most 254 characters"

CREATE = """mutation($input: CreateContactInput!) {
  createContact(input: $input) { contact { repositoryId } userErrors { code message field } } }"""
PARENT = """mutation($org: ID!) {
  updateParentOrganization(contactId: "110000", organizationId: $org) {
    contact { repositoryId } userErrors { code message field } } }"""
APPEND = """mutation($orgs: [ID!]!) {
  appendSecondaryOrganizations(contactId: "110000", organizationIds: $orgs) {
    contact { repositoryId } userErrors { code message field } } }"""
GRANT = """mutation($org: ID!) {
  grantRoles(contactId: "110000", roles: [{function: ADMIN, organizationId: $org}]) {
    contact { repositoryId } userErrors { code message field } } }"""


async def run(client: httpx.AsyncClient, query: str, **variables: Any) -> list[dict[str, Any]]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    (payload,) = response.json()["data"].values()
    assert payload["contact"] is None, payload
    errors: list[dict[str, Any]] = payload["userErrors"]
    return errors


def problem(code: str, message: str, field: str) -> dict[str, Any]:
    return {"code": code, "message": message, "field": field}


async def test_create_contact_names_its_organization_arguments(client: httpx.AsyncClient) -> None:
    blank = await run(client, CREATE, input={"email": "a@example.com", "parentOrganizationId": ""})
    huge = await run(
        client, CREATE, input={"email": "a@example.com", "parentOrganizationId": "9" * 100_000}
    )
    secondary = await run(
        client, CREATE, input={"email": "a@example.com", "secondaryOrganizationIds": [SAMPLE, " "]}
    )
    missing = await run(
        client,
        CREATE,
        input={
            "email": "a@example.com",
            "parentOrganizationId": "nowhere",
            "secondaryOrganizationIds": [SAMPLE, "elsewhere"],
        },
    )

    assert (
        blank
        == huge
        == [problem("100002", f"parentOrganizationId {BARE_ID}", "parentOrganizationId")]
    )
    assert secondary == [
        problem(
            "100002",
            "secondaryOrganizationIds holds an invalid id: ' '",
            "secondaryOrganizationIds[1]",
        )
    ]
    assert missing == [
        problem("100001", "Organization 'nowhere' does not exist", "parentOrganizationId"),
        problem("100001", "Organization 'elsewhere' does not exist", "secondaryOrganizationIds[1]"),
    ]


async def test_update_parent_organization_names_its_organization_id(
    client: httpx.AsyncClient,
) -> None:
    blank = await run(client, PARENT, org="")
    missing = await run(client, PARENT, org="nowhere")

    assert blank == [problem("100002", f"organizationId {BARE_ID}", "organizationId")]
    assert missing == [problem("100001", "Organization 'nowhere' does not exist", "organizationId")]


async def test_secondary_organizations_name_the_organization_ids(
    client: httpx.AsyncClient,
) -> None:
    errors = await run(client, APPEND, orgs=[SAMPLE, ""])

    assert errors == [
        problem("100002", "organizationIds holds an invalid id: ''", "organizationIds[1]")
    ]


async def test_a_role_names_its_organization_id(client: httpx.AsyncClient) -> None:
    blank = await run(client, GRANT, org="")
    missing = await run(client, GRANT, org="nowhere")

    assert blank == [problem("100002", f"organizationId {BARE_ID}", "roles[0].organizationId")]
    assert missing == [
        problem("100001", "Organization 'nowhere' does not exist", "roles[0].organizationId")
    ]


async def test_rest_keeps_naming_the_body_keys(client: httpx.AsyncClient) -> None:
    created = await client.post(
        PROFILES, json={"email": "a@example.com", "parentOrganization": {"id": ""}}
    )
    role = {"roles": [{"function": "admin", "relativeTo": {"id": " "}}]}
    granted = await client.post(f"{PROFILES}/{SHELLY}/addRoles", json=role)
    appended = await client.post(
        f"{PROFILES}/{SHELLY}/appendSecondaryOrganizations",
        json={"secondaryOrganizations": [{"id": ""}]},
    )

    assert [
        (r.status_code, r.json()["message"], r.json()["o:errorPath"])
        for r in (created, granted, appended)
    ] == [
        (400, "parentOrganization must be an object with an id", "parentOrganization"),
        (400, "relativeTo.id must be an organization id", "roles[0].relativeTo.id"),
        (400, "secondaryOrganizations holds an invalid id: ''", "secondaryOrganizations[0]"),
    ]


UNKNOWN_CONTACT = {
    "appendSecondaryOrganizations": "organizationIds: []",
    "removeSecondaryOrganizations": "organizationIds: []",
    "replaceSecondaryOrganizations": "organizationIds: []",
    "updateParentOrganization": f'organizationId: "{SAMPLE}"',
    "grantRoles": f'roles: [{{function: BUYER, organizationId: "{SAMPLE}"}}]',
    "revokeRoles": f'roles: [{{function: BUYER, organizationId: "{SAMPLE}"}}]',
}


async def test_an_unknown_contact_is_named_contact_id(client: httpx.AsyncClient) -> None:
    """The contact these mutations change is their ``contactId`` argument (the core calls it
    ``id``, the REST path's). Its message quotes the vendor id, given as such or in a global
    id (an ID argument's global id reaches the core as its vendor id, graphql.global_ids: as
    every other not-found message does)."""
    global_id = encode("Contact", "999999")
    for mutation, arguments in UNKNOWN_CONTACT.items():
        for contact_id in ("999999", global_id):
            query = f"""mutation($contact: ID!) {{ {mutation}(contactId: $contact, {arguments})
              {{ contact {{ repositoryId }} userErrors {{ code message field }} }} }}"""
            errors = await run(client, query, contact=contact_id)

            assert errors == [problem("22002", "Profile '999999' does not exist", "contactId")], (
                mutation
            )
