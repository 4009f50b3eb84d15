"""The typed per-request GraphQL context: one session, its lock, the loaders, the site."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from strawberry.types import Info as StrawberryInfo

from orgql.core import history, repository
from orgql.core.principals import ANONYMOUS, Principal
from orgql.db import models
from orgql.graphql.loaders import Loaders, make_loaders, make_loaders_as_of
from orgql.settings import Settings

T = TypeVar("T")


@dataclass
class Context:
    request: Request
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    #: The ``x-ccsite`` header: the site of site-specific fields without a ``site`` argument.
    site_header: str | None
    #: The caller (admin, shopper, anonymous), authenticated by the ASGI middleware.
    principal: Principal = ANONYMOUS
    _session: AsyncSession | None = None
    # Sibling resolvers run concurrently but one AsyncSession allows one statement at a time.
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Shared by every resolver that asks while the read is in flight (see default_site).
    _default_site: asyncio.Future[models.Site | None] | None = None
    loaders: Loaders = field(init=False)
    # Point-in-time reads: one set of loaders per instant asked for in the request.
    _loaders_as_of: dict[datetime, Loaders] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.loaders = make_loaders(self.run)

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
        """Run a read on the request's session, one at a time."""
        async with self._lock:
            return await work(self._get_session())

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """A mutation's transaction: committed on success, rolled back on any exception.
        The history it records names the caller (core.history)."""
        async with self._lock:
            session = self._get_session()
            try:
                await history.set_actor(session, history.actor_of(self.principal))
                yield session
            except BaseException:
                await session.rollback()
                raise
            await session.commit()

    async def default_site(self) -> models.Site | None:
        """The default site, read once per request.

        The resolvers of a whole page ask at once: they must share one read, else each
        issues its own and, resuming one at a time, splits the loaders' batches too."""
        if self._default_site is None:
            self._default_site = asyncio.ensure_future(self.run(repository.default_site))
        # shield: a resolver cancelled while waiting must not cancel its siblings' read.
        return await asyncio.shield(self._default_site)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


Info = StrawberryInfo[Context, None]
