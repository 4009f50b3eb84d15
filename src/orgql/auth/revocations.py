"""Each process's copy of the logged-out admin tokens, kept current by LISTEN/NOTIFY.

:class:`RevokedTokens` is what a request consults: a set in memory, no database round trip.
:func:`listening` (run by the app's lifespan) fills it from ``revoked_tokens`` on the
primary, then keeps it current: one connection of its own (outside the request pool)
LISTENs on :data:`~orgql.core.access.revocations.CHANNEL`. Every (re)connection LISTENs first
and then reads the table, so a logout committed while the connection was down, or between
the two, is in the set either way.

Between a logout's commit and another process's set holding it there is the notification's
delivery: PostgreSQL signals the listeners at commit, so it is the network's latency
(milliseconds). The process that served the logout holds it before it answers. Were a
notification lost, the table is read again every :data:`CHECK_SECONDS` anyway.

While the connection is down (a database outage, a failover) the process keeps the set it
has and reconnects with backoff (:data:`RETRY_SECONDS` doubling to :data:`MAX_RETRY_SECONDS`);
a logout committed meanwhile is learned when it reconnects (the reload). The failure is
logged once, with its class and message (the password never): a warning for an outage, an
error for what an operator must fix (a CA file missing, a password refused). A database that is
down at start leaves the set empty until then; the requests that need the database fail
(503) meanwhile anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import re
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from orgql.core.access import revocations
from orgql.observability.database import expected_failure

logger = logging.getLogger("orgql.auth.revocations")

#: The first wait before connecting again; doubled after each failure, up to the next.
RETRY_SECONDS = 0.5
MAX_RETRY_SECONDS = 30.0
#: How often the table is read again although notifications arrive: the safety net for a
#: notification lost (a connection that died silently; a pooler in transaction mode, which
#: delivers none) and the check of the connection; expired revocations are forgotten then.
CHECK_SECONDS = 15.0

_FAILURES = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)
#: The environment variables naming files the driver reads (libpq's names, asyncpg's too).
_DRIVER_FILES = ("PGSSLROOTCERT", "PGSSLCERT", "PGSSLKEY", "PGSSLCRL", "PGPASSFILE")
_FILE_ERRNOS = frozenset({errno.ENOENT, errno.EACCES, errno.EISDIR, errno.ENOTDIR})
#: The longest description of a failure logged (:func:`describe`).
MAX_DESCRIPTION = 500
#: The password of a URL's user information (``scheme://user:password@``).
_URL_PASSWORD = re.compile(r"(\w+://[^:/@\s]*:)[^@\s]*@")


class RevokedTokens:
    """``jti`` -> ``exp`` of the revoked admin tokens this process knows of."""

    def __init__(self) -> None:
        self._until: dict[str, int] = {}
        #: The clock revocations expire by (a test moves it).
        self.clock: Callable[[], float] = time.time
        #: Told when their token is revoked: the open WebSocket connections it signed in.
        self._watchers: dict[str, set[Callable[[], None]]] = {}

    def __contains__(self, token_id: object) -> bool:
        return isinstance(token_id, str) and token_id in self._until

    def __len__(self) -> int:
        return len(self._until)

    def add(self, token_id: str, expires: int) -> None:
        if expires > self.clock():
            self._until[token_id] = expires
        for watcher in list(self._watchers.get(token_id, ())):
            watcher()

    def watch(self, token_id: str, watcher: Callable[[], None]) -> Callable[[], None]:
        """Call ``watcher`` (at once if it is revoked already) when ``token_id`` is revoked,
        in this process or another (the notification); the answer stops watching."""
        watchers = self._watchers.setdefault(token_id, set())
        watchers.add(watcher)

        def unwatch() -> None:
            watchers.discard(watcher)
            if not watchers and self._watchers.get(token_id) is watchers:
                del self._watchers[token_id]

        if token_id in self:
            watcher()
        return unwatch

    def forget_expired(self) -> None:
        now = self.clock()
        self._until = {key: until for key, until in self._until.items() if until > now}


@contextlib.asynccontextmanager
async def listening(
    revoked: RevokedTokens, primary: AsyncEngine, *, connect_timeout: float
) -> AsyncIterator[None]:
    """Keep ``revoked`` current while in use. The first attempt to connect and load is
    waited for (as long as a connection and a read may take, and no longer: a database that is
    down, or not migrated yet, does not stop the start)."""
    listener = _Listener(revoked, primary, connect_timeout)
    task = asyncio.create_task(listener.run(), name="orgql-revocations")
    try:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(3 * connect_timeout):
                await listener.tried.wait()
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


class _Listener:
    def __init__(self, revoked: RevokedTokens, primary: AsyncEngine, timeout: float) -> None:
        self.revoked = revoked
        self.timeout = timeout
        _, options = primary.dialect.create_connect_args(primary.url)
        for sqlalchemy_only in ("prepared_statement_cache_size", "prepared_statement_name_func"):
            options.pop(sqlalchemy_only, None)
        self.options: dict[str, Any] = dict(options)
        #: Set once the first attempt to connect and read the table has ended, either way.
        self.tried = asyncio.Event()

    async def run(self) -> None:
        delay = RETRY_SECONDS
        down_since: float | None = None
        while True:
            connection: Any = None
            try:
                connection = await asyncpg.connect(
                    **self.options,
                    timeout=self.timeout,
                    command_timeout=self.timeout,
                    server_settings={"application_name": "orgql-revocations"},
                )
                lost = _termination(connection)
                await connection.add_listener(revocations.CHANNEL, self._notified)
                await self._load(connection)
                if down_since is not None:
                    logger.info("revocations listener connected again: set reloaded")
                down_since, delay = None, RETRY_SECONDS
                await self._watch(connection, lost)
            except Exception as error:  # the listener never stops: reconnect
                if not isinstance(error, _FAILURES):
                    logger.exception("revocations listener failed")
                if down_since is None:
                    down_since = time.monotonic()
                    # An outage is a warning; anything else (a CA file missing, a password
                    # refused, no such database) needs the operator: an error, saying which.
                    logger.log(
                        logging.WARNING if expected_failure(error) else logging.ERROR,
                        "revocations listener disconnected (%s): keeping the %d revocations"
                        " known, reconnecting",
                        describe(error, self.options.get("password")),
                        len(self.revoked),
                    )
            finally:
                self.tried.set()
                if connection is not None:
                    await _close(connection)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_SECONDS)

    async def _load(self, connection: Any) -> None:
        rows = await connection.fetch(revocations.UNEXPIRED_SQL, timeout=self.timeout)
        for token_id, expires in rows:
            self.revoked.add(token_id, int(expires))
        self.revoked.forget_expired()
        self.tried.set()

    async def _watch(self, connection: Any, lost: asyncio.Event) -> None:
        """Until the connection is lost: read the table again every CHECK_SECONDS (which
        also finds a connection that died silently)."""
        while not lost.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CHECK_SECONDS):
                    await lost.wait()
            if not lost.is_set():
                await self._load(connection)
        raise ConnectionResetError("the listening connection was closed")

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        parsed = revocations.parse_payload(payload)
        if parsed is not None:
            self.revoked.add(*parsed)


def describe(error: BaseException, password: object) -> str:
    """``error``'s class and message, for the log: never ``password`` (should the driver
    quote it, or a URL holding one), at most :data:`MAX_DESCRIPTION` characters."""
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    if isinstance(error, OSError) and error.filename is None and error.errno in _FILE_ERRNOS:
        # The ssl module names no file: name the driver's files that cannot be read.
        unreadable = [f"{name}={path}" for name, path in _unreadable_driver_files()]
        if unreadable:
            text += f" ({', '.join(unreadable)})"
    if isinstance(password, str) and password:
        text = text.replace(password, "***")
    text = _URL_PASSWORD.sub(r"\1***@", text)
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


def _unreadable_driver_files() -> list[tuple[str, str]]:
    """The files asyncpg reads that the environment names and this process cannot read."""
    named = ((name, os.environ.get(name)) for name in _DRIVER_FILES)
    return [(name, path) for name, path in named if path and not os.access(path, os.R_OK)]


def _termination(connection: Any) -> asyncio.Event:
    """An event set when ``connection`` closes (the server ended it, the socket broke)."""
    lost = asyncio.Event()
    connection.add_termination_listener(lambda _: lost.set())
    return lost


async def _close(connection: Any) -> None:
    try:
        await connection.close(timeout=1)
    except Exception:  # already broken, or the close was cancelled: drop it
        connection.terminate()
