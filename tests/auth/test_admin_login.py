"""Admin clients log in with an application key and refresh their access token; operators
print one with `orgql token`; keys are created, listed and revoked with `orgql app-key`."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from orgql.auth.signing import SigningKeyError, development_key, signing_key
from orgql.auth.tokens import Authenticator
from orgql.cli import main
from orgql.core.access import app_keys
from orgql.db import access_models
from orgql.db.engine import make_sessionmaker
from orgql.settings import Settings

LOGIN = "/ccadmin/v1/login"
REFRESH = "/ccadmin/v1/refresh"
FORM = {"grant_type": "client_credentials"}


@pytest.fixture
def new_key(engine: AsyncEngine) -> Callable[[], Awaitable[tuple[str, str]]]:
    """Create an application key: (its id, the key)."""

    async def create() -> tuple[str, str]:
        async with make_sessionmaker(engine)() as session, session.begin():
            info, key = await app_keys.create_app_key(session, "storefront sync")
        return info.id, key

    return create


async def _login(client: httpx.AsyncClient, key: str, **form: str) -> httpx.Response:
    return await client.post(LOGIN, data=form or FORM, headers={"Authorization": f"Bearer {key}"})


async def test_login_with_an_application_key_answers_a_short_lived_admin_token(
    anonymous_client: httpx.AsyncClient, new_key: Any, settings: Settings
) -> None:
    key_id, key = await new_key()

    response = await _login(anonymous_client, key)

    body = response.json()
    assert (response.status_code, sorted(body), body["token_type"], body["expires_in"]) == (
        200,
        ["access_token", "expires_in", "token_type"],
        "bearer",
        300,
    )
    claims = jwt.decode(
        body["access_token"],
        settings.auth_signing_key.get_secret_value(),  # type: ignore[union-attr]
        algorithms=["HS256"],
        audience="orgql-admin",
    )
    assert (claims["iss"], claims["sub"], claims["scope"], claims["exp"] - claims["iat"]) == (
        "orgql",
        key_id,
        "admin",
        300,
    )


async def test_the_token_from_login_opens_the_admin_api(
    anonymous_client: httpx.AsyncClient, new_key: Any
) -> None:
    _, key = await new_key()
    token = (await _login(anonymous_client, key)).json()["access_token"]

    response = await anonymous_client.get(
        "/ccadmin/v1/organizations/100001", headers={"Authorization": f"Bearer {token}"}
    )

    assert (response.status_code, response.json()["id"]) == (200, "100001")


@pytest.mark.parametrize("key", ["nope", "abc.def", "", "0123456789abcdef.wrong-secret"], ids=repr)
async def test_login_with_an_unknown_or_wrong_key_is_401(
    anonymous_client: httpx.AsyncClient, key: str
) -> None:
    response = await _login(anonymous_client, key)

    assert (response.status_code, response.json()["errorCode"]) == (401, "401")


async def test_login_with_the_wrong_secret_of_a_real_key_is_401(
    anonymous_client: httpx.AsyncClient, new_key: Any
) -> None:
    key_id, _ = await new_key()

    response = await _login(anonymous_client, f"{key_id}.not-the-secret")

    assert response.status_code == 401


async def test_login_with_a_revoked_key_is_401(
    anonymous_client: httpx.AsyncClient, new_key: Any, engine: AsyncEngine
) -> None:
    key_id, key = await new_key()
    async with make_sessionmaker(engine)() as session, session.begin():
        await app_keys.revoke_app_key(session, key_id)

    response = await _login(anonymous_client, key)

    assert response.status_code == 401


async def test_login_without_client_credentials_grant_is_400(
    anonymous_client: httpx.AsyncClient, new_key: Any
) -> None:
    _, key = await new_key()

    response = await _login(anonymous_client, key, grant_type="password")

    body = response.json()
    assert (response.status_code, body["errorCode"], body["o:errorPath"]) == (
        400,
        "100002",
        "grant_type",
    )


async def test_keys_are_stored_as_sha256_of_the_secret_only(
    new_key: Any, engine: AsyncEngine
) -> None:
    key_id, key = await new_key()

    async with make_sessionmaker(engine)() as session:
        row = await session.scalar(
            select(access_models.AppKey).where(access_models.AppKey.id == key_id)
        )

    assert row is not None
    assert row.secret_hash == hashlib.sha256(key.split(".", 1)[1].encode()).hexdigest()
    assert key.split(".", 1)[1] not in row.secret_hash


async def test_refresh_answers_a_new_token_for_a_valid_one(
    anonymous_client: httpx.AsyncClient, new_key: Any
) -> None:
    key_id, key = await new_key()
    token = (await _login(anonymous_client, key)).json()["access_token"]

    response = await anonymous_client.post(REFRESH, headers={"Authorization": f"Bearer {token}"})

    body = response.json()
    assert response.status_code == 200
    assert body["access_token"] != token
    assert jwt.decode(body["access_token"], options={"verify_signature": False})["sub"] == key_id


async def test_refresh_of_a_revoked_key_token_is_401(
    anonymous_client: httpx.AsyncClient, new_key: Any, engine: AsyncEngine
) -> None:
    key_id, key = await new_key()
    token = (await _login(anonymous_client, key)).json()["access_token"]
    async with make_sessionmaker(engine)() as session, session.begin():
        await app_keys.revoke_app_key(session, key_id)

    response = await anonymous_client.post(REFRESH, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401


async def test_refresh_without_a_token_is_401(anonymous_client: httpx.AsyncClient) -> None:
    response = await anonymous_client.post(REFRESH)

    assert (response.status_code, response.json()["errorCode"]) == (401, "401")


async def test_openapi_document_is_public(anonymous_client: httpx.AsyncClient) -> None:
    response = await anonymous_client.get("/ccadmin/v1/openapi.json")

    assert response.status_code == 200


# ---------------------------------------------------------------- signing key


def test_a_development_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "data" / "auth-signing-key"

    first = development_key(path)

    assert (development_key(path), len(first) >= 32, path.stat().st_mode & 0o777) == (
        first,
        True,
        0o600,
    )


def test_production_without_a_signing_key_refuses_to_start(tmp_path: Path) -> None:
    settings = Settings(environment="production", auth_signing_key=None, data_dir=tmp_path)

    with pytest.raises(SigningKeyError, match="required in production"):
        signing_key(settings)


def test_a_short_signing_key_is_refused() -> None:
    with pytest.raises(SigningKeyError, match="32"):
        signing_key(Settings(auth_signing_key="short"))


# ---------------------------------------------------------------- commands


@pytest.fixture
def database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ORGQL_DATABASE_URL", database_url)
    return database_url


async def test_app_key_create_list_revoke_and_login(
    database: str, capsys: pytest.CaptureFixture[str], anonymous_client: httpx.AsyncClient
) -> None:
    assert await asyncio.to_thread(main, ["app-key", "create", "--name", "ERP"]) == 0
    key = capsys.readouterr().out.strip()
    key_id = key.split(".", 1)[0]
    assert (await _login(anonymous_client, key)).status_code == 200

    assert await asyncio.to_thread(main, ["app-key", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [(line.split("\t")[0], line.split("\t")[2:]) for line in listed] == [
        (key_id, ["active", "ERP"])
    ]

    assert await asyncio.to_thread(main, ["app-key", "revoke", key_id]) == 0
    capsys.readouterr()
    assert (await _login(anonymous_client, key)).status_code == 401
    assert await asyncio.to_thread(main, ["app-key", "list"]) == 0
    assert capsys.readouterr().out.split("\t")[2].startswith("revoked ")


def test_app_key_revoke_of_an_unknown_id_exits_2(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["app-key", "revoke", "nope"]) == 2
    assert "no application key 'nope'" in capsys.readouterr().err


async def test_orgql_token_prints_a_token_the_admin_api_accepts(
    capsys: pytest.CaptureFixture[str], anonymous_client: httpx.AsyncClient
) -> None:
    assert main(["token", "--scope", "admin"]) == 0
    token = capsys.readouterr().out.strip()

    response = await anonymous_client.get(
        "/ccadmin/v1/organizations/100001", headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 200


@pytest.mark.parametrize("root_path", ["", "/api"])
async def test_a_login_answer_is_never_replayed_by_idempotency_key(
    app: Starlette,
    app_state: Mapping[str, Any],
    client_for: Callable[..., httpx.AsyncClient],
    new_key: Callable[[], Awaitable[tuple[str, str]]],
    root_path: str,
) -> None:
    """The token is the caller's secret (Cache-Control: no-store): an Idempotency-Key keeps
    no login answer, and the same key and form without the application key is no replay;
    below the root path the app is served under too (``uvicorn --root-path``)."""
    _, key = await new_key()
    idempotency = {"Idempotency-Key": "login-1"}
    login = root_path + LOGIN
    async with client_for(app, app_state, token=None, root_path=root_path) as client:
        first = await client.post(
            login, data=FORM, headers={"Authorization": f"Bearer {key}", **idempotency}
        )
        without_key = await client.post(login, data=FORM, headers=idempotency)
        wrong_key = await client.post(
            login, data=FORM, headers={"Authorization": "Bearer not-a-key", **idempotency}
        )
        again = await client.post(
            login, data=FORM, headers={"Authorization": f"Bearer {key}", **idempotency}
        )

    assert first.status_code == 200
    assert (without_key.status_code, wrong_key.status_code) == (401, 401)
    assert "idempotency-replayed" not in {**without_key.headers, **wrong_key.headers}
    assert again.status_code == 200
    assert "idempotency-replayed" not in again.headers
    assert again.json()["access_token"] != first.json()["access_token"]


def test_security_md_names_every_claim_of_an_admin_token(settings: Settings) -> None:
    """docs/security.md's table lists the claims of the admin tokens we sign: every one
    of them (the verification requires each)."""
    token = Authenticator(settings).issue_admin("operator").access_token
    claims = jwt.decode(token, options={"verify_signature": False})
    docs = Path(__file__).parents[2] / "docs" / "security.md"
    [row] = [line for line in docs.read_text().splitlines() if line.startswith("| admin ")]

    assert [claim for claim in claims if f"`{claim}`" not in row] == []
