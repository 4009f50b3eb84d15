"""Test infrastructure: a real PostgreSQL for the session, a fresh database for each test.

The server is ``ORGQL_TEST_DATABASE_URL`` when set (CI), else an embedded pgserver in a
temporary folder. One template database per run is migrated and seeded with the demo data;
each test that asks for the database gets a ``CREATE DATABASE ... TEMPLATE`` copy of it, made
ahead and dropped behind the tests in the background (:class:`DatabaseCopies`).
Names carry the process id, so parallel runs against one server do not collide.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import secrets
import shutil
import tempfile
import warnings
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from starlette.applications import Starlette
from starlette.types import ASGIApp

from asgi_state import LifespanState, admin_token
from orgql.app import create_app
from orgql.core.events import webhooks
from orgql.core.reference.demo import seed_demo
from orgql.database_urls import to_asyncpg_url
from orgql.db.embedded import EmbeddedPostgres
from orgql.db.engine import PRIMARY_HELD_CONNECTIONS, make_engine, make_sessionmaker
from orgql.db.migrate import upgrade
from orgql.settings import Settings

# Fixtures every domain's tests use: the GraphQL client and input builders, the REST samples.
pytest_plugins = ["graphql_fixtures", "rest.fixtures"]

# One fixed admin signing key for the run: no development key file written by the tests.
os.environ.setdefault("ORGQL_AUTH_SIGNING_KEY", "test-signing-key-" + "0" * 32)
# Nothing written to the user's own data folder (the default ORGQL_DATA_DIR): one of the run's.
os.environ["ORGQL_DATA_DIR"] = tempfile.mkdtemp(prefix="orgql-test-data-")
atexit.register(shutil.rmtree, os.environ["ORGQL_DATA_DIR"], ignore_errors=True)
# No webhook dispatcher polling behind the tests' backs (statement counts, timing): the
# webhook tests run one explicitly, or turn it on for their app.
os.environ.setdefault("ORGQL_WEBHOOK_DISPATCHER", "false")

# ---------------------------------------------------------------- server and databases


@dataclass(frozen=True)
class Server:
    """A PostgreSQL server and an autocommit connection to its maintenance database."""

    url: str  # asyncpg URL of the maintenance database (the configured URL's own database)
    admin: AsyncEngine  # CREATE / DROP DATABASE cannot run inside a transaction
    version: int  # server_version_num, e.g. 150004

    def database_url(self, name: str) -> str:
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    async def create_database(self, name: str, *, template: str | None = None) -> None:
        clause = f' TEMPLATE "{template}"' if template else ""
        async with self.admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))

    async def drop_database(self, name: str) -> None:
        await drop_database(self.admin, self.version, name)


async def drop_database(admin: AsyncEngine, version: int, name: str) -> None:
    # FORCE (PostgreSQL 13+) ends sessions a failed test left open.
    force = " WITH (FORCE)" if version >= 130000 else ""
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"{force}'))


class DatabaseCopies:
    """Copies of the template database, made ahead and dropped behind the tests.

    A CREATE DATABASE costs a few tenths of a second and a DROP DATABASE waits for a checkpoint
    (one to two seconds on a busy machine). Two background tasks, each on a connection of its
    own, keep ``ahead`` copies ready and drop used ones, so a test waits for neither. At most
    ``backlog`` used databases wait for their drop: a slow server slows the tests down rather
    than filling its disk. :meth:`close` drops every copy, used or not: the ready ones and the
    one the maker had made when it was cancelled, waiting for room among them (every run left
    one such database per test process on the server)."""

    def __init__(self, server: Server, template: str, *, ahead: int = 2, backlog: int = 8) -> None:
        self._server = server
        self._template = template
        self._engine = create_async_engine(server.url, isolation_level="AUTOCOMMIT", pool_size=2)
        self._ready: asyncio.Queue[str] = asyncio.Queue(maxsize=ahead)
        #: Copies made (or being made) that no test has taken: dropped by close().
        self._untaken: set[str] = set()
        self._used: asyncio.Queue[str] = asyncio.Queue(maxsize=backlog)
        self._maker = asyncio.create_task(self._make_each())
        self._tasks = [self._maker, asyncio.create_task(self._drop_each())]

    async def take(self) -> str:
        """The name of a fresh copy of the template, this caller's alone."""
        ready = asyncio.ensure_future(self._ready.get())
        await asyncio.wait({ready, self._maker}, return_when=asyncio.FIRST_COMPLETED)
        if ready.done():
            self._untaken.discard(ready.result())
            return ready.result()
        ready.cancel()
        self._maker.result()  # the CREATE DATABASE's error, if it failed
        raise RuntimeError("the test databases' maker stopped")

    async def give_back(self, name: str) -> None:
        await self._used.put(name)  # waits while the backlog is full

    async def close(self) -> None:
        await self._used.join()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for name in sorted(self._untaken):  # IF EXISTS: a CREATE cancelled may not have run
            await drop_database(self._engine, self._server.version, name)
        await self._engine.dispose()

    async def _make_each(self) -> None:
        while True:
            name = f"{self._template}_{secrets.token_hex(4)}"
            self._untaken.add(name)
            async with self._engine.connect() as connection:
                await connection.execute(
                    text(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"')
                )
            await self._ready.put(name)  # waits while ``ahead`` copies are ready

    async def _drop_each(self) -> None:
        while True:
            name = await self._used.get()
            try:
                await drop_database(self._engine, self._server.version, name)
            except Exception as exc:
                warnings.warn(f"could not drop test database {name}: {exc}", stacklevel=1)
            finally:
                self._used.task_done()


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    configured = os.environ.get("ORGQL_TEST_DATABASE_URL")
    if configured:
        yield to_asyncpg_url(configured)
        return
    data_dir = Path(tempfile.mkdtemp(prefix="orgql-test-"))
    embedded = EmbeddedPostgres(data_dir)
    try:
        with warnings.catch_warnings():
            # platformdirs warns that it picks a runtime dir under /tmp; that is what we want.
            warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
            url = embedded.start()
        yield to_asyncpg_url(url)
    finally:
        embedded.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
async def server(server_url: str) -> AsyncIterator[Server]:
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT", pool_size=1)
    try:
        async with admin.connect() as connection:
            version = int(await connection.scalar(text("SHOW server_version_num")))
        yield Server(server_url, admin, version)
    finally:
        await admin.dispose()


@pytest.fixture(scope="session")
async def template_database(server: Server) -> AsyncIterator[str]:
    """Migrated and seeded once per run; every test database is a copy of it."""
    name = f"orgql_test_{os.getpid()}_{secrets.token_hex(3)}"
    await server.create_database(name)
    try:
        engine = make_engine(server.database_url(name), pool_size=1)
        try:
            await upgrade(engine)
            async with make_sessionmaker(engine)() as session, session.begin():
                await seed_demo(session)
        finally:
            # A template must have no open connections while it is copied.
            await engine.dispose()
        yield name
    finally:
        await server.drop_database(name)


@pytest.fixture(scope="session")
async def database_copies(server: Server, template_database: str) -> AsyncIterator[DatabaseCopies]:
    databases = DatabaseCopies(server, template_database)
    try:
        yield databases
    finally:
        await databases.close()


@pytest.fixture
async def database_url(server: Server, database_copies: DatabaseCopies) -> AsyncIterator[str]:
    """An asyncpg URL to a database of this test's own: migrated, with the demo data."""
    name = await database_copies.take()
    try:
        yield server.database_url(name)
    finally:
        await database_copies.give_back(name)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    # As the app makes its primary's (app._engine): apps of the tests run on it.
    engine = make_engine(database_url, pool_size=5, held=PRIMARY_HELD_CONNECTIONS)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
async def effect_subscriber(engine: AsyncEngine) -> None:
    """A committed webhook subscription taking every event type: changes compute and emit
    their ``organization.effectiveValueChanged`` events only when someone takes them."""
    async with make_sessionmaker(engine)() as session, session.begin():
        await webhooks.create(
            session,
            webhooks.NewSubscription("http://127.0.0.1:9/hook", []),
            allow_private_targets=True,
        )


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with make_sessionmaker(engine)() as session:
        yield session


@dataclass
class StatementCounter:
    """The SQL statements sent through an engine since the last :meth:`reset`."""

    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        self.statements.clear()

    def before_cursor_execute(self, *args: Any) -> None:
        # (connection, cursor, statement, parameters, context, executemany)
        self.statements.append(args[2])


@pytest.fixture
def statement_counter(engine: AsyncEngine) -> Iterator[StatementCounter]:
    counter = StatementCounter()
    event.listen(engine.sync_engine, "before_cursor_execute", counter.before_cursor_execute)
    try:
        yield counter
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", counter.before_cursor_execute)


# ---------------------------------------------------------------- the ASGI app


def asgi_client(
    app: ASGIApp,
    state: Mapping[str, Any],
    *,
    token: str | None = "admin",  # noqa: S107
    root_path: str = "",
) -> httpx.AsyncClient:
    """An HTTP client calling ``app`` in-process, requests seeing the lifespan ``state``.

    It sends ``Authorization: Bearer <token>``: by default an admin access token (when the
    state holds the app's settings); ``token=None`` makes an anonymous client. With
    ``root_path``, the app is served under it as ``uvicorn --root-path`` serves it: the
    requests' paths begin with it (write them so) and ``scope["root_path"]`` holds it."""
    transport = httpx.ASGITransport(app=LifespanState(app, state), root_path=root_path)
    headers = {}
    if token == "admin" and "settings" in state:
        token = admin_token(state["settings"])
    if token is not None and token != "admin":
        headers["Authorization"] = f"Bearer {token}"
    return httpx.AsyncClient(transport=transport, base_url="http://localhost:9080", headers=headers)


@pytest.fixture
def client_for() -> Callable[..., httpx.AsyncClient]:
    """:func:`asgi_client`, for a test that builds and starts an app of its own."""
    return asgi_client


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A port on the loopback interface whose server accepts connections and never says a
    word (a database that does not answer, a service that hangs)."""

    async def accept_and_stay_silent(reader: asyncio.StreamReader, _: Any) -> None:
        await reader.read()

    silent = await asyncio.start_server(accept_and_stay_silent, "127.0.0.1", 0)
    try:
        yield silent.sockets[0].getsockname()[1]
    finally:
        silent.close()


@pytest.fixture
async def impatient_admin(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An admin client of an app on its own engine, whose statements wait 100 ms at most for
    a lock (ORGQL_DB_LOCK_TIMEOUT_SECONDS): a test holds a lock and sees the request refused."""
    settings = Settings(
        database_url=database_url, db_statement_timeout_seconds=30, db_lock_timeout_seconds=0.1
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state, asgi_client(app, state or {}) as client:
        yield client


@dataclass(frozen=True)
class IdentityProvider:
    """The merchant's identity provider of the tests: an RSA key signing shopper tokens."""

    issuer: str
    audience: str
    private_pem: str
    public_pem: str

    def token(self, subject: str, *, kid: str | None = None, **overrides: Any) -> str:
        """A shopper token for profile ``subject``; ``overrides`` change or drop (None) claims;
        ``kid`` names the signing key in the header (as a JWKS identity provider does)."""
        import time

        import jwt

        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": now,
            "exp": now + 300,
        }
        claims.update(overrides)
        claims = {key: value for key, value in claims.items() if value is not None}
        headers = {"kid": kid} if kid is not None else None
        return jwt.encode(claims, self.private_pem, algorithm="RS256", headers=headers)


@pytest.fixture(scope="session")
def identity_provider() -> IdentityProvider:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )
    return IdentityProvider("https://idp.example.com/", "storefront", private_pem, public_pem)


@pytest.fixture
def jwks_url(identity_provider: IdentityProvider) -> Iterator[str]:
    """The identity provider's public key served as a JWKS on a loopback port (key id
    ``k1``): an identity provider of the tests' own, over real HTTP."""
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


@pytest.fixture
def settings(database_url: str, identity_provider: IdentityProvider) -> Settings:
    return Settings(
        database_url=database_url,
        shopper_issuer=identity_provider.issuer,
        shopper_audience=identity_provider.audience,
        shopper_public_key=identity_provider.public_pem,
    )


@pytest.fixture
def app_state() -> MutableMapping[str, Any]:
    """The running ``app``'s lifespan state (settings, engine, sessionmaker)."""
    return {}


@pytest.fixture
async def app(
    settings: Settings, engine: AsyncEngine, app_state: MutableMapping[str, Any]
) -> AsyncIterator[Starlette]:
    """The app with its lifespan running, sharing the test's ``engine``."""
    app = create_app(settings, engine=engine)
    async with app.router.lifespan_context(app) as state:
        app_state.update(state or {})
        yield app


@pytest.fixture
async def client(app: Starlette, app_state: Mapping[str, Any]) -> AsyncIterator[httpx.AsyncClient]:
    """A client of ``app`` holding an admin access token."""
    async with asgi_client(app, app_state) as client:
        yield client


@pytest.fixture
def shopper_client(
    app: Starlette, app_state: Mapping[str, Any], identity_provider: IdentityProvider
) -> Callable[[str], httpx.AsyncClient]:
    """A client of ``app`` signed in as the shopper (profile id) given: ``async with``."""

    def make(profile_id: str) -> httpx.AsyncClient:
        return asgi_client(app, app_state, token=identity_provider.token(profile_id))

    return make


@pytest.fixture
async def anonymous_client(
    app: Starlette, app_state: Mapping[str, Any]
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of ``app`` with no credentials (a storefront visitor)."""
    async with asgi_client(app, app_state, token=None) as client:
        yield client
