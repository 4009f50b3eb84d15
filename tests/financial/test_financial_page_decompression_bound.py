"""A compressed page read by the HTTP source (docs/financial-sync.md, "Bounds"; page_body.py)
at the default bound (1 MiB): read as the same page uncompressed; never inflated far past the
bound; refused, not retried, in an encoding not asked for (named), broken, or larger on the
wire than a page within the bound. Against a real upstream on loopback
(test_financial_page_encoding.py has the same through the app).

The bomb test began as the review's reproduction (a1370b8: decoded by httpx whole before the
bound was checked, some 3.5 KB on the wire held 4.2 GiB and the event loop 7 s)."""

from __future__ import annotations

import functools
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import httpx
import pytest
from financial_support import TIMEOUT_SECONDS
from upstream import PRIMARY_BILL_TO, SHIP_TO, Upstream, account, site

from orgql.core.financial.source import FinancialSourceError
from orgql.financial_sources import HttpFinancialSource, RetryPolicy, bounds_of
from orgql.financial_sources.http import make_client
from orgql.settings import Settings

BOUND = 1024 * 1024
PARTY = "P-1"
TOO_LARGE = r"a page of more than 1048576 bytes, .* \(ORGQL_FINANCIAL_MAX_PAGE_BYTES\)$"
BROKEN = "the financial service sent a page whose compression is broken"
Encode = Callable[[bytes], bytes]


def compressed(chunks: Iterable[bytes], wbits: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    out = [compressor.compress(chunk) for chunk in chunks]
    out.append(compressor.flush())
    return b"".join(out)


def gzipped(data: bytes) -> bytes:
    return compressed([data], 31)


def deflated(data: bytes) -> bytes:
    """Deflate as RFC 9110 has it: the zlib format."""
    return compressed([data], 15)


def raw_deflated(data: bytes) -> bytes:
    """A raw deflate stream, as some servers send for "deflate"."""
    return compressed([data], -15)


def two_gzip_members(data: bytes) -> bytes:
    return gzipped(data[: len(data) // 3]) + gzipped(data[len(data) // 3 :])


@functools.cache
def bomb(layers: int) -> bytes:
    """256 MiB of blanks, gzipped ``layers`` times (some 250 KB, then some 3 KB)."""
    body = compressed((b" " * BOUND for _ in range(256)), 31)
    for _ in range(layers - 1):
        body = gzipped(body)
    return body


def settings_of(base_url: str) -> Settings:
    return Settings(
        financial_base_url=base_url,
        financial_timeout_seconds=TIMEOUT_SECONDS,
        financial_backoff_seconds=0.01,
        financial_backoff_max_seconds=0.02,
    )


def source_of(client: httpx.AsyncClient, settings: Settings) -> HttpFinancialSource:
    assert settings.financial_max_page_bytes == BOUND
    return HttpFinancialSource(
        client,
        RetryPolicy.from_settings(settings),
        page_size=settings.financial_page_size,
        max_page_bytes=settings.financial_max_page_bytes,
        bounds=bounds_of(settings),
    )


@pytest.fixture
async def source(upstream: Upstream) -> AsyncIterator[HttpFinancialSource]:
    settings = settings_of(upstream.url)
    async with make_client(settings) as client:
        yield source_of(client, settings)


def large_accounts(count: int) -> list[dict[str, Any]]:
    """``count`` accounts of 10 sites each: a page of 200 is some 0.7 MiB of JSON."""
    return [
        account(
            f"ca{a}",
            *(site(f"{a}-{s}", PRIMARY_BILL_TO if s == 0 else SHIP_TO) for s in range(10)),
        )
        for a in range(count)
    ]


async def refused(source: HttpFinancialSource, match: str) -> FinancialSourceError:
    with pytest.raises(FinancialSourceError, match=match) as refusal:
        await source.customer_accounts(PARTY, None)
    return refusal.value


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzipped),
        ("x-gzip", gzipped),
        ("gzip", two_gzip_members),
        ("deflate", deflated),
        ("deflate", raw_deflated),
        ("identity", lambda body: body),
    ],
    ids=["gzip", "x-gzip", "gzip-members", "deflate", "raw-deflate", "identity"],
)
async def test_a_compressed_page_is_read_as_the_same_page_uncompressed(
    upstream: Upstream, source: HttpFinancialSource, encoding: str, encode: Encode
) -> None:
    upstream.parties[PARTY] = large_accounts(300)  # two pages, the first near the bound
    plain = await source.customer_accounts(PARTY, None)
    upstream.requests.clear()
    sent: list[int] = []

    def encoded(body: bytes) -> bytes:
        sent.append(len(body))
        return encode(body)

    upstream.encodings, upstream.encode = (encoding,), encoded
    assert await source.customer_accounts(PARTY, None) == plain
    assert len(plain) == 300
    assert 0.5 * BOUND < sent[0] <= BOUND
    # Asked for explicitly: never what httpx would accept besides (br, zstd when installed).
    assert [r.headers["accept-encoding"] for r in upstream.requests] == ["gzip, deflate"] * 2


@pytest.mark.parametrize(
    ("encoding", "layers", "match"),
    [
        ("gzip", 1, TOO_LARGE),
        ("gzip, gzip", 2, r"does not read \(Content-Encoding: gzip, gzip;"),
    ],
    ids=["gzip", "gzip-gzip"],
)
async def test_a_compressed_page_is_never_decoded_far_past_the_bound(
    upstream: Upstream, source: HttpFinancialSource, encoding: str, layers: int, match: str
) -> None:
    body = bomb(layers)
    upstream.encodings, upstream.encode = (encoding,), lambda page: body
    tracemalloc.start()
    try:
        await refused(source, match)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * BOUND, f"{len(body)} bytes on the wire held {peak // BOUND} MiB"
    assert len(upstream.requests) == 1  # final: the same page would be as large again


@pytest.mark.parametrize(
    ("encoding", "shown"),
    [
        ("br", "br"),
        ("zstd", "zstd"),
        ("gzip, gzip", "gzip, gzip"),
        ("deflate, gzip", "deflate, gzip"),
        ("gzip, identity, br", "gzip, identity, br"),
        ("compress", "compress"),
        ("x" * 100, "not shown"),
    ],
)
async def test_an_encoding_not_asked_for_is_refused_unread_and_named(
    upstream: Upstream, source: HttpFinancialSource, encoding: str, shown: str
) -> None:
    upstream.parties[PARTY] = large_accounts(1)
    upstream.encodings, upstream.encode = (encoding,), lambda body: gzipped(gzipped(body))

    error = await refused(source, "sent a page in an encoding the gateway does not read")

    assert f"(Content-Encoding: {shown}; it reads gzip, deflate, one of them, or none)" in str(
        error
    )
    assert len(upstream.requests) == 1  # final: not retried


@pytest.mark.parametrize(
    ("encoding", "encode", "detail"),
    [
        ("gzip", lambda body: gzipped(body)[:-20], "the gzip stream is cut short"),
        ("deflate", lambda body: deflated(body)[:-20], "the deflate stream is cut short"),
        ("gzip", lambda body: b"", "the gzip stream is cut short"),
        ("gzip", lambda body: body, "incorrect header check"),
        ("gzip", lambda body: gzipped(body)[:-1] + b"!", "incorrect length check"),
        ("deflate", lambda body: deflated(body) + b"more", "after the end of the deflate"),
        ("gzip", lambda body: gzipped(body) + b"more", "incorrect header check"),
    ],
    ids=["gzip-cut", "deflate-cut", "empty", "not-gzip", "trailer", "deflate-more", "gzip-more"],
)
async def test_a_corrupt_or_truncated_compressed_page_is_broken(
    upstream: Upstream, source: HttpFinancialSource, encoding: str, encode: Encode, detail: str
) -> None:
    upstream.parties[PARTY] = large_accounts(3)
    upstream.encodings, upstream.encode = (encoding,), encode

    error = await refused(source, f"^{BROKEN}$")

    assert detail in (error.detail or "")
    assert len(upstream.requests) == 1  # final, as malformed JSON is


async def test_a_compressed_page_whose_connection_breaks_off_is_retried(
    upstream: Upstream, source: HttpFinancialSource
) -> None:
    upstream.parties[PARTY] = large_accounts(3)
    upstream.encodings = ("gzip",)
    upstream.behave = lambda request: "truncate" if len(upstream.requests) == 1 else "serve"

    assert len(await source.customer_accounts(PARTY, None)) == 3
    assert len(upstream.requests) == 2


#: A gzip header whose file name never ends: read on and on, it makes not one byte.
ENDLESS_NAME = b"\x1f\x8b\x08\x08" + b"\0" * 6 + b"n" * (2 * BOUND)


async def test_a_compressed_body_declared_larger_than_any_page_within_the_bound_is_refused(
    upstream: Upstream, source: HttpFinancialSource
) -> None:
    upstream.encodings, upstream.encode = ("gzip",), lambda body: ENDLESS_NAME

    await refused(source, TOO_LARGE)

    assert len(upstream.requests) == 1


async def test_a_compressed_body_read_past_what_any_page_within_the_bound_takes_is_refused() -> (
    None
):
    # No length declared (chunked): only the bytes read tell; read on, it would hold the
    # sync until its deadline.
    read: list[int] = []

    async def stream() -> AsyncIterator[bytes]:
        for start in range(0, len(ENDLESS_NAME), 65536):
            read.append(start)
            yield ENDLESS_NAME[start : start + 65536]

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=stream())

    settings = settings_of("http://upstream")
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(answer), base_url="http://upstream/"
    ) as client:
        await refused(source_of(client, settings), TOO_LARGE)
    assert len(read) * 65536 < 1.1 * BOUND  # stopped within a chunk of the wire bound
