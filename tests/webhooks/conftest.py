"""Fixtures of the change-event tests: a loopback receiver and a dispatcher on the test's
database whose clock the test moves (no sleeping)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from webhook_receiver import Receiver
from webhook_support import Clock

from orgql.db.engine import make_sessionmaker
from orgql.webhooks.dispatcher import Dispatcher, DispatchPolicy
from orgql.webhooks.egress import webhook_client


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def policy() -> DispatchPolicy:
    return DispatchPolicy(backoff_base=2.0, backoff_max=60.0, jitter=0.0, max_attempts=5)


@pytest.fixture
async def http_client(policy: DispatchPolicy) -> AsyncIterator[httpx.AsyncClient]:
    """The dispatcher's own client, allowing the loopback receivers (development's default)."""
    async with webhook_client(timeout=policy.timeout, allow_private=True) as client:
        yield client


@pytest.fixture
def make_dispatcher(
    engine: AsyncEngine, policy: DispatchPolicy, clock: Clock, http_client: httpx.AsyncClient
) -> Callable[..., Dispatcher]:
    def make(**overrides: object) -> Dispatcher:
        return Dispatcher(
            make_sessionmaker(engine),
            overrides.pop("policy", policy),  # type: ignore[arg-type]
            http_client,
            clock=clock,
            rand=lambda: 0.5,
            **overrides,  # type: ignore[arg-type]
        )

    return make


@pytest.fixture
def dispatcher(make_dispatcher: Callable[..., Dispatcher]) -> Dispatcher:
    return make_dispatcher()
