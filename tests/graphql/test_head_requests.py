"""HEAD is GET without the body (RFC 9110): wherever GET is answered, HEAD gets the same
status and headers (a 405 or a 400 included) and no body; a 405 lists HEAD in ``Allow``
wherever it lists GET. /graphql answers it itself (its route takes every method), the other
routes through Starlette, which adds HEAD to every GET route."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

QUERY = '{ organization(id: "100001") { repositoryId name } }'
MUTATION = 'mutation { createOrganization(input: {name: "Over HEAD"}) { userErrors { code } } }'
#: The headers a HEAD must answer as its GET does (the others vary by request: date, id).
COMPARED = ("content-type", "content-length", "etag", "cache-control", "vary", "allow")


def headers_of(response: httpx.Response) -> dict[str, str | None]:
    return {name: response.headers.get(name) for name in COMPARED}


@pytest.mark.parametrize(
    "params",
    [
        {"query": QUERY},
        {"query": '{ organization(id: "100001") { nope } }'},  # 200 with errors: no-store
        {"query": QUERY, "variables": "{not json"},  # 400 before it runs
        {"query": MUTATION},  # 405, Allow: POST
        {},  # no query: 400
    ],
)
async def test_head_on_graphql_answers_as_get_without_the_body(
    client: httpx.AsyncClient, params: dict[str, Any]
) -> None:
    got = await client.get("/graphql", params=params)
    head = await client.head("/graphql", params=params)

    assert got.content  # a GET's body, that the HEAD leaves out
    assert (head.status_code, headers_of(head)) == (got.status_code, headers_of(got))
    assert head.content == b""


async def test_head_with_the_etag_of_its_get_is_304(client: httpx.AsyncClient) -> None:
    tag = (await client.get("/graphql", params={"query": QUERY})).headers["etag"]

    head = await client.head("/graphql", params={"query": QUERY}, headers={"If-None-Match": tag})

    assert (head.status_code, head.headers["etag"], head.content) == (304, tag, b"")


async def test_a_mutation_over_head_is_not_run(client: httpx.AsyncClient) -> None:
    head = await client.head("/graphql", params={"query": MUTATION})
    found = await client.post(
        "/graphql",
        json={"query": '{ organizations(filter: {nameContains: "Over HEAD"}) { totalCount } }'},
    )

    assert (head.status_code, head.headers["allow"]) == (405, "POST")
    assert found.json()["data"]["organizations"]["totalCount"] == 0


async def test_a_405_of_graphql_lists_head(client: httpx.AsyncClient) -> None:
    response = await client.delete("/graphql")

    assert (response.status_code, response.headers["allow"]) == (405, "GET, HEAD, POST")


@pytest.mark.parametrize(
    "path", ["/ccadmin/v1/organizations/100001", "/ccadmin/v1/organizations", "/healthz"]
)
async def test_head_on_the_other_routes_answers_as_get(
    client: httpx.AsyncClient, path: str
) -> None:
    """Their HEAD's body is left out by the HTTP server (uvicorn), not by the app."""
    got = await client.get(path)
    head = await client.head(path)

    assert got.status_code == 200
    assert (head.status_code, headers_of(head)) == (got.status_code, headers_of(got))


@pytest.mark.parametrize("path", ["/ccadmin/v1/organizations/100001", "/healthz"])
async def test_a_405_of_the_other_routes_lists_head_with_get(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.patch(path)

    assert response.status_code == 405
    allowed = response.headers["allow"].split(", ")
    assert "GET" in allowed
    assert "HEAD" in allowed
