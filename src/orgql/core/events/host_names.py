"""The host a webhook URL's HTTP client will connect to, and whether it can read it at all.

Delivery is httpx's (orgql.webhooks.dispatcher), which reads a URL's host with the ``idna``
package (IDNA 2008): an ASCII host starting ``xn--`` is decoded (``URL.host``), any other
non-ASCII host encoded, an IPv4- or IPv6-looking host parsed as an address. Encoding maps the
ideographic and fullwidth full stops (U+3002, U+FF0E, U+FF61) to ``.``, so ``127\u30020.0.1`` is
the loopback address it looks like. :func:`client_host` gives that one reading, and every
registration check (targets.host_problem) judges it, not the host as written. What httpx
cannot read fails every delivery (``https://xn--/``: "IDNAError: Malformed A-label"), so
registration refuses it with the same library and the same rules, rather than Python's
``idna`` codec (IDNA 2003), which takes ``xn--`` and ``☃.com`` alike. The core does not import
httpx (tests/test_layering.py): the rules of ``httpx._urlparse.encode_host`` are repeated here.
"""

from __future__ import annotations

import ipaddress
import re

import idna

#: httpx's test for a host written as an IPv4 address (four groups of digits).
_IPV4_STYLE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_INVALID = "url's host is not a valid host name"


class UnreadableHost(ValueError):
    """A host the HTTP client cannot read; the message (for the caller) says why."""


def client_host(host: str) -> str:
    """``host`` (a URL's host, as ``urlsplit`` gives it: without an IPv6 literal's brackets)
    as the HTTP client reads it: lower-cased, a non-ASCII name IDNA-encoded (its dots of
    other scripts becoming ``.``). Raises :class:`UnreadableHost` where the client could not
    read it: a label in Punycode (``xn--``) must decode to a valid IDNA name, a host of other
    scripts must encode to one, an IPv4- or IPv6-looking host must be an address."""
    host = host.lower()
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise UnreadableHost("url's host is not a valid IPv6 address") from None
        return host
    try:
        if not host.isascii():
            host = idna.encode(host).decode("ascii")
        elif host.startswith("xn--"):  # httpx decodes the whole host then, every label
            idna.decode(host)
        for label in host.split("."):
            if label.startswith("xn--"):  # a Punycode label anywhere must be one
                idna.decode(label)
    except (idna.IDNAError, UnicodeError):
        raise UnreadableHost(_INVALID) from None
    if _IPV4_STYLE.fullmatch(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise UnreadableHost("url's host is not a valid IPv4 address") from None
    return host
