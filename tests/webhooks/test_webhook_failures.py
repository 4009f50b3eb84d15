"""A failed delivery's ``lastError`` (read by admins through the API) says what kind of
connection failure it was, in fixed words, never the network library's text: that text may
name the address a host name resolved to, which the target check keeps out of the API too
(docs/change-events.md, "Where webhooks may go"). A certificate's rejection says why; the
library's text is in a warning of the server log, for operators."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import itertools
import logging
import socket
import ssl
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path

import httpcore
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from tls_certificates import Authority, self_signed
from webhook_support import Clock, deliveries_of, emit_committed, subscribe

from orgql.core.events.outbox import EventType
from orgql.core.events.targets import IPAddress
from orgql.db.engine import make_sessionmaker
from orgql.webhooks.dispatcher import Dispatcher, DispatchPolicy
from orgql.webhooks.egress import webhook_client
from orgql.webhooks.failures import last_error, log_text

NAME = "hooks.example.com"


async def to_loopback(host: str, port: int) -> Sequence[IPAddress]:
    """A resolver answering 127.0.0.1 for the test's name: the address is the resolver's
    answer, not part of the URL (what a public name resolving to a public address is)."""
    if host != NAME:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return [ipaddress.ip_address("127.0.0.1")]


async def attempted_once(
    engine: AsyncEngine, session: AsyncSession, url: str
) -> tuple[str | None, uuid.UUID]:
    """The ``lastError`` of one delivery to ``url``, attempted once (loopback allowed), and
    its subscription's id."""
    subscription = await subscribe(engine, url)
    await emit_committed(engine, [(EventType.ORGANIZATION_CREATED, "100001")])
    async with webhook_client(timeout=10, allow_private=True, resolve=to_loopback) as client:
        policy = DispatchPolicy(max_attempts=5)
        dispatcher = Dispatcher(make_sessionmaker(engine), policy, client, clock=Clock())
        assert await dispatcher.drain() == 1
    [delivery] = await deliveries_of(session, subscription.subscription.id)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, None)
    return delivery.last_error, subscription.subscription.id


async def last_error_of(engine: AsyncEngine, session: AsyncSession, url: str) -> str | None:
    """The ``lastError`` of one delivery to ``url``, attempted once (loopback allowed)."""
    error, _subscription_id = await attempted_once(engine, session, url)
    return error


def failures_logged(caplog: pytest.LogCaptureFixture, subscription_id: uuid.UUID) -> list[str]:
    """The warnings of ``orgql.webhooks`` about a failed delivery to the subscription."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "orgql.webhooks"
        and record.levelno == logging.WARNING
        and f"to subscription {subscription_id} failed: " in record.getMessage()
    ]


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released: the kernel refuses)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def loopback_server(handle: Handler) -> AsyncIterator[int]:
    """A server on 127.0.0.1 answering each connection with ``handle``; its port."""
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Read the request, close the connection unanswered."""
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        await reader.readuntil(b"\r\n\r\n")
    writer.close()


async def answer_in_plain_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer at once in plain HTTP, whatever the client sends (a TLS client's hello)."""
    writer.write(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
    with contextlib.suppress(OSError):
        await writer.drain()
    writer.close()


async def test_a_refused_connection_is_recorded_as_such_without_the_address(
    engine: AsyncEngine, session: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    port = closed_port()
    with caplog.at_level(logging.INFO, logger="orgql.webhooks"):
        error, subscription_id = await attempted_once(
            engine, session, f"http://{NAME}:{port}/hooks"
        )

    assert error == "ConnectError: connection refused"
    # The operator has the system's words, the address included: httpx's own text ("All
    # connection attempts failed") and its cause's.
    [logged] = failures_logged(caplog, subscription_id)
    assert logged.endswith(
        "failed: ConnectError: All connection attempts failed; caused by ConnectionRefusedError:"
        f" [Errno {errno.ECONNREFUSED}] Connect call failed ('127.0.0.1', {port})"
    )
    assert NAME not in logged
    assert "/hooks" not in logged


def tls_receiver(certificate: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key)
    return context


@pytest.mark.parametrize(
    ("certificate", "why"),
    [
        ("self-signed", "self-signed certificate"),
        ("expired", "certificate has expired"),
        (
            "for another name",
            f"Hostname mismatch, certificate is not valid for '{NAME}'.",
        ),
    ],
)
async def test_a_certificate_not_accepted_says_why(
    engine: AsyncEngine,
    session: AsyncSession,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    certificate: str,
    why: str,
) -> None:
    authority = Authority(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(authority.path))  # the client trusts it alone
    if certificate == "self-signed":
        served = self_signed(tmp_path, NAME)
    elif certificate == "expired":
        served = authority.issue(NAME, expired=True)
    else:
        served = authority.issue("other.example.com")
    server = await asyncio.start_server(
        hang_up, "127.0.0.1", 0, ssl=tls_receiver(*served), ssl_handshake_timeout=10
    )
    try:
        port = server.sockets[0].getsockname()[1]
        with caplog.at_level(logging.INFO, logger="orgql.webhooks"):
            error, subscription_id = await attempted_once(
                engine, session, f"https://{NAME}:{port}/hooks"
            )
    finally:
        server.close()
        await server.wait_closed()

    # Why, in OpenSSL's words; a name's mismatch quotes the URL's own host, nothing else.
    assert error == f"ConnectError: TLS certificate not accepted: {why}"
    [logged] = failures_logged(caplog, subscription_id)
    assert (
        f"failed: ConnectError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: {why}"
        in logged
    )


async def test_a_tls_handshake_with_a_receiver_that_speaks_plain_http_failed(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    async with loopback_server(answer_in_plain_http) as port:
        error = await last_error_of(engine, session, f"https://{NAME}:{port}/hooks")

    assert error == "ConnectError: TLS handshake failed"


async def test_a_name_that_does_not_resolve(engine: AsyncEngine, session: AsyncSession) -> None:
    error = await last_error_of(engine, session, "http://unknown.example.com/hooks")

    assert error == "ConnectError: name not resolved"


async def test_a_receiver_that_hangs_up_without_answering(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    async with loopback_server(hang_up) as port:
        error = await last_error_of(engine, session, f"http://{NAME}:{port}/hooks")

    assert error == "RemoteProtocolError: connection closed without an answer"


async def reflect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer with the request's own head (an echo service, a misconfigured proxy)."""
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        writer.write(await reader.readuntil(b"\r\n\r\n"))
        await writer.drain()
    writer.close()


async def test_a_receiver_reflecting_the_request_puts_no_path_or_query_in_the_log(
    engine: AsyncEngine, session: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    # h11 quotes the line it cannot parse, here the request line: the URL's path and query.
    async with loopback_server(reflect) as port:
        with caplog.at_level(logging.INFO, logger="orgql.webhooks"):
            error, subscription_id = await attempted_once(
                engine, session, f"http://{NAME}:{port}/hooks/s3cr3t?token=SECRET"
            )

    assert error == "RemoteProtocolError: the answer is not valid HTTP"
    [logged] = failures_logged(caplog, subscription_id)
    request_line = b"POST /hooks/s3cr3t?token=SECRET HTTP/1.1"
    assert logged.endswith(
        f"failed: RemoteProtocolError: illegal status line: <{len(request_line)} bytes withheld>"
    )
    assert "s3cr3t" not in logged
    assert "SECRET" not in logged


async def test_log_text_withholds_a_reflected_request_line_from_plain_httpx() -> None:
    # The reviewer's case: httpx's own client, no dispatcher.
    async with loopback_server(reflect) as port, httpx.AsyncClient() as client:
        url = f"http://127.0.0.1:{port}/hooks/s3cr3t?token=SECRET"
        with pytest.raises(httpx.RemoteProtocolError) as raised_:
            async with client.stream("POST", url, content=b"{}"):
                pass
    logged = log_text(raised_.value)

    assert "s3cr3t" not in logged, logged
    assert "SECRET" not in logged, logged
    assert logged.startswith("RemoteProtocolError: illegal status line: <")


def chained(*errors: BaseException) -> BaseException:
    """``errors[0]`` raised from ``errors[1]`` raised from ..."""
    for error, cause in itertools.pairwise(errors):
        error.__cause__ = cause
    return errors[0]


@pytest.mark.parametrize(
    ("error", "logged"),
    [
        (
            httpx.RemoteProtocolError("illegal header line: bytearray(b'X-Token: SECRET')"),
            "RemoteProtocolError: illegal header line: <15 bytes withheld>",
        ),
        (  # repr's other quote, escapes counted as the bytes they stand for
            httpx.RemoteProtocolError("""illegal chunk header: b"it's\\x00SECRET\\"" """),
            "RemoteProtocolError: illegal chunk header: <12 bytes withheld> ",
        ),
        (  # in every link of the chain; texts the same once withheld are said once
            chained(
                httpx.RemoteProtocolError("illegal status line: b'GET /SECRET HTTP/1.1'"),
                httpcore.RemoteProtocolError("illegal status line: b'GET /SECRET HTTP/1.1'"),
                ValueError("at b'/SECRET' and b'?q=SECRET' (after b'')"),
            ),
            "RemoteProtocolError: illegal status line: <20 bytes withheld>; caused by"
            " ValueError: at <7 bytes withheld> and <9 bytes withheld> (after <0 bytes withheld>)",
        ),
        (  # a quote cut short, closed nowhere: the rest withheld
            httpx.RemoteProtocolError("illegal status line: bytearray(b'POST /SECRET HTT"),
            "RemoteProtocolError: illegal status line: bytearray(<bytes withheld>",
        ),
        (  # no bytes quoted: the text as it is
            httpx.ConnectError("cannot resolve hooks.example.com: b is not a byte's"),
            "ConnectError: cannot resolve hooks.example.com: b is not a byte's",
        ),
    ],
)
def test_log_text_withholds_quoted_bytes(error: BaseException, logged: str) -> None:
    assert log_text(error) == logged
    assert "SECRET" not in log_text(error)


def raised(error: httpx.TransportError, cause: BaseException) -> httpx.TransportError:
    """``error`` raised from httpcore's error raised from ``cause``, as httpx raises them."""
    try:
        try:
            try:
                raise cause
            except BaseException as original:
                raise httpcore.ConnectError(str(original)) from original
        except httpcore.ConnectError as mapped:
            raise error from mapped
    except httpx.TransportError as caught:
        return caught


PUBLIC = "203.0.113.9"


def verification_failed(verify_message: str) -> ssl.SSLCertVerificationError:
    """A failed verification as ``_ssl`` raises it, with its ``verify_message``."""
    error = ssl.SSLCertVerificationError(
        1, f"[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: {verify_message}"
    )
    error.verify_message = verify_message
    return error


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (
            raised(
                httpx.ConnectError("All connection attempts failed"),
                OSError(errno.EHOSTUNREACH, f"Connect call failed ('{PUBLIC}', 443)"),
            ),
            "ConnectError: address unreachable",
        ),
        (
            raised(
                httpx.ConnectError(f"[Errno 111] Connect call failed ('{PUBLIC}', 443)"),
                ConnectionRefusedError(111, f"Connect call failed ('{PUBLIC}', 443)"),
            ),
            "ConnectError: connection refused",
        ),
        (
            raised(
                httpx.ConnectError("All connection attempts failed"),
                ExceptionGroup(
                    "multiple connection attempts failed",
                    [ConnectionRefusedError(111, f"Connect call failed ('{PUBLIC}', 443)")],
                ),
            ),
            "ConnectError: connection refused",
        ),
        (
            raised(
                httpx.ConnectError("certificate verify failed"),
                ssl.SSLCertVerificationError(
                    1, f"certificate verify failed: IP address mismatch, not valid for '{PUBLIC}'"
                ),
            ),
            "ConnectError: TLS certificate not accepted",
        ),
        (
            raised(
                httpx.ConnectError("certificate verify failed"),
                verification_failed("certificate has expired"),
            ),
            "ConnectError: TLS certificate not accepted: certificate has expired",
        ),
        (
            raised(
                httpx.ConnectError("certificate verify failed"),
                verification_failed(f"certificate has expired\n{PUBLIC}"),
            ),
            "ConnectError: TLS certificate not accepted",
        ),
        (raised(httpx.ConnectTimeout(""), TimeoutError()), "ConnectTimeout: timed out connecting"),
        (
            raised(httpx.ReadError(""), ConnectionResetError(104, "Connection reset by peer")),
            "ReadError: connection reset",
        ),
        (
            httpx.RemoteProtocolError(f"illegal status line: bytearray(b'{PUBLIC}')"),
            "RemoteProtocolError: the answer is not valid HTTP",
        ),
    ],
)
def test_each_kind_of_failure_has_its_fixed_words(error: httpx.TransportError, said: str) -> None:
    assert last_error(error) == said
    assert PUBLIC not in last_error(error)
