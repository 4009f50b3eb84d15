"""A GraphQL client over the app and input builders for the GraphQL tests (imported by
tests/graphql_fixtures.py, which turns them into fixtures)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

CREATE_ORGANIZATION = """
mutation Create($input: CreateOrganizationInput!, $site: ID) {
  createOrganization(input: $input, site: $site) {
    organization { repositoryId }
    userErrors { code message field }
  }
}
"""


@dataclass
class GraphQL:
    """POSTs GraphQL documents to the app, as a client over HTTP would."""

    client: httpx.AsyncClient
    #: Answers read with :func:`vendor_ids` (tests about other things than the id format).
    vendor_ids: bool = False

    async def post(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """The whole response body (``data`` and ``errors``); the HTTP status must be 200."""
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = dict(variables)
        response = await self.client.post("/graphql", json=body, headers=headers)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return vendor_ids(result) if self.vendor_ids else result

    async def data(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """``data`` of a response that must have no errors."""
        result = await self.post(query, variables, headers=headers)
        assert "errors" not in result, result["errors"]
        data: dict[str, Any] = result["data"]
        return data

    async def create_organization(
        self,
        name: str,
        *,
        site: str | None = None,
        headers: Mapping[str, str] | None = None,
        **fields: Any,
    ) -> str:
        """Create an organization through the mutation; returns its (vendor) id. ``fields`` are
        CreateOrganizationInput fields by their GraphQL names."""
        data = await self.data(
            CREATE_ORGANIZATION,
            {"input": {"name": name, **fields}, "site": site},
            headers=headers,
        )
        payload = data["createOrganization"]
        assert payload["userErrors"] == [], payload["userErrors"]
        organization_id: str = payload["organization"]["repositoryId"]
        return organization_id


#: The lines of an address of the demo's Sample organization (100001), as an input takes them.
SAMPLE_ADDRESS_LINES = {
    "companyName": "Sample",
    "address1": "600 Dexter Avenue",
    "city": "Montgomery",
    "state": "AL",
    "postalCode": "36130",
    "country": "US",
    "phoneNumber": "973-974-1234",
}


def address_input(address_type: str, city: str = "Boston", **flags: bool) -> dict[str, Any]:
    """A SecondaryAddressInput with every required field; ``flags`` are
    isDefaultBillingAddress / isDefaultShippingAddress."""
    return {
        "addressType": address_type,
        "address": {
            "companyName": f"{address_type} Inc.",
            "address1": f"1 {address_type} Street",
            "city": city,
            "state": "MA",
            "postalCode": "02110",
            "country": "US",
            "phoneNumber": "617-555-0100",
            **flags,
        },
    }


def contract_input(display_name: str, **overrides: Any) -> dict[str, Any]:
    """A ContractInput naming the demo catalog and price list group."""
    return {
        "displayName": display_name,
        "catalogId": "cloudCatalog",
        "priceListGroupId": "defaultPriceGroup",
        **overrides,
    }


def gid(vendor_id: str, type_name: str = "Organization") -> str:
    """The global id (``id`` of a Node type) of the object with the vendor id given."""
    from orgql.graphql.global_ids import encode

    return encode(type_name, vendor_id)


def vendor_ids(value: Any) -> Any:
    """A GraphQL answer with every ``id`` that is a global id read back as its vendor id:
    the ``repositoryId`` of the same object. For tests written about other things than the
    id format (access, history, inheritance), which compare ``id`` with vendor ids."""
    from orgql.graphql.global_ids import decode

    if isinstance(value, list):
        return [vendor_ids(item) for item in value]
    if not isinstance(value, dict):
        return value
    answer = {key: vendor_ids(item) for key, item in value.items()}
    found = decode(answer["id"]) if isinstance(answer.get("id"), str) else None
    if found is not None:
        answer["id"] = found.vendor_id
    return answer
