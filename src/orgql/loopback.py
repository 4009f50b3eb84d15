"""What "this machine only" means for the development profile.

Development hands out admin tokens (GraphiQL opens with one), so it listens on loopback only
(``orgql serve`` refuses another host) and mints a token only for a request that is
provably local: a loopback peer, no proxy's forwarding header (a proxy on this machine
would make every remote client a loopback peer), a loopback ``Host`` (a page on
another site whose name was rebound to 127.0.0.1 sends its own name), and not a request a
page of another site made (its browser says so in ``Sec-Fetch-Site``: such a page could not
read the answer, but it gets nothing to try with)."""

from __future__ import annotations

import ipaddress

from starlette.requests import Request

#: Host names that always mean this machine (RFC 6761 reserves "localhost").
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
#: ``Sec-Fetch-Site`` values of a request made by a page of another origin's site, or of
#: this machine's other ports ("same-site"); GraphiQL's own are "same-origin" and "none".
OTHER_SITES = frozenset({"cross-site", "same-site"})
#: Headers a proxy sets for the client it forwards (``Via``: RFC 9110 has every HTTP proxy
#: send it; Apache, Squid, Varnish and CDNs do, some with no X-Forwarded-For).
FORWARDING_HEADERS = (
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
    "via",
)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 (also IPv4-mapped, also in brackets) or a loopback name."""
    name = host.strip().lower().removeprefix("[").removesuffix("]").rstrip(".")
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _host_name(host_header: str) -> str:
    """``Host`` without its port: ``[::1]:8080`` -> ``::1``, ``localhost:8080`` -> ``localhost``."""
    if host_header.startswith("["):
        return host_header[1 : host_header.find("]")] if "]" in host_header else ""
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


def is_local_request(request: Request) -> bool:
    """The request comes straight from this machine (see the module docstring)."""
    client = request.client
    if client is None or not is_loopback(client.host):
        return False
    if any(name in request.headers for name in FORWARDING_HEADERS):
        return False
    if request.headers.get("sec-fetch-site", "").strip().lower() in OTHER_SITES:
        return False
    return is_loopback(_host_name(request.headers.get("host", "")))
