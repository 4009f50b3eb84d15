"""What a failed webhook POST's ``lastError`` says, which admins read through the API: for a
connection's failure a fixed description of its kind (``ConnectError: connection refused``),
never the text of the exception. That text is the network library's and the system's, and
may name the address a host name resolved to (``Connect call failed ('203.0.113.9', 443)``)
or quote what the receiver sent; the target check (:mod:`orgql.webhooks.egress`) names the
kind of address it refuses, never the address, for the same reason."""

from __future__ import annotations

import errno
import ssl
from collections.abc import Iterator

import httpcore
import httpx


class NameNotResolved(httpcore.ConnectError):
    """The target's host name resolved to no address (no such name, no answer)."""


class NameNotResolvedInTime(httpcore.ConnectTimeout):
    """The target's host name was not resolved within the connect timeout."""


#: errno values of an address the network cannot reach.
_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN}

#: The description of a failure whose chain holds one of these (the first that matches).
_BY_CAUSE: tuple[tuple[type[BaseException], str], ...] = (
    (NameNotResolvedInTime, "name not resolved in time"),
    (NameNotResolved, "name not resolved"),
    (ssl.SSLCertVerificationError, "TLS certificate not accepted"),
    (ssl.SSLError, "TLS handshake failed"),
    (ConnectionRefusedError, "connection refused"),
    (ConnectionResetError, "connection reset"),
    (ConnectionAbortedError, "connection reset"),
    (BrokenPipeError, "connection reset"),
)

#: Else the description of the httpx class raised (the first that matches).
_BY_CLASS: tuple[tuple[type[httpx.TransportError], str], ...] = (
    (httpx.ConnectTimeout, "timed out connecting"),
    (httpx.WriteTimeout, "timed out sending the request"),
    (httpx.ReadTimeout, "timed out waiting for the answer"),
    (httpx.PoolTimeout, "timed out waiting for a connection"),
    (httpx.ConnectError, "connection failed"),
    (httpx.WriteError, "connection lost while sending the request"),
    (httpx.ReadError, "connection lost while waiting for the answer"),
    (httpx.UnsupportedProtocol, "unsupported URL scheme"),
    (httpx.ProxyError, "proxy failed"),
    (httpx.RemoteProtocolError, "the answer is not valid HTTP"),
    (httpx.LocalProtocolError, "the request could not be sent"),
    (httpx.TransportError, "transport failed"),
)


def _chain(error: BaseException) -> Iterator[BaseException]:
    """``error``, its causes and contexts, and the members of exception groups among them."""
    seen: set[int] = set()
    waiting = [error]
    while waiting:
        current = waiting.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            waiting.extend(current.exceptions)
        waiting.extend(e for e in (current.__cause__, current.__context__) if e is not None)


def description(error: httpx.TransportError) -> str:
    """The fixed description of ``error``'s kind: what failed, never where."""
    chain = list(_chain(error))
    for kind, said in _BY_CAUSE:
        if any(isinstance(cause, kind) for cause in chain):
            return said
    if isinstance(error, httpx.RemoteProtocolError) and str(error).startswith(
        "Server disconnected"
    ):
        return "connection closed without an answer"
    if any(isinstance(cause, OSError) and cause.errno in _UNREACHABLE for cause in chain):
        return "address unreachable"
    return next(said for kind, said in _BY_CLASS if isinstance(error, kind))


def last_error(error: Exception) -> str:
    """``lastError`` of a POST that raised ``error``: a transport failure's class and fixed
    description; any other exception (a URL the client refuses, stored before registration
    checked it) its class and message, which hold the subscription's own URL at most."""
    if isinstance(error, httpx.TransportError):
        return f"{type(error).__name__}: {description(error)}"
    return f"{type(error).__name__}: {error}"[:500]
