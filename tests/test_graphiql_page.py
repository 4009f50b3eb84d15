"""The GraphiQL page and its assets, served by the gateway (the browser test is in
test_graphiql_offline.py)."""

from __future__ import annotations

import importlib.util
import json
import re

import httpx
import pytest

from orgql.graphiql import ASSET_DIR, PACKAGES, cdn_url

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
