"""The OpenAPI document describes exactly what the REST shim serves."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount, Route

OPENAPI = "/ccadmin/v1/openapi.json"


def _served(app: Starlette) -> set[tuple[str, str]]:
    """(path, method) of every route under the REST mounts; HEAD is implied by GET."""
    served: set[tuple[str, str]] = set()
    for mount in app.routes:
        if not isinstance(mount, Mount) or mount.path not in ("/ccadmin", "/ccstore"):
            continue
        for route in mount.routes:
            assert isinstance(route, Route)
            for method in route.methods or ():
                if method != "HEAD":
                    served.add((mount.path + route.path, method.lower()))
    return served


async def test_openapi_document_is_served_as_json(client: httpx.AsyncClient) -> None:
    response = await client.get(OPENAPI)

    assert response.status_code == 200
    assert response.json()["openapi"] == "3.1.0"


async def test_every_served_route_is_described_in_the_openapi_document(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    paths = (await client.get(OPENAPI)).json()["paths"]

    documented = {(path, method) for path, item in paths.items() for method in item}
    assert _served(app) == documented


async def test_every_schema_reference_in_the_openapi_document_resolves(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get(OPENAPI)).json()
    references: list[str] = []

    def collect(node: object) -> None:
        if isinstance(node, dict):
            references.extend(v for k, v in node.items() if k == "$ref")
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(document)
    schemas = document["components"]["schemas"]
    assert references
    assert [
        ref for ref in references if ref.removeprefix("#/components/schemas/") not in schemas
    ] == []
