"""The room of a process's WebSocket connections: two rooms, so that connections nobody has
signed in cannot keep out those somebody has.

A connection takes a seat awaiting ``connection_init`` when it opens, and moves to the
signed-in room when its ``connection_init`` is accepted (graphql.asgi.on_ws_connect):

- At most ``limit`` signed in (ORGQL_GRAPHQL_WS_MAX_CONNECTIONS): while they are that many,
  a new connection is closed with 1013 Try Again Later at once, and one whose
  ``connection_init`` comes when the room has filled meanwhile is closed 1013 then.
- At most ``awaiting_limit`` awaiting ``connection_init`` (ORGQL_GRAPHQL_WS_MAX_AWAITING_INIT),
  apart from them: sockets that never sign in (anyone may open them) no longer fill the
  signed-in room, as they did when both shared one count. When this room is full, a new
  connection takes the place of the one that has waited longest without sending
  ``connection_init``, closed 4408 as its timeout would have closed it: holding the room
  would need new connections faster than a client sends its ``connection_init`` (a round
  trip), not a few idle sockets renewed every ORGQL_GRAPHQL_WS_INIT_TIMEOUT_SECONDS. Only
  when every waiting connection has sent its ``connection_init`` (being checked: a token
  not accepted is closed 4403 at once) is a new one closed 1013.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from orgql.settings import Settings

#: Where a connection's seat travels in its ASGI scope, from the view to its handler.
SEAT = "orgql.websocket_seat"
#: graphql-transport-ws's close code of a connection that did not send connection_init in time.
INIT_TIMEOUT = 4408
#: The close reason of the connection that made room for a newer one.
MADE_ROOM = "too many connections awaiting connection_init"


class Waiting(Protocol):
    """The handler of a connection awaiting connection_init (graphql.websocket.LiveHandler)."""

    connection_init_received: bool

    def close_soon(self, code: int, reason: str) -> None: ...

    @property
    def closing(self) -> asyncio.Task[None] | None:
        """Its close_soon under way (shutdown waits for it: graphql.websocket.close_all)."""


class Seat:
    """One connection's place: awaiting connection_init, then signed in, then given back."""

    def __init__(self, connections: Connections) -> None:
        self.connections = connections
        self.signed_in = False
        self.released = False
        #: The connection's handler, once it runs: what closes it to make room.
        self.handler: Waiting | None = None

    def sign_in(self) -> bool:
        """Move to the signed-in room; False (nothing moved) when it is full or when this
        connection was closed to make room already."""
        return self.connections.sign_in(self)

    def release(self) -> None:
        """The connection ended: its seat is free (once)."""
        self.connections.release(self)


class Connections:
    """The open WebSocket connections of this process: at most ``limit`` signed in, and at
    most ``awaiting_limit`` awaiting connection_init."""

    def __init__(self, limit: int, awaiting_limit: int) -> None:
        self.limit = limit
        self.awaiting_limit = awaiting_limit
        self.signed_in = 0
        #: The seats awaiting connection_init, oldest first (a dict keeps the order).
        self.awaiting: dict[Seat, None] = {}
        #: The handlers running (closed at shutdown: graphql.websocket.close_all).
        self.open: set[Waiting] = set()
        #: Told ``opened``, ``closed``, and a close for a bound: ``too_many``,
        #: ``awaiting_init``, ``slow_consumer`` (the metrics).
        self.on_event: Callable[[str], None] = lambda kind: None

    @classmethod
    def from_settings(cls, settings: Settings) -> Connections:
        return cls(settings.graphql_ws_max_connections, settings.graphql_ws_max_awaiting_init)

    def claim(self) -> Seat | None:
        """A seat for a new connection, awaiting connection_init; None: refuse it (1013)."""
        if self.signed_in >= self.limit:
            self.on_event("too_many")
            return None
        if len(self.awaiting) >= self.awaiting_limit and not self._make_room():
            self.on_event("awaiting_init")
            return None
        seat = Seat(self)
        self.awaiting[seat] = None
        self.on_event("opened")
        return seat

    def _make_room(self) -> bool:
        """Close the connection that has waited longest without sending connection_init."""
        for seat in self.awaiting:
            handler = seat.handler
            if handler is not None and not handler.connection_init_received:
                del self.awaiting[seat]
                self.on_event("awaiting_init")
                handler.close_soon(INIT_TIMEOUT, MADE_ROOM)
                return True
        return False

    def sign_in(self, seat: Seat) -> bool:
        if seat not in self.awaiting:  # closed to make room meanwhile
            return False
        if self.signed_in >= self.limit:
            self.on_event("too_many")
            return False
        del self.awaiting[seat]
        seat.signed_in = True
        self.signed_in += 1
        return True

    def release(self, seat: Seat) -> None:
        if seat.released:
            return
        seat.released = True
        if seat.signed_in:
            self.signed_in -= 1
        self.awaiting.pop(seat, None)
        self.on_event("closed")
