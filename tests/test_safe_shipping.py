"""Safe shipping: the development profile (which hands out admin tokens) stays on this
machine, and production reads its signing key from the environment or from a file."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from orgql.auth.signing import SigningKeyError, signing_key
from orgql.cli import main
from orgql.loopback import is_loopback
from orgql.settings import Settings

KEY = "k" * 48
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 (a host the tests expect refused)


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "::ffff:127.0.0.1", "localhost", "a.localhost"],
)
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize(
    "host",
    [ALL_INTERFACES, "::", "", "192.168.1.10", "10.0.0.1", "example.com", "localhost.example.com"],
)
def test_hosts_other_machines_reach(host: str) -> None:
    assert not is_loopback(host)


@pytest.mark.parametrize("host", [ALL_INTERFACES, "::", "192.168.1.10"])
def test_serve_refuses_the_development_profile_on_a_host_other_machines_reach(
    host: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ORGQL_ENVIRONMENT", "development")

    status = main(["serve", "--host", host])

    assert status == 2
    error = capsys.readouterr().err
    assert "the development profile listens on loopback only (127.0.0.1, ::1, localhost)," in error
    assert f"not {host!r}: it hands out admin tokens" in error
    assert "ORGQL_ENVIRONMENT=production" in error


def test_serve_refuses_production_without_a_signing_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ORGQL_ENVIRONMENT", "production")
    monkeypatch.delenv("ORGQL_AUTH_SIGNING_KEY")

    status = main(["serve", "--host", ALL_INTERFACES])

    assert status == 2
    assert (
        "orgql: ORGQL_AUTH_SIGNING_KEY or ORGQL_AUTH_SIGNING_KEY_FILE is required in production"
        in (capsys.readouterr().err)
    )


# ---------------------------------------------------------------- the key in a file


def test_the_signing_key_is_read_from_its_file_without_the_trailing_newline(
    tmp_path: Path,
) -> None:
    path = tmp_path / "orgql-signing-key"
    path.write_text(KEY + "\n")
    settings = Settings(environment="production", auth_signing_key=None, auth_signing_key_file=path)

    assert signing_key(settings) == KEY


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read ORGQL_AUTH_SIGNING_KEY_FILE ({path}): No such file or directory"),
        (b"short\n", "the key in ORGQL_AUTH_SIGNING_KEY_FILE ({path}) must be 32+ bytes long"),
        (b"\xff" * 40, "the key in ORGQL_AUTH_SIGNING_KEY_FILE ({path}) is not UTF-8 text"),
    ],
)
def test_an_unusable_key_file_is_refused_naming_the_file_never_the_key(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "orgql-signing-key"
    if content is not None:
        path.write_bytes(content)
    settings = Settings(environment="production", auth_signing_key=None, auth_signing_key_file=path)

    with pytest.raises(SigningKeyError) as refused:
        signing_key(settings)

    assert str(refused.value) == message.format(path=path)


def test_a_key_and_a_key_file_together_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "orgql-signing-key"
    path.write_text(KEY)
    settings = Settings(auth_signing_key=KEY, auth_signing_key_file=path)

    with pytest.raises(SigningKeyError, match="not both"):
        signing_key(settings)


# ---------------------------------------------------------------- GraphiQL's token


def graphiql_client(
    app: Starlette, state: Mapping[str, Any], peer: str, **headers: str
) -> httpx.AsyncClient:
    async def with_state(scope: Scope, receive: Receive, send: Send) -> None:
        await app({**scope, "state": dict(state)}, receive, send)

    transport = httpx.ASGITransport(app=with_state, client=(peer, 50000))
    return httpx.AsyncClient(
        transport=transport,
        base_url="http://127.0.0.1:8080",
        headers={"Accept": "text/html", **headers},
    )


async def graphiql_page(app: Starlette, state: Mapping[str, Any], peer: str, **headers: str) -> str:
    async with graphiql_client(app, state, peer, **headers) as client:
        response = await client.get("/graphql")
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
    return response.text


@pytest.mark.parametrize("peer", ["127.0.0.1", "::1"])
async def test_graphiql_opens_with_a_token_for_a_browser_on_this_machine(
    app: Starlette, app_state: Mapping[str, Any], peer: str
) -> None:
    assert "Bearer ey" in await graphiql_page(app, app_state, peer)


@pytest.mark.parametrize(
    ("peer", "headers"),
    [
        ("203.0.113.9", {}),  # another machine
        ("203.0.113.9", {"Host": "127.0.0.1:8080"}),  # ... naming this one
        ("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}),  # through a proxy here
        ("127.0.0.1", {"X-Forwarded-For": "127.0.0.1"}),  # ... whatever it says
        ("127.0.0.1", {"Forwarded": "for=127.0.0.1"}),
        ("127.0.0.1", {"X-Real-IP": "127.0.0.1"}),
        ("127.0.0.1", {"Via": "1.1 squid"}),  # a proxy that sends only what RFC 9110 asks
        ("127.0.0.1", {"X-Forwarded-Proto": "https"}),
        ("127.0.0.1", {"Host": "attacker.example:8080"}),  # a name rebound to 127.0.0.1
    ],
)
async def test_graphiql_has_no_token_for_anyone_else(
    app: Starlette, app_state: Mapping[str, Any], peer: str, headers: dict[str, str]
) -> None:
    page = await graphiql_page(app, app_state, peer, **headers)

    assert "Bearer" not in page


def test_an_empty_key_variable_counts_as_unset(tmp_path: Path) -> None:
    path = tmp_path / "orgql-signing-key"
    path.write_text(KEY)

    assert signing_key(Settings(auth_signing_key="", auth_signing_key_file=path)) == KEY
    with pytest.raises(SigningKeyError, match="required in production"):
        signing_key(Settings(environment="production", auth_signing_key=""))


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
async def test_no_token_for_a_page_of_another_site(
    app: Starlette, app_state: Mapping[str, Any], site: str
) -> None:
    """A page elsewhere (another site, or another port of this machine) fetching or framing
    GraphiQL: the browser says so in Sec-Fetch-Site, and no token is minted for it."""
    page = await graphiql_page(app, app_state, "127.0.0.1", **{"Sec-Fetch-Site": site})
    async with graphiql_client(app, app_state, "127.0.0.1", **{"Sec-Fetch-Site": site}) as client:
        token = await client.get("/graphiql/token")

    assert "Bearer" not in page
    assert token.status_code == 404


@pytest.mark.parametrize("site", ["same-origin", "none"])
async def test_the_page_and_its_renewal_from_this_origin_get_a_token(
    app: Starlette, app_state: Mapping[str, Any], site: str
) -> None:
    async with graphiql_client(app, app_state, "127.0.0.1", **{"Sec-Fetch-Site": site}) as client:
        page = await client.get("/graphql")
        token = await client.get("/graphiql/token")

    assert "Bearer ey" in page.text
    assert token.status_code == 200


async def test_a_page_carrying_a_token_is_neither_stored_nor_framed(
    app: Starlette, app_state: Mapping[str, Any]
) -> None:
    async with graphiql_client(app, app_state, "127.0.0.1") as client:
        response = await client.get("/graphql")

    assert "Bearer ey" in response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


# ---------------------------------------------------------------- the development key


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_the_data_directory_and_the_development_key_are_the_users_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "new" / "orgql"
    monkeypatch.setenv("ORGQL_DATA_DIR", str(data_dir))
    monkeypatch.delenv("ORGQL_AUTH_SIGNING_KEY", raising=False)
    monkeypatch.delenv("ORGQL_ENVIRONMENT", raising=False)

    assert main(["token"]) == 0

    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((data_dir / "auth-signing-key").stat().st_mode) == 0o600
    assert capsys.readouterr().out.startswith("ey")


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_a_development_key_others_can_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A key file someone else could read (or put there, in a shared folder such as /tmp):
    whoever reads it signs admin tokens for this gateway."""
    key = tmp_path / "auth-signing-key"
    key.write_text(KEY + "\n")
    key.chmod(0o644)
    monkeypatch.setenv("ORGQL_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ORGQL_AUTH_SIGNING_KEY", raising=False)
    monkeypatch.delenv("ORGQL_ENVIRONMENT", raising=False)

    assert main(["token"]) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{key} can be read by other users" in captured.err
    assert KEY not in captured.err
