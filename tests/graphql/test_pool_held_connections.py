"""The primary's pool counts the connections held for long periods on top of the requests'
twice ORGQL_DB_POOL_SIZE (db.engine.PRIMARY_HELD_CONNECTIONS): with the webhook
dispatcher LISTENing and the live feed's presence held for an open subscription, a pool of
size 1 still answers requests, where its two connections were both out and every request
waited ORGQL_DB_POOL_TIMEOUT_SECONDS to answer 503."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from test_subscriptions import GUARD, _client, _collect, _next, _serve, admin_token

from orgql.core.events import outbox
from orgql.settings import Settings
from orgql.webhooks.dispatcher import Dispatcher

ORGANIZATION = "/ccadmin/v1/organizations/100001"
ONE = {"query": 'query One { organization(id: "100001") { id name } }'}
#: The live feed's shared advisory lock, held on its presence connection (live.feed).
PRESENCE = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND classid = :space AND objid = :key AND objsubid = 2"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


async def test_requests_are_answered_while_the_dispatcher_and_a_subscription_hold_connections(
    settings: Settings, engine: AsyncEngine
) -> None:
    # The requests share their two connections with the dispatcher's rounds and the feed's
    # polls, each a moment long (longer on a loaded machine): the pool's usual timeout, not
    # a short one they could use up. Without the held two, every request waits all of it
    # (the held connections stay out) and answers 503, well within the client's bound.
    small = settings.model_copy(
        update={"db_pool_size": 1, "db_pool_timeout_seconds": 10, "webhook_dispatcher": True}
    )
    token = admin_token(small)
    events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    async for live in _serve(small, None):  # the app's own engine, sized by the settings
        dispatcher: Dispatcher = live.server.lifespan.state["webhook_dispatcher"]  # type: ignore[attr-defined]
        async with asyncio.timeout(GUARD):
            while not dispatcher.listening:  # noqa: ASYNC110 (it signals none)
                await asyncio.sleep(0.01)
        async with _client(live, token) as session:
            collecting = asyncio.create_task(_collect(session, events))
            try:
                await asyncio.wait_for(live.feed.wait_for_subscribers(1), GUARD)
                space, key = outbox.live_lock_keys()
                async with engine.connect() as watch:
                    present = await watch.scalar(PRESENCE, {"space": space, "key": key})
                assert (dispatcher.listening, present) == (True, 1)  # both held now

                async with httpx.AsyncClient(
                    base_url=f"http://127.0.0.1:{live.port}",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=GUARD,
                ) as http:
                    rest = await http.get(ORGANIZATION)
                    query = await http.post("/graphql", json=ONE)
                await live.update("100001", "told while the pool is shared")
                told = await _next(events)
            finally:
                collecting.cancel()
                await asyncio.gather(collecting, return_exceptions=True)

    assert (rest.status_code, rest.json()["id"]) == (200, "100001")
    assert query.status_code == 200
    assert query.json()["data"]["organization"]["name"] == "Sample"
    assert (told["type"], told["organizationId"]) == ("organization.updated", "100001")
