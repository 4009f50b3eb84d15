"""A document of several operations runs only the one its operationName names: without a
name it is an error (GraphQL's GetOperation), on every execution path, over POST and GET;
strawberry alone ran the first operation."""

from __future__ import annotations

import httpx
import pytest

SECOND = "query B { sites { repositoryId } }"
MUST_NAME = "Must provide operation name if query contains multiple operations."


@pytest.mark.parametrize(
    "first",
    [
        'query A { organization(id: "100001") { name } }',  # the SQL plan path
        "query A { organizations(first: 2) { edges { node { name } } } }",  # a page
        "query A { sites { repositoryId } }",  # the resolvers
        'query A { node(id: "T3JnYW5pemF0aW9uOjEwMDAwMQ") { id } }',  # graphql-core
    ],
)
async def test_several_operations_without_a_name_are_an_error(
    client: httpx.AsyncClient, first: str
) -> None:
    response = await client.post("/graphql", json={"query": f"{first} {SECOND}"})

    body = response.json()
    assert body["data"] is None
    assert [error["message"] for error in body["errors"]] == [MUST_NAME]
    assert body["errors"][0]["extensions"]["code"] == "OPERATION_NAME_REQUIRED"


async def test_a_mutation_first_in_the_document_does_not_run_unnamed(
    client: httpx.AsyncClient,
) -> None:
    document = (
        'mutation M { deactivateOrganization(id: "100001") { organization { active } } }'
        f" {SECOND}"
    )

    refused = await client.post("/graphql", json={"query": document})
    after = await client.post(
        "/graphql", json={"query": '{ organization(id: "100001") { active } }'}
    )

    assert refused.json()["errors"][0]["message"] == MUST_NAME
    assert after.json() == {"data": {"organization": {"active": True}}}


async def test_over_get_an_unnamed_choice_is_an_error_not_cached(
    client: httpx.AsyncClient,
) -> None:
    document = (
        "query A { sites { repositoryId } }"
        ' mutation M { deactivateOrganization(id: "100001") { organization { active } } }'
    )

    response = await client.get("/graphql", params={"query": document})
    named = await client.get("/graphql", params={"query": document, "operationName": "A"})

    assert response.json()["errors"][0]["message"] == MUST_NAME
    assert response.headers["cache-control"] == "no-store"
    assert "etag" not in response.headers
    assert named.status_code == 200
    assert "errors" not in named.json()
