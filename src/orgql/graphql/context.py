"""The typed per-request GraphQL context: one session, its lock, the loaders, the site."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import HTTPConnection
from strawberry.extensions import SchemaExtension
from strawberry.types import Info as StrawberryInfo
from strawberry.types.graphql import OperationType

from orgql.asgi_headers import header
from orgql.consistency import EXTENSION, committed, consistency_of, reading_engine
from orgql.core.access import checks as access
from orgql.core.access.principals import ANONYMOUS, Principal
from orgql.core.history import service as history
from orgql.core.sites import repository as site_reads
from orgql.db import models
from orgql.db.raw import RawReads, read_once
from orgql.graphql.loaders import Loaders, make_loaders, make_loaders_as_of
from orgql.idempotency import claims as idempotency_claims
from orgql.observability.database import no_connection, note_commit, unavailability
from orgql.settings import Settings

if TYPE_CHECKING:
    from orgql.graphql.websocket import LiveHandler

T = TypeVar("T")


@dataclass
class Context:
    request: HTTPConnection
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    #: The ``x-ccsite`` header: the site of site-specific fields without a ``site`` argument.
    site_header: str | None
    #: The caller (admin, shopper, anonymous), authenticated by the ASGI middleware (over
    #: WebSocket: by connection_init, graphql.websocket).
    principal: Principal = ANONYMOUS
    #: Over WebSocket: connection_init's payload (strawberry sets it), and the connection.
    connection_params: dict[str, Any] | None = None
    live: LiveHandler | None = None
    _session: AsyncSession | None = None
    #: The session was made by a read (no transaction); a unit of work replaces it.
    _reading: bool = False
    #: A mutation runs (or ran) in this request: its reads go to the primary (RouteReads).
    writes: bool = False
    #: Why the SQL plan declined this request's read when it ran it already, before the
    #: pipeline (graphql.execution.direct, paths.REASONS): the compiled plan answers
    #: without sending that statement again.
    sql_plan_declined: str | None = None
    # Sibling resolvers run concurrently but one AsyncSession allows one statement at a time.
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Reads still running for a resolver that was cancelled (see run); close() awaits them.
    _in_flight: set[asyncio.Task[Any]] = field(default_factory=set)
    # The failure that found no connection to be had (observability.database.no_connection:
    # none free within ORGQL_DB_POOL_TIMEOUT_SECONDS, a new one refused or not opened in
    # time): the operation's later reads and writes raise it at once, not after a wait on
    # the pool each (every root field of an overloaded request would wait in turn);
    # forgotten by close(). Not a failed statement, nor one connection lost or past
    # ORGQL_DB_COMMAND_TIMEOUT_SECONDS: another statement, or connection, may succeed.
    _no_connection: Exception | None = None
    # Shared by every resolver that asks while the read is in flight (see default_site).
    _default_site: asyncio.Future[models.Site | None] | None = None
    # What the caller may see, read once per request and shared the same way (see access).
    _access: asyncio.Future[access.Access] | None = None
    # The request's loaders, made when a resolver first asks (see loaders): a read the SQL
    # plan answers whole, or { __typename }, asks for none.
    _loaders: Loaders | None = field(default=None, init=False)
    # Point-in-time reads: one set of loaders per instant asked for in the request.
    _loaders_as_of: dict[datetime, Loaders] = field(default_factory=dict)
    #: Organization objects of ancestors by (instant, id) (graphql.organizations.types; the instant
    #: is None for live reads): a page's organizations share most of their ancestors, each
    #: is built once per request, and an ancestor read at an instant is not today's.
    organizations: dict[tuple[datetime | None, str], object] = field(default_factory=dict)
    #: Units of work committed in this context (unit_of_work), and the response keys of the
    #: operation's mutation fields that committed one (graphql.committed_fields): an error
    #: below such a field (its payload's read) says the change was made all the same.
    #: unit_of_work also tells the HTTP request's observation (observability.database
    #: .note_commit), a fact of another scope: that one is read outside execution, where no
    #: context is at hand (the request middleware, a whole request's failure), and exists
    #: over HTTP only; this count tells a field whether it committed (read before and after
    #: it resolves), over WebSocket too, where each operation has a context of its own.
    commits: int = 0
    committed_fields: set[str] = field(default_factory=set)

    @classmethod
    def of_request(
        cls, request: HTTPConnection, principal: Principal, sql_plan_declined: str | None = None
    ) -> Context:
        """The context of ``request`` (its lifespan state, its ``x-ccsite`` header) for
        ``principal``: the pipeline's (graphql.asgi) and the direct answers' alike."""
        state = request.scope["state"]  # request.state's dict, without State's getattr
        return cls(
            request=request,
            settings=state["settings"],
            sessionmaker=state["sessionmaker"],
            site_header=header(request.scope, b"x-ccsite") or None,
            principal=principal,
            sql_plan_declined=sql_plan_declined,
        )

    def for_operation(self) -> Context:
        """The context of one operation of a WebSocket connection whose context this is
        (graphql.websocket.LiveHandler): the connection's caller, ``connection_init``
        payload and handler; a session, lock, loaders and memos of its own. A connection's
        operations run at once (a subscription and the queries sent meanwhile): sharing one
        session they waited for each other, and one ending closed the session, and emptied
        the caches, under the others."""
        return Context(
            request=self.request,
            settings=self.settings,
            sessionmaker=self.sessionmaker,
            site_header=self.site_header,
            principal=self.principal,
            connection_params=self.connection_params,
            live=self.live,
        )

    @property
    def loaders(self) -> Loaders:
        """The loaders of live reads, made on first use (two dozen DataLoaders and their
        closures: 0.03 ms, a twentieth of a small request's CPU, issue 16)."""
        if self._loaders is None:
            self._loaders = make_loaders(self.run)
        return self._loaders

    def loaders_at(self, as_of: datetime | None) -> Loaders:
        """The loaders of live reads (``as_of`` None) or of reads at the instant ``as_of``."""
        if as_of is None:
            return self.loaders
        if as_of not in self._loaders_as_of:
            self._loaders_as_of[as_of] = make_loaders_as_of(self.run, self.loaders, as_of)
        return self._loaders_as_of[as_of]

    def _get_session(self) -> AsyncSession:
        if self._session is None:
            self._session = self.sessionmaker()
        return self._session

    async def run(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run a read on the request's session, one at a time.

        A request that only reads (a query) runs its statements without a transaction: each
        statement sees its own snapshot, as it would in a READ COMMITTED transaction, and
        the request saves the BEGIN and ROLLBACK round trips.

        The read runs in a task of its own, shielded: graphql-core cancels the siblings of a
        non-null field that raised (a refusal), and a statement cancelled while asyncpg
        waits for its answer costs its connection (SQLAlchemy invalidates it, as it would a
        lost one). A cancelled resolver stops waiting; its read finishes, and close() waits
        for it before giving the connection back."""
        task: asyncio.Task[T] = asyncio.ensure_future(self._run(work))
        self._in_flight.add(task)
        task.add_done_callback(self._done)
        return await asyncio.shield(task)

    async def read_alone(self, work: Callable[[RawReads], Awaitable[T]]) -> T:
        """Run a read that is the request's only one (a SQL plan's statement) on a
        connection of its own, with no session: the driver's connection straight from the
        pool of the engine the request reads from (db.raw). No task of its own (``run``'s
        shield keeps a connection whole for resolvers cancelled by their siblings; a SQL
        plan has none): cancelled mid-statement (the request's timeout), the connection
        is closed instead of given back (db.raw.read_once)."""
        self._refuse_unreachable()
        try:
            return await read_once(await self._reading_engine(), work)
        except Exception as error:
            self._note_unreachable(error)
            raise

    async def _run(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async with self._lock:
            self._refuse_unreachable()
            if self._session is None:
                self._session = self.sessionmaker(bind=await self._reading_engine())
                self._reading = True
            try:
                return await work(self._session)
            except Exception as error:
                self._note_unreachable(error)
                if unavailability(error) is not None or isinstance(error, DBAPIError):
                    # SQLAlchemy dropped the session's connection (lost, or its statement
                    # past ORGQL_DB_COMMAND_TIMEOUT_SECONDS), or the server aborted the
                    # session's transaction (a mutation's session, read after its commit,
                    # whose statement failed: cancelled, say). Either way the session
                    # refuses another statement until rolled back, the next field's unit
                    # of work included: the next read or write starts a session anew.
                    await self._close_session()
                raise

    def _refuse_unreachable(self) -> None:
        if self._no_connection is not None:
            raise self._no_connection

    def _note_unreachable(self, error: Exception) -> None:
        if self._no_connection is None and no_connection(error) is not None:
            self._no_connection = error

    async def _reading_engine(self) -> AsyncEngine:
        """Where the request's reads go (orgql.consistency.reads_from): a query's to a
        replica that has replayed the caller's consistency token, a mutation's to the
        primary; without a transaction either way."""
        primary: AsyncEngine = self.sessionmaker.kw["bind"]
        return await reading_engine(self.request.state, primary, writes=self.writes)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._in_flight.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: a read nobody waits for any more is not "lost"

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """A mutation's transaction: committed on success, rolled back on any exception.
        The history it records names the caller (core.history.service)."""
        async with self._lock:
            self._refuse_unreachable()
            if self._reading:  # reads came first: the writes get a transactional session
                # No read runs now (we hold the lock): close the session, keep the caches.
                await self._close_session()
            session = self._get_session()
            try:
                await history.set_actor(session, history.actor_of(self.principal))
                yield session
                # Last before the commit, in its transaction: an Idempotency-Key's run
                # committed (refused if a retry took the key over).
                await idempotency_claims.confirm(session, self.request.scope)
            except BaseException as error:
                if isinstance(error, Exception):
                    self._note_unreachable(error)
                await session.rollback()
                raise
            await session.commit()
            self.commits += 1
            note_commit()  # the answer reports it, not a 503 (observability.requests)
            await committed(self.request.state)

    @asynccontextmanager
    async def read_apart(self) -> AsyncIterator[AsyncSession]:
        """A read on the primary in a session of its own, its connection given back when the
        block ends: for a mutation that reads, then waits on something other than the
        database holding no connection (syncFinancialData's source), then writes in a
        unit_of_work. The request's session, which an earlier field's reads may hold a
        connection for, is closed first (its caches kept, as unit_of_work does)."""
        async with self._lock:
            self._refuse_unreachable()
            await self._close_session()
            try:
                async with self.sessionmaker() as session:
                    yield session
            except Exception as error:
                self._note_unreachable(error)
                raise

    async def default_site(self) -> models.Site | None:
        """The default site, read once per request.

        The resolvers of a whole page ask at once: they must share one read, else each
        issues its own and, resuming one at a time, splits the loaders' batches too."""
        if self._default_site is None:
            self._default_site = asyncio.ensure_future(self.run(site_reads.default_site))
        elif self._default_site.done():  # read already: no shield, no extra turn of the loop
            return self._default_site.result()
        # shield: a resolver cancelled while waiting must not cancel its siblings' read.
        return await asyncio.shield(self._default_site)

    async def access(self) -> access.Access:
        """What the caller may see (core.access.checks): read once per request, no statement for
        an admin, one for a shopper, shared by every resolver that asks."""
        if self.principal.is_admin:
            return access.EVERYTHING
        if self._access is None:
            principal = self.principal
            self._access = asyncio.ensure_future(
                self.run(lambda session: access.load(session, principal))
            )
        elif self._access.done():
            return self._access.result()
        return await asyncio.shield(self._access)

    async def close(self, *, abandon: bool = False) -> None:
        """Give the connection back and drop what the request read.

        Reads still in flight (their resolvers cancelled) are awaited first, so that the
        connection goes back whole; but a request that ran out of time (``abandon``, or
        this task being cancelled) cancels them: the database may be what is slow."""
        if self._in_flight:
            current = asyncio.current_task()
            if abandon or (current is not None and current.cancelling()):
                for task in self._in_flight:
                    task.cancel()
            await asyncio.gather(*list(self._in_flight), return_exceptions=True)
        if self._session is not None:  # none after a read alone (the direct path's)
            await self._close_session()
        self._reading = False
        # The loaders' closures refer back to this context: a cycle that only the garbage
        # collector frees, with everything the request read hanging from their caches (about
        # half a megabyte for a page). Emptied, the rows go when the request goes; the
        # collector finds a few small objects instead (a third of a page's CPU under load).
        if self._loaders is not None:
            self._loaders.clear()
        for loaders in self._loaders_as_of.values():
            loaders.clear()
        self._loaders_as_of.clear()
        self.organizations.clear()
        self._default_site = None
        self._access = None
        # The operations of an HTTP batch share the context: the next one may find a connection.
        self._no_connection = None

    async def _close_session(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._reading = False


class RouteReads(SchemaExtension):
    """A mutation's reads go to the primary, as do those of the operations after it in a
    batch; its answer carries the consistency token (orgql.consistency)."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        if self.execution_context.operation_type is not OperationType.QUERY and isinstance(
            context, Context
        ):
            context.writes = True
        yield

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        if not isinstance(context, Context) or not context.writes:
            return {}
        token = consistency_of(context.request.state).token
        return {EXTENSION: token} if token is not None else {}


Info = StrawberryInfo[Context, None]
