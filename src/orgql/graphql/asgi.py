"""Mounts the schema on Starlette: GraphiQL on GET from a browser, queries on POST."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from orgql.graphql.context import Context
from orgql.graphql.schema import schema
from orgql.settings import Settings


class OrgqlGraphQL(GraphQL[Context, None]):
    def encode_json(self, data: object) -> bytes:
        # orjson: several times faster than json.dumps on a page of nested results.
        return orjson.dumps(data)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        assert isinstance(request, Request)
        state = request.state
        return Context(
            request=request,
            settings=state.settings,
            sessionmaker=state.sessionmaker,
            site_header=request.headers.get("x-ccsite") or None,
        )


def graphql_app(settings: Settings) -> OrgqlGraphQL:
    return OrgqlGraphQL(
        schema,
        graphql_ide="graphiql" if settings.graphiql else None,
        allow_queries_via_get=False,
    )
