"""What a failed webhook POST's ``lastError`` says, which admins read through the API: for a
connection's failure a fixed description of its kind (``ConnectError: connection refused``),
never the text of the exception. That text is the network library's and the system's, and
may name the address a host name resolved to (``Connect call failed ('203.0.113.9', 443)``)
or quote what the receiver sent; the target check (:mod:`orgql.webhooks.egress`) names the
kind of address it refuses, never the address, for the same reason. A certificate's
rejection adds why (:func:`certificate_problem`). The text itself goes to the server log
(:func:`log_text`), for operators."""

from __future__ import annotations

import ast
import errno
import re
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

_CERTIFICATE = "TLS certificate not accepted"

#: The description of a failure whose chain holds one of these (the first that matches).
_BY_CAUSE: tuple[tuple[type[BaseException], str], ...] = (
    (NameNotResolvedInTime, "name not resolved in time"),
    (NameNotResolved, "name not resolved"),
    (ssl.SSLCertVerificationError, _CERTIFICATE),
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


def certificate_problem(error: BaseException) -> str | None:
    """Why the receiver's certificate was not accepted (``certificate has expired``,
    ``self-signed certificate``, ``Hostname mismatch, certificate is not valid for
    'hooks.example.com'.``), or None. It is the ``verify_message`` CPython's ``_ssl`` gives
    a failed verification: OpenSSL's fixed text for the verify code, or for a name or IP
    address mismatch its own sentence quoting the TLS server name, which is the URL's host
    (httpcore's, no ``sni_hostname`` is set): nothing the URL does not say. Not the
    exception's message, nor a ``verify_message`` of any other shape."""
    for cause in _chain(error):
        if isinstance(cause, ssl.SSLCertVerificationError):
            said = getattr(cause, "verify_message", None)
            if isinstance(said, str) and said.isprintable() and 0 < len(said) <= 300:
                return said
    return None


def last_error(error: Exception) -> str:
    """``lastError`` of a POST that raised ``error``: a transport failure's class and fixed
    description (a certificate's rejection with why); any other exception (a URL the client
    refuses, stored before registration checked it) its class and message, which hold the
    subscription's own URL at most."""
    if isinstance(error, httpx.TransportError):
        said = description(error)
        problem = certificate_problem(error) if said == _CERTIFICATE else None
        return f"{type(error).__name__}: {said}" + (f": {problem}" if problem else "")
    return f"{type(error).__name__}: {error}"[:500]


#: A bytes literal as ``repr`` writes it (``b'…'``, or ``b"…"`` when it holds a ``'``), alone or
#: in ``bytearray(…)``: how h11 quotes what it could not parse (``illegal status line:
#: bytearray(b'…')``), which may be the request itself, reflected by the receiver.
_QUOTED_BYTES = re.compile(
    r"""bytearray\((?P<inner>\bb(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"))\)"""
    r"""|\bb(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
)
#: The opening of a bytes literal left after those: one cut short, closed nowhere.
_OPENING = re.compile(r"""\bb['"]""")


def _withheld(quoted: re.Match[str]) -> str:
    literal = quoted.group("inner") or quoted.group(0)
    try:
        return f"<{len(ast.literal_eval(literal))} bytes withheld>"
    except (ValueError, SyntaxError):  # not repr's: a character beyond ASCII in it
        return "<bytes withheld>"


def _without_quoted_bytes(text: str) -> str:
    """``text`` with each quoted bytes literal replaced by ``<N bytes withheld>``; from an
    opening that is never closed (a text cut short) to the end, ``<bytes withheld>``."""
    text = _QUOTED_BYTES.sub(_withheld, text)
    opening = _OPENING.search(text)
    return text if opening is None else text[: opening.start()] + "<bytes withheld>"


def log_text(error: BaseException) -> str:
    """``error`` for the server log, which operators read: ``type: text`` of it and of each
    cause whose text differs (httpx's ``All connection attempts failed`` holds the
    system's ``[Errno 111] Connect call failed ('203.0.113.9', 443)``). The network
    library's and the system's words, addresses included; of the URL its host and port at
    most (a name that does not resolve, a certificate for another name, a malformed port),
    never its path, query or userinfo, nor the body or a header sent. The bytes a library
    quotes (h11's ``illegal status line: bytearray(b'…')``: a receiver that reflects the
    request makes them the request line, path and query included) are withheld, in every
    link: ``<41 bytes withheld>``. At most 1,000 characters."""
    seen: set[str] = set()
    parts = []
    for cause in _chain(error):
        text = _without_quoted_bytes(str(cause))
        if isinstance(cause, BaseExceptionGroup) or text in seen:
            continue
        seen.add(text)
        parts.append(f"{type(cause).__name__}: {text}" if text else type(cause).__name__)
    return "; caused by ".join(parts)[:1000]
