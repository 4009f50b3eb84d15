"""createOrganization and updateOrganization name their reference arguments
(parentOrganizationId, billingAddressId, shippingAddressId) in a refusal's field and message,
never the REST body's keys, which the REST answers keep."""

from __future__ import annotations

from typing import Any

import httpx

BARE_ID = "must be a non-blank id of at most 254 characters"
CREATE = """mutation($input: CreateOrganizationInput!) {
  createOrganization(input: $input) { organization { id } userErrors { code message field } } }"""
UPDATE = """mutation($input: UpdateOrganizationInput!) {
  updateOrganization(id: "100001", input: $input) {
    organization { id } userErrors { code message field } } }"""


async def user_errors(client: httpx.AsyncClient, query: str, **input: Any) -> list[Any]:
    response = await client.post("/graphql", json={"query": query, "variables": {"input": input}})
    assert response.status_code == 200, response.text
    (payload,) = response.json()["data"].values()
    assert payload["organization"] is None, payload
    errors: list[Any] = payload["userErrors"]
    return errors


def problem(code: str, name: str) -> dict[str, str]:
    return {"code": code, "message": f"{name} {BARE_ID}", "field": name}


async def test_create_organization_names_its_reference_arguments(
    client: httpx.AsyncClient,
) -> None:
    errors = await user_errors(
        client,
        CREATE,
        name="Refs",
        parentOrganizationId="",
        billingAddressId=" ",
        shippingAddressId="9" * 100_000,
    )

    assert errors == [
        problem("100002", "parentOrganizationId"),
        problem("100053", "billingAddressId"),
        problem("100054", "shippingAddressId"),
    ]


async def test_update_organization_names_its_reference_arguments(
    client: httpx.AsyncClient,
) -> None:
    errors = await user_errors(client, UPDATE, parentOrganizationId="", billingAddressId="")

    assert errors == [
        problem("100053", "billingAddressId"),
        problem("100002", "parentOrganizationId"),
    ]


async def test_rest_keeps_naming_the_body_keys(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/ccadmin/v1/organizations", json={"name": "Refs", "parentOrganization": {"id": ""}}
    )
    updated = await client.put(
        "/ccadmin/v1/organizations/100001", json={"billingAddress": {"id": " "}}
    )

    assert [
        (r.status_code, r.json()["message"], r.json()["o:errorPath"]) for r in (created, updated)
    ] == [
        (400, "parentOrganization must be an object with an id", "parentOrganization"),
        (400, "billingAddress must be an object with an id", "billingAddress"),
    ]
