"""A real client: the ``gql`` Python client reads the schema by introspection, validates the
documents against it on its side (the Node interface, its fragments), and refetches objects
by global id, as a Relay-style client does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from gql import Client, GraphQLRequest, gql
from gql.transport.httpx import HTTPXAsyncTransport
from starlette.applications import Starlette

from orgql.auth.tokens import Authenticator
from orgql.settings import Settings

REFETCH = """
    query Refetch($ids: [ID!]!) {
      nodes(ids: $ids) {
        __typename
        id
        ... on Organization { repositoryId name parentOrganization { id } }
        ... on Site { repositoryId }
      }
    }
"""


async def test_gql_refetches_nodes_after_reading_their_ids(
    app: Starlette, app_state: Mapping[str, Any], settings: Settings
) -> None:
    async def with_state(scope: Any, receive: Any, send: Any) -> None:  # as a server would
        await app({**scope, "state": dict(app_state)}, receive, send)

    token = Authenticator(settings).issue_admin("gql").access_token
    transport = HTTPXAsyncTransport(
        url="http://localhost/graphql",
        transport=httpx.ASGITransport(app=with_state),
        headers={"Authorization": f"Bearer {token}"},
    )
    async with Client(transport=transport, fetch_schema_from_transport=True) as session:
        listed = await session.execute(
            gql('{ organization(id: "100002") { id } sites { id repositoryId } }')
        )
        site = next(s for s in listed["sites"] if s["repositoryId"] == "siteUS")
        ids = [listed["organization"]["id"], site["id"]]
        refetched = await session.execute(GraphQLRequest(REFETCH, variable_values={"ids": ids}))

    assert refetched["nodes"] == [
        {
            "__typename": "Organization",
            "id": ids[0],
            "repositoryId": "100002",
            "name": "Sample East",
            "parentOrganization": {"id": "T3JnYW5pemF0aW9uOjEwMDAwMQ"},
        },
        {"__typename": "Site", "id": ids[1], "repositoryId": "siteUS"},
    ]
