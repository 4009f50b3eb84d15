"""A client that hangs up in the middle of its body: nothing runs, and the gateway answers
the 400 nobody will read instead of failing with a logged internal error (500)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.types import Message

from orgql.auth.tokens import Authenticator
from orgql.settings import Settings

BODY = b'{"name": "Cut short", "description": "' + b"x" * 200 + b'"}'
QUERY = (
    b'{"query": "mutation { createOrganization(input: {name: \\"Cut short\\"})'
    b' { userErrors { code } } }"}'
)


async def _hang_up_mid_body(
    app: Starlette, state: Mapping[str, Any], path: str, body: bytes, token: str
) -> list[Message]:
    """POST ``path`` as a server would, the client sending half the body, then leaving."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"localhost"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
        "state": dict(state),
    }
    incoming: list[Message] = [
        {"type": "http.request", "body": body[: len(body) // 2], "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


@pytest.mark.parametrize(
    ("path", "body"),
    [("/ccadmin/v1/organizations", BODY), ("/graphql", QUERY)],
    ids=["rest", "graphql"],
)
async def test_a_body_cut_short_runs_nothing_and_logs_no_error(
    app: Starlette,
    app_state: Mapping[str, Any],
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    path: str,
    body: bytes,
) -> None:
    with caplog.at_level(logging.INFO):
        sent = await _hang_up_mid_body(
            app,
            app_state,
            path,
            body,
            Authenticator(settings).issue_admin("test-suite").access_token,
        )

    assert sent[0]["status"] == 400
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
