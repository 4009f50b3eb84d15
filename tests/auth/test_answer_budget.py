"""Data that outgrows a declared list maximum cannot make an answer larger than the cost
limit: every object completed spends its fields from the operation's budget, and past it
the operation stops with ANSWER_TOO_LARGE, on both executors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from orgql.graphql.list_bounds import DECLARED_ADDRESSES
from rest.builders import secondary_address

ADDRESSES = DECLARED_ADDRESSES * 3
#: Two fields on each address: the cost counts DECLARED_ADDRESSES of them, the data has 3x.
QUERY = (
    "query($id: ID!) { organization(id: $id)"
    " { secondaryAddresses { addressType address { city } } } }"
)
#: organization + secondaryAddresses + the declared addresses with their fields: the cost.
DECLARED_COST = 1 + 1 + DECLARED_ADDRESSES * (2 + 1)
ANSWERED_FIELDS = 1 + 1 + ADDRESSES * (2 + 1)

#: The ``limited`` fixture (tests/auth/conftest.py).
Limited = Callable[..., Any]


async def _organization_with_many_addresses(client: httpx.AsyncClient) -> str:
    response = await client.post(
        "/ccadmin/v1/organizations",
        json={
            "name": "Many addresses",
            "secondaryAddresses": [secondary_address(f"a{i}") for i in range(ADDRESSES)],
        },
    )
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "graphql-core"])
async def test_an_answer_past_the_cost_limit_stops_with_answer_too_large(
    limited: Limited, compiled: bool
) -> None:
    limit = DECLARED_COST + 10  # the document passes analysis, its data does not fit
    async with limited(graphql_max_cost=limit, graphql_compiled_executor=compiled) as client:
        organization = await _organization_with_many_addresses(client)
        response = await client.post(
            "/graphql", json={"query": QUERY, "variables": {"id": organization}}
        )

    body = response.json()
    assert response.status_code == 200
    assert body["data"] == {"organization": None}
    assert [error["extensions"] for error in body["errors"]] == [
        {"code": "ANSWER_TOO_LARGE", "limit": limit}
    ]


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "graphql-core"])
async def test_an_answer_within_the_limit_is_whole(limited: Limited, compiled: bool) -> None:
    async with limited(
        graphql_max_cost=ANSWERED_FIELDS, graphql_compiled_executor=compiled
    ) as client:
        organization = await _organization_with_many_addresses(client)
        response = await client.post(
            "/graphql", json={"query": QUERY, "variables": {"id": organization}}
        )

    body = response.json()
    assert "errors" not in body
    assert len(body["data"]["organization"]["secondaryAddresses"]) == ADDRESSES
