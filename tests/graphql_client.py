"""A GraphQL client over the app and input builders for the GraphQL tests (imported by
tests/graphql_fixtures.py, which turns them into fixtures)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from graphql import (
    REMOVE,
    BooleanValueNode,
    FloatValueNode,
    IntValueNode,
    ListValueNode,
    NameNode,
    NullValueNode,
    ObjectFieldNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    parse,
    print_ast,
    visit,
)

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


def inlined(query: str, variables: Mapping[str, Any]) -> str:
    """``query`` with ``variables`` written into it as literals, their definitions dropped.
    The transport refuses a string PostgreSQL text cannot hold (a NUL) in variables
    (graphql.request_body); written as an escape in the document's own literal
    (``"a\\u0000"``) it reaches the resolvers, whose rules for it the tests check so."""

    class Inline(Visitor):
        def enter_variable_definition(self, node: VariableDefinitionNode, *_: Any) -> Any:
            return REMOVE if node.variable.name.value in variables else None

        def enter_variable(self, node: VariableNode, *_: Any) -> Any:
            name = node.name.value
            return _literal(variables[name]) if name in variables else None

    return print_ast(visit(parse(query), Inline()))


def _literal(value: Any) -> ValueNode:
    if value is None:
        return NullValueNode()
    if isinstance(value, bool):
        return BooleanValueNode(value=value)
    if isinstance(value, int):
        return IntValueNode(value=str(value))
    if isinstance(value, float):
        return FloatValueNode(value=repr(value))
    if isinstance(value, str):
        return StringValueNode(value=value)
    if isinstance(value, list):
        return ListValueNode(values=tuple(_literal(item) for item in value))
    fields = (
        ObjectFieldNode(name=NameNode(value=key), value=_literal(item))
        for key, item in value.items()
    )
    return ObjectValueNode(fields=tuple(fields))
