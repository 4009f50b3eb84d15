"""Queries over GET (graphql.http_get), as the GraphQL-over-HTTP specification describes
them: URL parameters, mutations refused with 405, ETag and 304, caching headers that keep
one caller's answer from another, and the edge limits of a POST."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

QUERY = '{ organization(id: "100001") { repositoryId name } }'
MUTATION = 'mutation { deactivateOrganization(id: "100003") { userErrors { code } } }'
DEEP = '{ organization(id: "1") { ' + "parentOrganization { " * 15 + "name" + " }" * 16 + " }"


async def test_a_query_over_get_answers_with_an_etag_then_304(client: httpx.AsyncClient) -> None:
    first = await client.get("/graphql", params={"query": QUERY})
    again = await client.get(
        "/graphql", params={"query": QUERY}, headers={"If-None-Match": first.headers["etag"]}
    )
    other = await client.get(
        "/graphql", params={"query": QUERY}, headers={"If-None-Match": '"something-else"'}
    )

    assert first.status_code == 200
    assert first.json() == {"data": {"organization": {"repositoryId": "100001", "name": "Sample"}}}
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert other.status_code == 200


async def test_variables_operation_name_and_extensions_are_url_parameters(
    client: httpx.AsyncClient,
) -> None:
    document = """query A($id: ID!) { organization(id: $id) { name } }
                  query B { sites { repositoryId } }"""
    params = {
        "query": document,
        "operationName": "A",
        "variables": json.dumps({"id": "100001"}),
        "extensions": json.dumps({}),
    }

    response = await client.get("/graphql", params=params)

    assert response.json() == {"data": {"organization": {"name": "Sample"}}}


async def test_an_answer_with_credentials_is_private_and_varies_on_them(
    client: httpx.AsyncClient, anonymous_client: httpx.AsyncClient
) -> None:
    signed_in = await client.get("/graphql", params={"query": QUERY})
    anonymous = await anonymous_client.get("/graphql", params={"query": "{ sites { name } }"})

    assert signed_in.headers["cache-control"] == "private, no-cache"
    assert anonymous.headers["cache-control"] == "public, no-cache"
    for response in (signed_in, anonymous):
        vary = {value.strip().lower() for value in response.headers["vary"].split(",")}
        assert {"authorization", "x-ccsite"} <= vary


async def test_an_answer_that_the_x_ccorganization_header_chooses_varies_on_it(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    """viewer.currentOrganization answers the account X-CCOrganization names: one URL and
    one token, two answers. A cache keying on Vary must tell them apart."""
    query = "{ viewer { currentOrganization { repositoryId } } }"
    async with shopper_client("110000") as shopper:
        chosen = await shopper.get(
            "/graphql", params={"query": query}, headers={"X-CCOrganization": "100001"}
        )
        not_theirs = await shopper.get(
            "/graphql", params={"query": query}, headers={"X-CCOrganization": "100002"}
        )

    assert chosen.json() != not_theirs.json()  # the header changes the answer
    for response in (chosen, not_theirs):
        vary = {value.strip().lower() for value in response.headers["vary"].split(",")}
        assert "x-ccorganization" in vary


async def test_two_callers_never_share_an_etag_match_of_different_answers(
    client: httpx.AsyncClient, shopper_client: Callable[[str], httpx.AsyncClient]
) -> None:
    query = '{ organization(id: "100002") { name } }'  # not the shopper's account
    admin = await client.get("/graphql", params={"query": query})
    async with shopper_client("110000") as shopper:
        theirs = await shopper.get(
            "/graphql", params={"query": query}, headers={"If-None-Match": admin.headers["etag"]}
        )

    assert theirs.status_code == 200
    assert theirs.json() == {"data": {"organization": None}}


async def test_an_answer_with_errors_is_not_stored(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "{ organization { name } }"})

    assert "errors" in response.json()
    assert response.headers["cache-control"] == "no-store"
    assert "etag" not in response.headers


async def test_a_mutation_over_get_is_405_and_changes_nothing(client: httpx.AsyncClient) -> None:
    mutation = 'mutation { createOrganization(input: {name: "Over GET"}) { userErrors { code } } }'

    response = await client.get("/graphql", params={"query": mutation})
    found = await client.post(
        "/graphql",
        json={"query": '{ organizations(filter: {nameContains: "Over GET"}) { totalCount } }'},
    )

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    assert found.json()["data"]["organizations"]["totalCount"] == 0


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "OPTIONS"])
async def test_another_method_is_a_405_graphql_error(
    client: httpx.AsyncClient, method: str
) -> None:
    """Like every refusal at the HTTP level of /graphql (edge_errors), not Starlette's plain
    text: a GraphQL client reads ``errors``."""
    response = await client.request(method, "/graphql", json={"query": "{ __typename }"})

    assert (response.status_code, response.headers["allow"]) == (405, "GET, HEAD, POST")
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": f"{method} is not a method of /graphql: send GET or POST",
                "extensions": {"code": "METHOD_NOT_ALLOWED"},
            }
        ],
    }


async def test_a_url_past_the_limit_is_414(client: httpx.AsyncClient) -> None:
    query = "{ sites { " + "name " * 2000 + "} }"

    response = await client.get("/graphql", params={"query": query})

    assert response.status_code == 414
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"query": QUERY, "variables": "{not json"}, 400),
        ({"query": QUERY, "variables": "[1]"}, 400),
        ({"query": QUERY, "extensions": "NaN"}, 400),
        ({"query": DEEP}, 400),  # past the depth limit
    ],
)
async def test_the_edge_limits_apply_to_get(
    client: httpx.AsyncClient, params: dict[str, Any], status: int
) -> None:
    response = await client.get("/graphql", params=params)

    assert response.status_code == status
    assert response.json()["errors"][0]["extensions"]["code"]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"query": QUERY, "variables": "{not json"}, 400),
        ({"query": QUERY, "extensions": "[1]"}, 400),
        ({"query": "{ sites { " + "name " * 2000 + "} }"}, 414),
        ({"query": MUTATION}, 405),
    ],
)
async def test_a_get_refused_before_it_runs_is_not_stored(
    client: httpx.AsyncClient, params: dict[str, Any], status: int
) -> None:
    """The same URL may be answered once the cause is gone (a mutation's 405 and a URL's 414
    are cacheable by default, RFC 9111): no shared cache keeps the refusal."""
    response = await client.get("/graphql", params=params)

    assert response.status_code == status
    assert response.headers["cache-control"] == "no-store"
    assert "etag" not in response.headers


async def test_a_browser_opening_graphql_still_gets_graphiql(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
