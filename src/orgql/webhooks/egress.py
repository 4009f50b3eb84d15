"""The webhook dispatcher's HTTP client: it connects only to addresses the target rule
allows (:mod:`orgql.core.events.targets`), checked when the connection is made.

The check sits in httpcore's network backend, the one place every connection is opened: the
host name is resolved there (the event loop's resolver, bounded by the connect timeout), every
address it resolves to is checked, and the connection goes to one of those very addresses
(never a second lookup, so a name rebound between check and connect changes nothing). TLS
still verifies the certificate against the URL's host name. A redirect could not bypass it
(its connection is opened here too), and the dispatcher follows none anyway. Deliveries do
not go through ``HTTP(S)_PROXY``: a proxy would be the one connecting, unchecked.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence

import httpcore
import httpx

from orgql.core.events.targets import IPAddress, refused_kind
from orgql.webhooks.failures import NameNotResolved, NameNotResolvedInTime

logger = logging.getLogger("orgql.webhooks")

#: host, port -> the addresses to connect to, in order (a seam: tests resolve names their way).
Resolve = Callable[[str, int], Awaitable[Sequence[IPAddress]]]


class RefusedTarget(Exception):
    """The target resolves to an address ORGQL_WEBHOOK_ALLOW_PRIVATE_TARGETS refuses: a
    permanent failure, no retry makes it deliverable."""


async def system_resolve(host: str, port: int) -> list[IPAddress]:
    """``host``'s addresses from the system resolver, through the event loop (its default
    executor: the loop never blocks on DNS)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: dict[IPAddress, None] = {}
    for _family, _type, _proto, _name, sockaddr in infos:
        found[ipaddress.ip_address(str(sockaddr[0]))] = None  # may carry an IPv6 zone
    return list(found)


def _refused_as(host: str, address: IPAddress, kind: str) -> str:
    """Why ``host`` is refused, for the delivery's ``lastError``, which admins read through
    the API: the kind of address a name resolves to, never the address (the answers of the
    server's own DNS, inside names included, are none of the API's business). The host and
    the address go to the server's log, as a warning, for operators: the log names hosts and
    ports, never a URL's path, query or userinfo (:func:`orgql.webhooks.failures.log_text`)."""
    if str(address) == host:  # the URL's own literal address: the caller wrote it
        said = f"is {kind}"
    else:
        logger.warning(
            "a webhook target's name %s resolves to %s, %s: refused", host, address, kind
        )
        said = f"resolves to {kind}"
    return f"{said}: this server delivers to public addresses only"


class CheckedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, resolving and checking each host before connecting."""

    def __init__(
        self,
        *,
        allow_private: bool,
        resolve: Resolve = system_resolve,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.resolve = resolve
        self.inner = inner if inner is not None else httpcore.AnyIOBackend()

    async def addresses(self, host: str, port: int, within: float | None) -> Sequence[IPAddress]:
        """Where ``host`` may be reached: every address it resolves to, or RefusedTarget
        when any of them is refused (a name answering a public and a private address is a
        name pointing inside)."""
        try:
            found: Sequence[IPAddress] = [ipaddress.ip_address(host)]  # no lookup for these
        except ValueError:
            try:
                async with asyncio.timeout(within):
                    found = await self.resolve(host, port)
            except TimeoutError:
                raise NameNotResolvedInTime(f"resolving {host} timed out") from None
            except OSError as exc:  # socket.gaierror: no such name, no answer
                raise NameNotResolved(f"cannot resolve {host}: {exc}") from None
        if not found:
            raise NameNotResolved(f"{host} resolves to no address")
        if not self.allow_private:
            for address in found:
                kind = refused_kind(address)
                if kind is not None:
                    raise RefusedTarget(f"{host} {_refused_as(host, address, kind)}")
        return found

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        failure: Exception | None = None
        for address in await self.addresses(host, port, timeout):
            try:
                return await self.inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc  # the next address, as a resolver's order suggests
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise RefusedTarget("refused: webhooks are not delivered to Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class CheckedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport on a :class:`CheckedBackend`. httpx does not take a network
    backend (encode/httpx discussion 3180), so its connection pool is replaced by one built
    the same way with that backend; should httpx's internals change, this refuses to start
    rather than run unchecked."""

    def __init__(self, backend: CheckedBackend, *, limits: httpx.Limits) -> None:
        super().__init__(limits=limits)
        if not isinstance(getattr(self, "_pool", None), httpcore.AsyncConnectionPool):
            raise RuntimeError("httpx.AsyncHTTPTransport has no connection pool to replace")
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )


def webhook_client(
    *, timeout: float, allow_private: bool, resolve: Resolve = system_resolve
) -> httpx.AsyncClient:
    """The dispatcher's client: checked connections, no redirects followed."""
    backend = CheckedBackend(allow_private=allow_private, resolve=resolve)
    return httpx.AsyncClient(
        # httpx's own default limits.
        transport=CheckedTransport(
            backend, limits=httpx.Limits(max_connections=100, max_keepalive_connections=20)
        ),
        timeout=timeout,
        follow_redirects=False,
    )
