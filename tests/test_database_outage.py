"""PostgreSQL goes away and comes back: the gateway answers 503 quickly, then recovers by
itself. A throwaway server of this test's own (pgserver's binaries in a temporary folder)
is stopped and started again; the shared test server is never touched."""

from __future__ import annotations

import logging
import shutil
import tempfile
import warnings
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from orgql.app import create_app
from orgql.db.engine import make_engine
from orgql.db.migrate import upgrade
from orgql.settings import Settings

ORGANIZATION = {"query": 'query One { organization(id: "100001") { id } }'}


class ThrowawayPostgres:
    def __init__(self, folder: Path) -> None:
        import pgserver

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
            self.server: Any = pgserver.get_server(folder / "pgdata", cleanup_mode="stop")
        self.url: str = self.server.get_uri()
        self.socket_dir = self.server.get_postmaster_info().socket_dir

    def _pg_ctl(self, *args: str) -> None:
        from pgserver._commands import pg_ctl

        pg_ctl(list(args), pgdata=self.server.pgdata, user=self.server.system_user, timeout=30)

    def stop(self) -> None:
        # "fast": sessions are ended, as when a server is shut down or fails over.
        self._pg_ctl("-w", "-m", "fast", "stop")

    def start(self) -> None:
        log = str(self.server.log)
        self._pg_ctl("-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", log, "start")

    def cleanup(self) -> None:
        self.server.cleanup()


@pytest.fixture
def postgres() -> Iterator[ThrowawayPostgres]:
    folder = Path(tempfile.mkdtemp(prefix="orgql-outage-"))
    server = ThrowawayPostgres(folder)
    try:
        yield server
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
async def gateway(
    postgres: ThrowawayPostgres, client_for: Callable[[Any, Mapping[str, Any]], httpx.AsyncClient]
) -> AsyncIterator[httpx.AsyncClient]:
    engine = make_engine(postgres.url, pool_size=1)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    app = create_app(Settings(database_url=postgres.url, db_connect_timeout_seconds=2))
    async with app.router.lifespan_context(app) as state, client_for(app, state or {}) as client:
        yield client


async def test_gateway_answers_503_while_postgresql_is_down_and_recovers_when_it_returns(
    postgres: ThrowawayPostgres, gateway: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # Warm the pool: its connection is the one the outage kills.
    assert (await gateway.post("/graphql", json=ORGANIZATION)).status_code == 200

    postgres.stop()
    caplog.set_level(logging.DEBUG)
    ready = await gateway.get("/readyz")
    graphql = await gateway.post("/graphql", json=ORGANIZATION)
    rest = await gateway.get("/ccadmin/v1/organizations/100001")
    # The requests' lines (not the background tasks', which retry on their own).
    lines = [r for r in caplog.records if r.name.startswith(("orgql.graphql", "orgql.rest"))]
    postgres.start()
    ready_again = await gateway.get("/readyz")
    graphql_again = await gateway.post("/graphql", json=ORGANIZATION)
    rest_again = await gateway.get("/ccadmin/v1/organizations/100001")

    assert ready.status_code == 503
    assert ready.json()["reason"].startswith("database unavailable: ")
    assert graphql.status_code == 503
    assert graphql.headers["retry-after"] == "5"
    assert graphql.json()["data"] is None
    assert [e["extensions"]["code"] for e in graphql.json()["errors"]] == ["unavailable"]
    assert graphql.json()["errors"][0]["message"].startswith("The database is unavailable (")
    assert rest.status_code == 503
    assert rest.json()["errorCode"] == "503"
    assert rest.json()["message"].startswith("The database is unavailable (")
    # An outage is expected, no bug: one warning each with the reason, no traceback.
    assert [(r.name, r.levelno, r.exc_info) for r in lines] == [
        ("orgql.graphql", logging.WARNING, None),
        ("orgql.rest", logging.WARNING, None),
    ]
    assert ready_again.status_code == 200
    assert graphql_again.status_code == 200
    assert graphql_again.json() == {"data": {"organization": None}}
    assert rest_again.status_code == 404
