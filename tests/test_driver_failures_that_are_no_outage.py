"""Which ``OSError`` raised inside the driver means the database is away
(observability.database.unavailability): only the network's. The driver reads files too: the
CA of ``ssl=verify-full`` (PGSSLROOTCERT). A CA file missing is a configuration bug, not an
outage: answered as a bug (GraphQL's masked internal error, REST's 500) and logged at ERROR
with its traceback, never a 503 "retry later" logged as one warning whose reason ("the
database refused or dropped the connection") hides the cause; /readyz names it. A name
whose every address refuses the connection (the event loop's one ``OSError`` without an
errno for them all) is an outage, as one refused address is."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from orgql.app import create_app
from orgql.auth.revocations import describe
from orgql.settings import Settings

QUERY = {"query": "{ sites { id } }"}


async def test_a_ca_file_missing_is_no_outage_but_a_logged_bug(
    database_url: str,
    client_for: Callable[..., httpx.AsyncClient],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("PGSSLROOTCERT", str(tmp_path / "missing-ca.pem"))
    # The embedded server's URL has a query already (its socket's directory).
    url = make_url(database_url).update_query_dict({"ssl": "verify-full"})
    app = create_app(Settings(database_url=url.render_as_string(hide_password=False)))
    async with app.router.lifespan_context(app) as state, client_for(app, state) as client:
        caplog.set_level(logging.DEBUG)
        graphql = await client.post("/graphql", json=QUERY)
        rest = await client.get("/ccadmin/v1/organizations/100001")
        ready = await client.get("/readyz")

    assert graphql.status_code == 200, graphql.text
    assert [e["extensions"]["code"] for e in graphql.json()["errors"]] == ["internal"]
    assert (rest.status_code, rest.json()["status"]) == (500, "500")
    transports = {"orgql.graphql", "orgql.rest"}
    logged = [r for r in caplog.records if r.name in transports and r.levelno >= logging.WARNING]
    assert [(r.levelno, r.exc_info and r.exc_info[0]) for r in logged] == [
        (logging.ERROR, FileNotFoundError),
        (logging.ERROR, FileNotFoundError),
    ]
    assert (ready.status_code, ready.json()["reason"]) == (
        503,
        "database unavailable: FileNotFoundError",
    )


async def test_the_revocations_listener_logs_a_missing_ca_file_as_an_error_naming_it(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Not a warning "disconnected (FileNotFoundError)": an error, with the message and the
    file the driver could not read (the ssl module names none), and no password (the URL's
    is a made-up one, never logged)."""
    missing = tmp_path / "missing-ca.pem"
    monkeypatch.setenv("PGSSLROOTCERT", str(missing))
    url = make_url(database_url).update_query_dict({"ssl": "verify-full"})
    url = url.set(password="not-a-real-secret-4171")
    app = create_app(Settings(database_url=url.render_as_string(hide_password=False)))
    caplog.set_level(logging.DEBUG)
    async with app.router.lifespan_context(app):
        pass  # its start waits for the listener's first attempt

    logged = [r for r in caplog.records if r.name == "orgql.auth.revocations"]
    assert [(r.levelno, r.getMessage()) for r in logged] == [
        (
            logging.ERROR,
            "revocations listener disconnected (FileNotFoundError: [Errno 2] No such file or"
            f" directory (PGSSLROOTCERT={missing})): keeping the 0 revocations known,"
            " reconnecting",
        )
    ]
    assert all("not-a-real-secret-4171" not in r.getMessage() for r in caplog.records)


def test_the_revocations_listener_never_logs_the_password() -> None:
    """Should a driver's message quote the password, or a URL holding it."""
    error = ValueError("cannot use pa55-w0rd from postgresql://other:elsewhere@db.example/x")

    described = describe(error, "pa55-w0rd")

    assert described == "ValueError: cannot use *** from postgresql://other:***@db.example/x"


async def test_a_database_name_whose_every_address_refuses_is_an_outage(
    client_for: Callable[..., httpx.AsyncClient],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def two_addresses(host: str, port: int, **_: Any) -> list[Any]:
        # Both on the loopback interface, whose port 1 refuses connections at once.
        return [
            (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))
            for address in ("127.0.0.1", "127.0.0.2")
        ]

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", two_addresses)
    app = create_app(Settings(database_url="postgresql://postgres@db.example:1/unreachable"))
    async with app.router.lifespan_context(app) as state, client_for(app, state) as client:
        caplog.set_level(logging.DEBUG)
        response = await client.post("/graphql", json=QUERY)

    assert (response.status_code, response.headers["retry-after"]) == (503, "5"), response.text
    [error] = response.json()["errors"]
    assert error == {
        "message": "The database is unavailable (the database refused or dropped the"
        " connection); retry later.",
        "extensions": {"code": "unavailable"},
    }
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
