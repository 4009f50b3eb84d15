"""A shopper (a bearer token of the merchant's identity provider, ``sub`` = profile id)
reads only the organizations they are a member of; every other account is answered as a
missing id. Demo data: profile 110000 is a member of 100001 only (100002 is its child,
100003 its grandchild)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

SHOPPER = "110000"
OWN = "100001"
ORGANIZATION = "query($id: ID!) { organization(id: $id) { id name derivedDescription } }"


async def _graphql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_a_shopper_reads_their_own_organization_through_graphql(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    async with shopper_client(SHOPPER) as client:
        body = await _graphql(client, ORGANIZATION, id=OWN)

    assert body == {
        "data": {"organization": {"id": OWN, "name": "Sample", "derivedDescription": None}}
    } or (body["data"]["organization"]["id"] == OWN and "errors" not in body)


@pytest.mark.parametrize("other", ["100002", "100003"])
async def test_another_account_by_id_is_answered_as_a_missing_id_through_graphql(
    shopper_client: Callable[[str], httpx.AsyncClient], other: str
) -> None:
    async with shopper_client(SHOPPER) as client:
        refused = await _graphql(client, ORGANIZATION, id=other)
        missing = await _graphql(client, ORGANIZATION, id="999999")

    assert refused == missing == {"data": {"organization": None}}


async def test_the_organizations_connection_holds_only_the_shoppers_accounts(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    query = "{ organizations(first: 100) { totalCount edges { node { id } } } }"
    async with shopper_client(SHOPPER) as client:
        body = await _graphql(client, query)

    assert body["data"]["organizations"] == {"totalCount": 1, "edges": [{"node": {"id": OWN}}]}


async def test_a_filter_naming_another_account_finds_nothing(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    query = '{ organizations(filter: {parentId: "100001"}) { totalCount edges { node { id } } } }'
    async with shopper_client(SHOPPER) as client:
        body = await _graphql(client, query)

    assert body["data"]["organizations"] == {"totalCount": 0, "edges": []}


@pytest.mark.parametrize(
    "field",
    [
        "parentOrganization { id }",
        "ancestorOrganizations { id }",
        "childOrganizations { edges { node { id } } }",
        "descendants { edges { node { id } } }",
    ],
)
async def test_a_shopper_cannot_navigate_to_other_accounts(
    shopper_client: Callable[[str], httpx.AsyncClient], field: str
) -> None:
    query = f"{{ organizations {{ edges {{ node {{ id {field} }} }} }} }}"
    async with shopper_client(SHOPPER) as client:
        body = await _graphql(client, query)

    assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]


async def test_a_profile_without_memberships_reads_no_organization(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    async with shopper_client("no-such-profile") as client:
        one = await _graphql(client, ORGANIZATION, id=OWN)
        page = await _graphql(client, "{ organizations { totalCount } }")

    assert (one["data"], page["data"]) == (
        {"organization": None},
        {"organizations": {"totalCount": 0}},
    )


async def test_a_shopper_cannot_update_another_account_through_graphql(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    mutation = (
        'mutation { updateSiteOrganizationProperties(id: "100002", input: []) '
        "{ userErrors { code } } }"
    )
    async with shopper_client(SHOPPER) as client:
        body = await _graphql(client, mutation)

    assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]


# ---------------------------------------------------------------- REST


async def test_a_shopper_reads_their_own_organization_through_rest(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    async with shopper_client(SHOPPER) as client:
        response = await client.get(f"/ccstore/v1/organizations/{OWN}")

    assert (response.status_code, response.json()["id"]) == (200, OWN)


@pytest.mark.parametrize("other", ["100002", "100003"])
async def test_another_account_through_rest_is_the_404_of_a_missing_id(
    shopper_client: Callable[[str], httpx.AsyncClient], other: str
) -> None:
    async with shopper_client(SHOPPER) as client:
        refused = await client.get(f"/ccstore/v1/organizations/{other}")
        missing = await client.get("/ccstore/v1/organizations/999999")

    assert refused.status_code == missing.status_code == 404
    assert refused.text.replace(other, "<id>") == missing.text.replace("999999", "<id>")


async def test_a_shopper_token_does_not_open_the_admin_api(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    async with shopper_client(SHOPPER) as client:
        read = await client.get(f"/ccadmin/v1/organizations/{OWN}")
        write = await client.post(
            "/ccadmin/v1/organizations/100002/updateSiteOrganizationProperties", json={}
        )

    assert (read.status_code, write.status_code) == (401, 401)


async def test_an_anonymous_caller_cannot_read_an_organization_through_rest(
    anonymous_client: httpx.AsyncClient,
) -> None:
    response = await anonymous_client.get(f"/ccstore/v1/organizations/{OWN}")

    assert (response.status_code, response.json()["errorCode"]) == (401, "401")


@pytest.mark.parametrize(
    "overrides",
    [{"exp": 1}, {"aud": "another-app"}, {"iss": "https://other-idp.example.com/"}],
    ids=["expired", "wrong audience", "wrong issuer"],
)
async def test_a_shopper_token_that_is_not_valid_reads_nothing(
    app: Any,
    app_state: Any,
    client_for: Callable[..., httpx.AsyncClient],
    identity_provider: Any,
    overrides: dict[str, Any],
) -> None:
    token = identity_provider.token(SHOPPER, **overrides)
    async with client_for(app, app_state, token=token) as client:
        body = await _graphql(client, ORGANIZATION, id=OWN)
        rest = await client.get(f"/ccstore/v1/organizations/{OWN}")

    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]
    assert rest.status_code == 401


# ---------------------------------------------------------------- anonymous storefront


async def test_an_anonymous_caller_reads_the_sites(anonymous_client: httpx.AsyncClient) -> None:
    body = await _graphql(anonymous_client, "{ sites { id } }")

    assert sorted(site["id"] for site in body["data"]["sites"]) == ["site1", "site2", "siteUS"]


async def test_an_anonymous_caller_may_submit_an_organization_request(
    anonymous_client: httpx.AsyncClient,
) -> None:
    response = await anonymous_client.post("/ccstore/v1/organizationRequests", json={})

    assert response.status_code == 400  # validated, not refused (401)


# ---------------------------------------------------------------- keys from a JWKS URL


@pytest.fixture
def jwks_url(identity_provider: Any) -> Iterator[str]:
    """The identity provider's public key served as a JWKS on a loopback port."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from jwt.algorithms import RSAAlgorithm

    public_key = RSAAlgorithm(RSAAlgorithm.SHA256).prepare_key(identity_provider.public_pem)
    jwk = json.loads(RSAAlgorithm.to_jwk(public_key))
    document = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document.encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


async def test_shopper_tokens_are_checked_against_a_jwks_url(
    settings: Any,
    engine: Any,
    client_for: Callable[..., httpx.AsyncClient],
    identity_provider: Any,
    jwks_url: str,
) -> None:
    from orgql.app import create_app

    configured = settings.model_copy(
        update={"shopper_public_key": None, "shopper_jwks_url": jwks_url}
    )
    app = create_app(configured, engine=engine)
    good = identity_provider.token(SHOPPER)
    import jwt as pyjwt

    header_kid = pyjwt.encode(
        {
            "iss": identity_provider.issuer,
            "aud": identity_provider.audience,
            "sub": SHOPPER,
            "exp": 9999999999,
        },
        identity_provider.private_pem,
        algorithm="RS256",
        headers={"kid": "k1"},
    )
    async with app.router.lifespan_context(app) as state:
        async with client_for(app, state, token=header_kid) as client:
            own = await client.get(f"/ccstore/v1/organizations/{OWN}")
        async with client_for(app, state, token=good) as client:
            no_kid = await client.get(f"/ccstore/v1/organizations/{OWN}")

    assert (own.status_code, no_kid.status_code) == (200, 401)
