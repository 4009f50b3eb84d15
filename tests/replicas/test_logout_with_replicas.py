"""With read replicas, a logout is still refused at once by every process: the revocations
are read and LISTENed for on the primary, never on a replica (which may lag). Here the
replica's replay is paused, so it never holds the revocation while the tests run."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from orgql.app import create_app
from orgql.auth.tokens import Authenticator
from orgql.settings import Settings

ORGANIZATION = "/ccadmin/v1/organizations/100002"
WAIT_SECONDS = 30.0


@asynccontextmanager
async def _process(
    settings: Settings, token: str, client_for: Callable[..., httpx.AsyncClient]
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app) as state,
        client_for(app, state, token=token) as client,
    ):
        yield client


async def test_a_logout_is_refused_by_other_processes_while_the_replica_lags(
    replica_settings: Settings, caught_up: None, replica: AsyncEngine, client_for: Any
) -> None:
    token = Authenticator(replica_settings).issue_admin("test-suite").access_token
    async with replica.connect() as connection:
        await connection.execute(text("SELECT pg_wal_replay_pause()"))
    try:
        await _logout_while_paused(replica_settings, token, replica, client_for)
    finally:
        async with replica.connect() as connection:
            await connection.execute(text("SELECT pg_wal_replay_resume()"))


async def _logout_while_paused(
    replica_settings: Settings, token: str, replica: AsyncEngine, client_for: Any
) -> None:
    async with (
        _process(replica_settings, token, client_for) as first,
        _process(replica_settings, token, client_for) as second,
    ):
        assert (await second.get(ORGANIZATION)).status_code == 200

        assert (await first.post("/ccadmin/v1/logout")).status_code == 200

        deadline = time.monotonic() + WAIT_SECONDS
        status = (await second.get(ORGANIZATION)).status_code
        while status != 401 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            status = (await second.get(ORGANIZATION)).status_code
        assert status == 401

    # A process started now loads the revocation from the primary (the replica lacks it).
    async with _process(replica_settings, token, client_for) as later:
        assert (await later.get(ORGANIZATION)).status_code == 401
    async with replica.connect() as connection:
        count = await connection.scalar(text("SELECT count(*) FROM revoked_tokens"))
    assert count == 0  # the paused replica has not replayed it
