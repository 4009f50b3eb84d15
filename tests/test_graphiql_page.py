"""The GraphiQL page and its assets, served by the gateway (the browser test is in
test_graphiql_offline.py)."""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from orgql.app import create_app
from orgql.graphiql import ASSET_DIR, EXAMPLE_QUERY, PACKAGES, TOKEN_PATH, cdn_url
from orgql.settings import Settings

ASSETS = [name for _, files in PACKAGES.values() for name in files.values()]
BROWSER = {"Accept": "text/html"}
#: Admin tokens (and so the prefilled header) come with the authentication work (issue 6).
AUTHENTICATION = importlib.util.find_spec("orgql.auth") is not None


async def test_the_page_loads_every_asset_from_the_gateway_with_the_cdn_as_fallback(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/graphql", headers=BROWSER)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for name in ASSETS:
        assert f'"/graphiql/assets/{name}"' in response.text
        assert cdn_url(name) in response.text
    assert cdn_url("graphiql.min.js") == "https://unpkg.com/graphiql@3.8.3/graphiql.min.js"


@pytest.mark.skipif(not AUTHENTICATION, reason="no admin tokens before authentication")
async def test_in_development_the_page_carries_an_admin_token_that_works(
    anonymous_client: httpx.AsyncClient,
) -> None:
    page = (await anonymous_client.get("/graphql", headers=BROWSER)).text
    options = json.loads(re.search(r"const options = (\{.*\});", page).group(1))  # type: ignore[union-attr]
    headers = json.loads(options["defaultHeaders"])

    response = await anonymous_client.post(
        "/graphql",
        json={"query": '{ organization(id: "100001") { name } }'},
        headers=headers,
    )

    assert list(headers) == ["Authorization"]
    assert response.json() == {"data": {"organization": {"name": "Sample"}}}


def page_options(page: str) -> dict[str, Any]:
    found = re.search(r"const options = (\{.*\});", page)
    assert found is not None
    options: dict[str, Any] = json.loads(found.group(1))
    return options


async def test_the_page_opens_with_an_example_query_that_runs(
    anonymous_client: httpx.AsyncClient,
) -> None:
    options = page_options((await anonymous_client.get("/graphql", headers=BROWSER)).text)

    assert options["defaultQuery"] == EXAMPLE_QUERY
    response = await anonymous_client.post(
        "/graphql",
        json={"query": options["defaultQuery"]},
        headers=json.loads(options["defaultHeaders"]),
    )
    body = response.json()
    assert "errors" not in body
    edges = body["data"]["organizations"]["edges"]
    assert edges[0]["node"]["name"] == "Sample"


async def test_in_development_the_page_renews_its_token_from_the_gateway(
    anonymous_client: httpx.AsyncClient,
) -> None:
    response = await anonymous_client.get(TOKEN_PATH)

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    issued = response.json()
    assert (issued["token_type"], issued["expires_in"]) == ("bearer", 300)
    answer = await anonymous_client.post(
        "/graphql",
        json={"query": '{ organization(id: "100001") { name } }'},
        headers={"Authorization": f"Bearer {issued['access_token']}"},
    )
    assert answer.json() == {"data": {"organization": {"name": "Sample"}}}


@pytest.mark.parametrize(
    "overrides",
    [{"environment": "production", "auth_signing_key": SecretStr("k" * 32)}, {"graphiql": False}],
)
async def test_no_token_is_handed_out_where_the_page_carries_none(
    settings: Settings,
    engine: AsyncEngine,
    client_for: Callable[..., httpx.AsyncClient],
    overrides: dict[str, Any],
) -> None:
    app = create_app(settings.model_copy(update=overrides), engine=engine)
    async with (
        app.router.lifespan_context(app) as state,
        client_for(app, state, token=None) as client,
    ):
        response = await client.get(TOKEN_PATH)
        page = await client.get("/graphql", headers=BROWSER)

    assert response.status_code == 404
    assert "access_token" not in response.text
    assert "Bearer" not in page.text


@pytest.mark.skipif(
    not all((ASSET_DIR / name).is_file() for name in ASSETS),
    reason="run `python -m orgql.graphiql.build` first",
)
@pytest.mark.parametrize("name", ASSETS)
async def test_the_built_assets_are_served(client: httpx.AsyncClient, name: str) -> None:
    response = await client.get(f"/graphiql/assets/{name}")

    assert response.status_code == 200
    assert response.content == (ASSET_DIR / name).read_bytes()


async def test_an_unknown_asset_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphiql/assets/missing.js")

    assert response.status_code == 404


async def test_graphiqls_own_introspection_query_passes_the_default_limits(
    client: httpx.AsyncClient,
) -> None:
    from graphql import get_introspection_query

    query = get_introspection_query(descriptions=True, input_value_deprecation=True, type_depth=9)
    response = await client.post("/graphql", json={"query": query})

    assert "errors" not in response.json(), response.json()["errors"]
