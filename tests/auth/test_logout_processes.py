"""A logout holds in every process: two apps on one database stand for two workers (or two
machines). The revocation is stored on the primary and notified; each app keeps the set in
memory (loaded at start, kept current by LISTEN), so no request reads the table. Expired
revocations are deleted, their number is bounded, the listener reconnects after losing its
connection and closes it at shutdown."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from orgql.app import create_app
from orgql.auth.revocations import RevokedTokens
from orgql.auth.tokens import Authenticator
from orgql.core.access import revocations
from orgql.db.access_models import RevokedToken
from orgql.settings import Settings

LOGOUT = "/ccadmin/v1/logout"
ORGANIZATION = "/ccadmin/v1/organizations/100001"
#: Generous: the machine is loaded; a notification normally arrives in milliseconds.
WAIT_SECONDS = 30.0

Processes = Callable[[], Any]


@pytest.fixture
def process(
    settings: Settings, client_for: Callable[..., httpx.AsyncClient]
) -> Callable[[str], Any]:
    """``async with process(token) as client``: an app of its own (its own engine and pool,
    as a worker has) on the test's database, started, and a client of it sending ``token``."""

    @asynccontextmanager
    async def start(token: str) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(settings)
        async with (
            app.router.lifespan_context(app) as state,
            client_for(app, state, token=token) as client,
        ):
            yield client

    return start


def _token(settings: Settings) -> str:
    return Authenticator(settings).issue_admin("test-suite").access_token


async def _refused_within(client: httpx.AsyncClient, seconds: float = WAIT_SECONDS) -> int:
    """Ask until the token is refused (at most ``seconds``); the last status."""
    deadline = time.monotonic() + seconds
    status = (await client.get(ORGANIZATION)).status_code
    while status != 401 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        status = (await client.get(ORGANIZATION)).status_code
    return status


async def _stored(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(RevokedToken)) or 0)


async def test_a_logout_on_one_process_is_refused_on_the_other(
    settings: Settings, process: Callable[[str], Any]
) -> None:
    token = _token(settings)
    async with process(token) as first, process(token) as second:
        # The second process has verified the token already (and remembers it).
        assert (await second.get(ORGANIZATION)).status_code == 200

        answer = await first.post(LOGOUT)

        assert (answer.status_code, answer.json()) == (200, {"result": True})
        assert (await first.get(ORGANIZATION)).status_code == 401  # at once where it ran
        assert await _refused_within(second) == 401
        refused = await second.post(
            "/graphql", json={"query": '{ organization(id: "100001") { id } }'}
        )
        assert refused.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


async def test_a_token_revoked_before_a_process_starts_is_refused_by_it(
    settings: Settings, process: Callable[[str], Any], session: AsyncSession
) -> None:
    token = _token(settings)
    async with process(token) as first:
        assert (await first.post(LOGOUT)).status_code == 200

    async with process(token) as later:
        answer = await later.get(ORGANIZATION)

    assert (answer.status_code, answer.json()["message"]) == (
        401,
        "the access token has been revoked (logged out)",
    )
    assert await _stored(session) == 1


async def test_other_tokens_stay_valid_in_every_process(
    settings: Settings, process: Callable[[str], Any]
) -> None:
    token, other = _token(settings), _token(settings)
    async with process(token) as first, process(other) as kept:
        assert (await first.post(LOGOUT)).status_code == 200
        assert (await kept.get(ORGANIZATION)).status_code == 200


async def test_expired_revocations_are_deleted_by_the_next_logout(
    settings: Settings, app: Any, app_state: Any, client_for: Any, session: AsyncSession
) -> None:
    past = datetime.now(UTC) - timedelta(seconds=1)
    async with session.begin():
        session.add_all(RevokedToken(jti=f"old-{i}", expires_at=past) for i in range(3))

    async with client_for(app, app_state, token=_token(settings)) as client:
        assert (await client.post(LOGOUT)).status_code == 200

    rows = (await session.scalars(select(RevokedToken.jti))).all()
    assert len(rows) == 1
    assert not rows[0].startswith("old-")


async def test_logouts_past_the_bound_are_refused_and_change_nothing(
    settings: Settings,
    app: Any,
    app_state: Any,
    client_for: Any,
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(revocations, "MAX_REVOKED_TOKENS", 2)
    answers = []
    for _ in range(3):
        async with client_for(app, app_state, token=_token(settings)) as client:
            answers.append(await client.post(LOGOUT))
            still = await client.get(ORGANIZATION)

    assert [answer.status_code for answer in answers] == [200, 200, 503]
    assert answers[2].json()["message"] == "too many tokens are revoked now; retry later"
    assert answers[2].headers["retry-after"] == "60"
    assert still.status_code == 200  # the refused logout revoked nothing
    assert await _stored(session) == 2


async def test_the_listener_reconnects_and_reloads_after_losing_its_connection(
    settings: Settings, process: Callable[[str], Any], engine: AsyncEngine
) -> None:
    token = _token(settings)
    async with process(token) as first, process(token) as second:
        assert (await second.get(ORGANIZATION)).status_code == 200
        async with engine.connect() as connection:
            ended = await connection.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database()"
                    " AND application_name = 'orgql-revocations'"
                )
            )
        assert ended == 2  # both processes' listeners

        assert (await first.post(LOGOUT)).status_code == 200

        assert await _refused_within(second) == 401


async def test_shutdown_closes_the_listening_connection(
    settings: Settings, process: Callable[[str], Any], engine: AsyncEngine
) -> None:
    count = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND application_name = 'orgql-revocations'"
    )
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(process(_token(settings)))
        async with engine.connect() as connection:
            assert await connection.scalar(count) == 1

    deadline = time.monotonic() + WAIT_SECONDS
    async with engine.connect() as connection:
        left = await connection.scalar(count)
        while left and time.monotonic() < deadline:  # the backend ends just after the close
            await asyncio.sleep(0.05)
            left = await connection.scalar(count)
    assert left == 0


async def test_a_process_starts_while_the_database_is_unreachable(
    settings: Settings, client_for: Callable[..., httpx.AsyncClient]
) -> None:
    # Nothing listens on port 9: the listener's first connection fails, the start goes on.
    unreachable = settings.model_copy(
        update={
            "database_url": "postgresql://orgql@127.0.0.1:9/none",
            "db_connect_timeout_seconds": 1,
        }
    )
    app = create_app(unreachable)
    async with app.router.lifespan_context(app) as state, client_for(app, state) as client:
        assert (await client.get("/healthz")).status_code == 200


def test_the_memory_forgets_expired_revocations() -> None:
    revoked = RevokedTokens()
    now = time.time()
    revoked.add("old", int(now) + 10)
    revoked.add("new", int(now) + 100)
    revoked.add("gone", int(now) - 1)  # expired already: never held
    assert ("old" in revoked, "new" in revoked, "gone" in revoked) == (True, True, False)

    revoked.clock = lambda: now + 50
    revoked.forget_expired()

    assert ("old" in revoked, "new" in revoked, len(revoked)) == (False, True, 1)


@pytest.mark.parametrize(
    ("payload", "parsed"),
    [
        ("abc 12", ("abc", 12)),
        ("abc", None),
        ("abc -1", None),
        (" 12", None),
        ("x" * 65 + " 12", None),
    ],
)
def test_notification_payloads(payload: str, parsed: tuple[str, int] | None) -> None:
    assert revocations.parse_payload(payload) == parsed
