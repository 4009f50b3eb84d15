"""One request header read straight from an ASGI scope's raw list.

The edge middlewares each need one or two headers of every request; a Starlette ``Headers``
built for each would copy the list every time (issue 16). Same answer as ``Headers.get``:
the first value under that name, decoded as latin-1."""

from __future__ import annotations

from starlette.types import Message, Scope


def _raw(scope: Scope) -> list[tuple[bytes, bytes]]:
    """The scope's raw header list: any iterable (ASGI), read once, kept as Starlette does."""
    raw = scope["headers"]
    if not isinstance(raw, list):
        raw = scope["headers"] = list(raw)
    return raw


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of header ``name`` (lowercase, as ASGI servers send names)."""
    for key, value in _raw(scope):
        if key == name:
            return value.decode("latin-1")
    return None


def header_values(scope: Scope, name: bytes) -> list[str]:
    """Every value of header ``name`` (lowercase), in the order sent: for a header that must
    come once, or whose lines all count."""
    return [value.decode("latin-1") for key, value in _raw(scope) if key == name]


def set_header(message: Message, name: bytes, value: str) -> None:
    """Set header ``name`` (lowercase) of an ``http.response.start`` as
    ``MutableHeaders(scope=message)[name] = value`` does: the first one it had is replaced
    in place and the others removed, else it is added last."""
    raw = message["headers"] = list(message["headers"])
    pair = (name, value.encode("latin-1"))
    if all(key != name for key, _ in raw):  # the usual case: added
        raw.append(pair)
        return
    found = [index for index, (key, _) in enumerate(raw) if key == name]
    for index in reversed(found[1:]):
        del raw[index]
    raw[found[0]] = pair


#: The Cache-Control of an answer no cache may keep: an error answer that says none of its
#: own (keep_out_of_caches), and a GraphQL GET's answer with errors (graphql.http_get).
NOT_STORED = "no-store"


def keep_out_of_caches(message: Message) -> None:
    """An error answer's ``http.response.start`` without a Cache-Control of its own gets
    ``no-store``: a 404, 405, 410 or 414 is cacheable by default (RFC 9111), and a refusal
    (a 400 for one request's input, a 401, a 429, a 503) is no answer for the next caller
    of the URL. Every error of every path goes through here (observability.requests)."""
    if not any(key == b"cache-control" for key, _ in message["headers"]):
        message["headers"] = [*message["headers"], (b"cache-control", NOT_STORED.encode())]


def without_body(scope: Scope) -> bool:
    """True when an HTTP/1.x request has no body: no Transfer-Encoding, and no Content-Length
    but ``0`` (RFC 9112 6.3: its body length is zero; a client may send ``Content-Length: 0``
    with a GET). Its one ``http.request`` message is then empty and already there: nothing to
    bound or count. (HTTP/2 frames a body without either header, so it is not judged here.)"""
    if scope.get("http_version") not in ("1.1", "1.0"):
        return False
    for key, value in scope["headers"]:
        if key == b"transfer-encoding" or (key == b"content-length" and value != b"0"):
            return False
    return True
