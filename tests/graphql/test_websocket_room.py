"""The room of WebSocket connections (graphql.websocket_seats): connections that have not
signed in by connection_init have a room of their own (ORGQL_GRAPHQL_WS_MAX_AWAITING_INIT),
apart from the signed-in connections' ORGQL_GRAPHQL_WS_MAX_CONNECTIONS, so that clients that
never send connection_init cannot lock signed-in subscribers out. A real uvicorn server on
loopback (test_subscriptions), plain ``websockets`` clients; each wait is for a message or a
close, under a generous guard."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
import websockets
from sqlalchemy.ext.asyncio import AsyncEngine
from test_subscriptions import GUARD, PROTOCOL, LiveServer, _closed, _serve, _signed_in, admin_token

from orgql.graphql.websocket import TRY_AGAIN_LATER
from orgql.settings import Settings

#: graphql-transport-ws's close code of a connection that did not sign in in time.
INIT_TIMEOUT = 4408


@pytest.fixture
async def room_for_two(settings: Settings, engine: AsyncEngine) -> AsyncIterator[LiveServer]:
    """Two signed-in connections, two awaiting connection_init."""
    bounded = settings.model_copy(
        update={"graphql_ws_max_connections": 2, "graphql_ws_max_awaiting_init": 2}
    )
    async for server in _serve(bounded, engine):
        yield server


async def _idle(live: LiveServer) -> websockets.ClientConnection:
    """A connection that never sends connection_init, its handler running (it answered a
    ping, which the protocol allows before connection_init)."""
    connection = await websockets.connect(live.url, subprotocols=[PROTOCOL])  # type: ignore[list-item]
    await _ping(connection)
    return connection


async def _ping(connection: websockets.ClientConnection) -> None:
    await connection.send(json.dumps({"type": "ping"}))
    assert json.loads(await asyncio.wait_for(connection.recv(), GUARD)) == {"type": "pong"}


async def test_connections_awaiting_init_leave_signed_in_ones_their_room(
    room_for_two: LiveServer,
) -> None:
    """More connections that never sign in than the signed-in room holds: the signed-in
    still get all of it (they had been closed 1013 "too many connections")."""
    idle = [await _idle(room_for_two) for _ in range(2)]
    signed_in = [await _signed_in(room_for_two) for _ in range(2)]

    third = await websockets.connect(room_for_two.url, subprotocols=[PROTOCOL])  # type: ignore[list-item]
    assert await _closed(third) == (TRY_AGAIN_LATER, [])
    for connection in signed_in:
        await _ping(connection)
    for connection in [*idle, *signed_in]:
        await connection.close()


async def test_a_new_connection_closes_the_oldest_awaiting_init_when_their_room_is_full(
    room_for_two: LiveServer,
) -> None:
    """Whoever fills the room of connections awaiting connection_init cannot keep a signed-in
    subscriber out: a new connection takes the place of the one that has waited longest."""
    oldest, younger = await _idle(room_for_two), await _idle(room_for_two)

    newest = await _signed_in(room_for_two)

    assert await _closed(oldest) == (INIT_TIMEOUT, [])
    await _ping(younger)
    metrics = await room_for_two.metrics()
    assert 'orgql_graphql_websocket_closes_total{reason="awaiting_init"} 1.0' in metrics
    assert "orgql_graphql_websockets 2.0" in metrics
    for connection in (younger, newest):
        await connection.close()


async def test_a_connection_init_once_the_signed_in_room_has_filled_is_closed_1013(
    room_for_two: LiveServer,
) -> None:
    """Its token is good, but others signed in while it waited: it may try again later."""
    waiting = await _idle(room_for_two)
    signed_in = [await _signed_in(room_for_two) for _ in range(2)]

    token = {"Authorization": f"Bearer {admin_token(room_for_two.settings)}"}
    await waiting.send(json.dumps({"type": "connection_init", "payload": token}))

    assert await _closed(waiting) == (TRY_AGAIN_LATER, [])
    for connection in signed_in:
        await _ping(connection)
        await connection.close()
