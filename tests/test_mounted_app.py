"""An app mounted into another ASGI app (a Starlette ``Mount("/api", app=orgql)``) is served
under ``/api`` as much as one behind ``uvicorn --root-path /api`` (tests/test_edge_answers.py):
its own router answers ``/api/graphql`` with GraphQL, and so does its edge. Starlette's Mount
sets ``app_root_path`` to the *parent's* root path (""): the edge reads the root path the
request entered the app with instead (orgql.edge_errors.enter_app), else it took
``/api/graphql`` for a REST path, answered its refusals as errorModels and logged it as
``other``, and REST requests lost their operation name."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

TOO_LARGE = b"{" + b" " * (2 * 1024 * 1024) + b"}"


@pytest.fixture
def mounted(
    app: Starlette, app_state: Mapping[str, Any], client_for: Callable[..., httpx.AsyncClient]
) -> httpx.AsyncClient:
    """A client of a parent app that mounts the app under ``/api``."""
    return client_for(Starlette(routes=[Mount("/api", app=app)]), app_state)


def _access_fields(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str | None]]:
    return [
        (record.__dict__["transport"], record.__dict__["operation"])
        for record in caplog.records
        if record.name == "orgql.access"
    ]


async def test_a_mounted_app_answers_its_graphql_endpoint_in_graphql_shape(
    mounted: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    async with mounted as client:
        served = await client.post("/api/graphql", json={"query": "{ __typename }"})
        with caplog.at_level(logging.INFO, logger="orgql.access"):
            refused = await client.post("/api/graphql", content=TOO_LARGE)

    assert served.json() == {"data": {"__typename": "Query"}}  # the router found the endpoint
    assert refused.status_code == 413
    assert refused.json() == {
        "data": None,
        "errors": [
            {
                "message": "the request body is larger than 1048576 bytes",
                "extensions": {"code": "BAD_REQUEST"},
            }
        ],
    }
    assert _access_fields(caplog) == [("graphql", None)]


async def test_a_mounted_app_keeps_rest_error_models_and_operation_names(
    mounted: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    async with mounted as client:
        with caplog.at_level(logging.INFO, logger="orgql.access"):
            refused = await client.post("/api/ccadmin/v1/organizations", content=TOO_LARGE)
        not_graphql = await client.get("/api/ccadmin/graphql")
        # Open without a token below the app's root path too (rest.routes.ErrorModelRouter).
        login = await client.post("/api/ccadmin/v1/login", data={"grant_type": "password"})

    assert (refused.status_code, refused.json()["errorCode"]) == (413, "100002")
    assert _access_fields(caplog) == [("rest", "createOrganization")]
    assert (not_graphql.status_code, not_graphql.json()["errorCode"]) == (404, "404")
    assert login.status_code == 400, login.text
