"""GET /graphql: GraphiQL for people with a browser, never a query."""

from __future__ import annotations

import httpx


async def test_a_browser_gets_the_graphiql_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


async def test_queries_are_not_run_from_get_requests(client: httpx.AsyncClient) -> None:
    # allow_queries_via_get=False: a GET cannot run a document (nor be made by a link to).
    response = await client.get(
        "/graphql",
        params={"query": "{ sites { id } }"},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error == {
        "message": "queries are not allowed when using GET",
        "extensions": {"code": "BAD_REQUEST"},
    }
