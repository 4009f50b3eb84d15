"""Whether a webhook URL's host can be used by the HTTP client that delivers to it.

Delivery is httpx's (orgql.webhooks.dispatcher), which reads a URL's host with the ``idna``
package (IDNA 2008): an ASCII host starting ``xn--`` is decoded (``URL.host``), any other
non-ASCII host encoded, an IPv4- or IPv6-looking host parsed as an address. What it cannot
read fails every delivery (``https://xn--/``: "IDNAError: Malformed A-label"), so
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


def host_name_problem(host: str) -> str | None:
    """Why the HTTP client could not read ``host`` (a URL's host, as ``urlsplit`` gives it:
    without an IPv6 literal's brackets), or None. A label in Punycode (``xn--``) must decode
    to a valid IDNA name, a host of other scripts must encode to one, an IPv4- or IPv6-looking
    host must be an address."""
    host = host.lower()
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return "url's host is not a valid IPv6 address"
        return None
    if _IPV4_STYLE.fullmatch(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return "url's host is not a valid IPv4 address"
        return None
    try:
        if not host.isascii():
            idna.encode(host)
        elif host.startswith("xn--"):  # httpx decodes the whole host then, every label
            idna.decode(host)
        for label in host.split("."):
            if label.startswith("xn--"):  # a Punycode label anywhere must be one
                idna.decode(label)
    except (idna.IDNAError, UnicodeError):
        return _INVALID
    return None
