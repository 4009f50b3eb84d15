"""POST /ccadmin/v1/logout revokes the admin access token it carries: every later request
with it is refused, on REST and GraphQL; other tokens are untouched. Across processes,
expiry and the bound: test_logout_processes.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from starlette.applications import Starlette

from orgql.auth.tokens import Authenticator
from orgql.settings import Settings

LOGOUT = "/ccadmin/v1/logout"


async def test_a_logged_out_token_is_refused_everywhere(
    app: Starlette,
    app_state: Any,
    settings: Settings,
    client_for: Callable[..., httpx.AsyncClient],
) -> None:
    token = Authenticator(settings).issue_admin("test-suite").access_token
    other = Authenticator(settings).issue_admin("test-suite").access_token
    async with (
        client_for(app, app_state, token=token) as client,
        client_for(app, app_state, token=other) as kept,
    ):
        assert (await client.get("/ccadmin/v1/organizations/100001")).status_code == 200

        answer = await client.post(LOGOUT)

        assert (answer.status_code, answer.json()) == (200, {"result": True})
        rest = await client.get("/ccadmin/v1/organizations/100001")
        graphql = await client.post(
            "/graphql", json={"query": '{ organization(id: "100001") { id } }'}
        )
        again = await client.post(LOGOUT)
        assert (rest.status_code, rest.json()["message"]) == (
            401,
            "the access token has been revoked (logged out)",
        )
        assert graphql.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
        assert again.status_code == 401
        assert (await kept.get("/ccadmin/v1/organizations/100001")).status_code == 200


async def test_anonymous_callers_and_shoppers_cannot_log_out(
    anonymous_client: httpx.AsyncClient, shopper_client: Callable[[str], httpx.AsyncClient]
) -> None:
    async with shopper_client("110000") as shopper:
        answers = [await anonymous_client.post(LOGOUT), await shopper.post(LOGOUT)]

    assert [answer.status_code for answer in answers] == [401, 401]
