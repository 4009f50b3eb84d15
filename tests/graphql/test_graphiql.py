"""GET /graphql: GraphiQL for people with a browser; with a query, the query's answer."""

from __future__ import annotations

import httpx


async def test_a_browser_gets_the_graphiql_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


async def test_a_get_with_a_query_runs_it_rather_than_showing_graphiql(
    client: httpx.AsyncClient,
) -> None:
    # Queries over GET (tests/graphql/test_get_queries.py); a GET never runs a mutation, and
    # a link cannot carry the Authorization header a query needs for anything but sites.
    response = await client.get(
        "/graphql",
        params={"query": "{ sites { repositoryId } }"},
        headers={"Accept": "text/html, application/json"},
    )

    assert response.status_code == 200
    assert response.json()["data"]["sites"]
