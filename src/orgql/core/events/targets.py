"""Where webhooks may go (docs/change-events.md, "Where webhooks may go").

A webhook URL is an admin's input, and the gateway POSTs to it from inside its own network:
without a rule, whoever holds an admin token could make the gateway call (and port-scan) the
services beside it, its own loopback, or the cloud's metadata service (169.254.169.254).
Where ``ORGQL_WEBHOOK_ALLOW_PRIVATE_TARGETS`` refuses them (production's default), a target
must be a globally routable address. The rule is checked twice: at registration on what the
URL shows (an address written in it, a name that is local by definition; no DNS lookup), and
at each delivery on every address its host name resolves to then
(:mod:`orgql.webhooks.egress`), since what a name resolves to can change after registration.
"""

from __future__ import annotations

import ipaddress
import re
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Names that are local by definition: RFC 6761 (localhost), RFC 6762 (.local, mDNS),
#: RFC 8375 (home.arpa), ICANN's private-use .internal (metadata.google.internal), and the
#: usual /etc/hosts aliases of loopback.
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
LOCAL_SUFFIXES = (".localhost", ".local", ".localdomain", ".internal", ".home.arpa")
#: What ``inet_aton`` (and so the system resolver) reads as an IPv4 address besides the
#: dotted quad: ``2130706433``, ``0x7f.1``, ``0177.0.0.1`` are all 127.0.0.1.
_NUMERIC_HOST = re.compile(r"[0-9][0-9a-fx.]*", re.IGNORECASE)
_UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")


def refused_kind(address: IPAddress) -> str | None:
    """Why ``address`` is no webhook target where private targets are refused (a few words,
    for messages), or None for a globally routable unicast address. An IPv4 address inside an
    IPv6 one (IPv4-mapped ``::ffff:127.0.0.1``, 6to4 ``2002:7f00:1::``) counts as itself."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return refused_kind(embedded)
    checks = (
        (address.is_unspecified, "an unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_reserved, "a reserved address"),
        (
            isinstance(address, ipaddress.IPv6Address)
            and (address.is_site_local or address in _UNIQUE_LOCAL),
            "a unique-local address",
        ),
        (address.is_private, "a private address"),
        (not address.is_global, "an address that is not globally routable"),
    )
    return next((kind for refused, kind in checks if refused), None)


def literal_address(host: str) -> IPAddress | None:
    """The address ``host`` (a URL's host, without brackets) writes literally, in any form
    the system resolver would read as one; None for a name. Parsing only, no lookup."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])  # an IPv6 zone: fe80::1%eth0
    except ValueError:
        pass
    if _NUMERIC_HOST.fullmatch(host.rstrip(".")):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host.rstrip(".")))
        except OSError:
            return None
    return None


def host_problem(host: str, *, written: str | None = None) -> str | None:
    """Why a URL naming ``host`` is refused at registration where private targets are, or
    None. ``host`` is the host as the HTTP client reads it (host_names.client_host), and
    ``written`` the URL's own spelling where it differs (``127。0.0.1``), for the message.
    A name's addresses are checked at each delivery, not here (module docstring)."""
    name = host.lower().rstrip(".")
    if written is not None and written.lower() != host.lower():
        host = f"{written} (read as {host})"
    address = literal_address(name)
    if address is not None:
        kind = refused_kind(address)
        return None if kind is None else f"url's host {host} is {kind}"
    if name in LOCAL_NAMES or name.endswith(LOCAL_SUFFIXES):
        return f"url's host {host} is a local name"
    if "." not in name:
        return f"url's host {host} is a single-label name, resolved on the local network"
    return None
