"""The HTTP side of a direct answer (graphql.execution.direct): the POST body read straight
from ASGI ``receive``, the JSON answer sent as its two ASGI messages.

Starlette's ``Request.body`` reads through an async generator (``Request.stream``) wrapped in
``aclosing``, and a ``Response`` renders its body and builds its headers in Python before
sending the same two messages: together about a tenth of issue 16's read of one
organization, around a read whose answer is already bytes. What they do is done here, the
same way:

- the body: the ``http.request`` messages' bodies joined until one says no more follows; an
  ``http.disconnect`` first raises Starlette's ``ClientDisconnect`` (graphql.asgi answers it).
  Kept on the request as ``Request.body`` keeps it, so that the pipeline answering next
  (a declined read, a document not answered directly) reads it from there, not from
  ``receive`` again. The body's limits stay the middlewares' (body_limit, body_deadline),
  which wrap ``receive``; its other refusals (not JSON, not a JSON content type) the
  pipeline's;
- the answer: status 200 with the headers a Starlette ``Response(body,
  media_type="application/json")`` has, in its order (``content-length``, ``content-type``).
"""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request
from starlette.types import Send

_JSON = b"application/json"


async def read_body(request: Request) -> bytes:
    """``await request.body()``: the same bytes, the same ``ClientDisconnect``, the request
    left as it leaves it (the body kept, the stream consumed)."""
    receive = request.receive
    chunks: list[bytes] = []
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "http.request":
            chunk = message.get("body", b"")
            if chunk:
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        elif kind == "http.disconnect":
            request._is_disconnected = True
            raise ClientDisconnect()
    body = b"".join(chunks)  # one chunk: that very bytes object, not a copy
    request._stream_consumed = True
    request._body = body
    return body


async def send_json(send: Send, body: bytes) -> None:
    """A 200 answer of the JSON ``body``, as Starlette's ``Response`` sends it."""
    headers = [(b"content-length", str(len(body)).encode("latin-1")), (b"content-type", _JSON)]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
