"""A compressed page (docs/financial-sync.md, "Bounds"): read when gzip or deflate, once;
inflated no further than the page's bound, however small the compressed body; refused,
nothing written, when encoded twice or in a coding the gateway does not read. Through the
app, on a real upstream on loopback."""

from __future__ import annotations

import tracemalloc
import zlib
from collections.abc import Awaitable, Callable

import httpx
import pytest
from financial_support import SYNC, Snapshot, upstream_settings
from upstream import PRIMARY_BILL_TO, Upstream, account, site

from orgql.settings import Settings

DEMO = SYNC.format("100001")
MAX_PAGE_BYTES = 4096
NOT_READ = (
    "the financial service sent a page in an encoding the gateway does not read"
    " (Content-Encoding: {}; it reads gzip, deflate, one of them, or none)"
)
TOO_LARGE_PAGE = (
    f"the financial service sent a page of more than {MAX_PAGE_BYTES} bytes, more than the"
    " gateway reads (ORGQL_FINANCIAL_MAX_PAGE_BYTES)"
)


@pytest.fixture
def settings(database_url: str, upstream: Upstream) -> Settings:
    return upstream_settings(database_url, upstream.url, financial_max_page_bytes=MAX_PAGE_BYTES)


@pytest.fixture
async def synced_before(
    client: httpx.AsyncClient,
    upstream: Upstream,
    demo_party: str,
    financial_snapshot: Callable[[str], Awaitable[Snapshot]],
) -> Snapshot:
    """100001 synced once, uncompressed: what a refused sync leaves."""
    upstream.parties[demo_party] = [account("ca-a", site("a-1", PRIMARY_BILL_TO))]
    response = await client.post(DEMO, json={})
    assert response.status_code == 200, response.text
    upstream.requests.clear()
    return await financial_snapshot("100001")


async def refused(client: httpx.AsyncClient, message: str) -> None:
    response = await client.post(DEMO, json={})
    assert (response.status_code, response.json()["errorCode"]) == (500, "100193")
    assert response.json()["message"] == f"Internal error while syncing financial data: {message}"


def gzip_bomb(decoded_bytes: int) -> bytes:
    """A gzip body of ``decoded_bytes`` blanks (some 1,000 times smaller), built a MiB at a
    time."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    blanks = b" " * (1 << 20)
    parts = [deflate.compress(blanks) for _ in range(decoded_bytes >> 20)]
    return b"".join(parts) + deflate.flush()


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
async def test_a_page_compressed_once_is_read(
    client: httpx.AsyncClient, upstream: Upstream, demo_party: str, coding: str
) -> None:
    upstream.parties[demo_party] = [account("ca-a", site("a-1", PRIMARY_BILL_TO))]
    upstream.encodings = (coding,)

    response = await client.post(DEMO, json={})

    assert response.status_code == 200, response.text
    assert len(response.json()["customerAccountIds"]) == 1
    assert upstream.requests[0].headers["accept-encoding"] == "gzip, deflate"


@pytest.mark.parametrize("codings", [("gzip", "gzip"), ("deflate", "gzip"), ("br",)])
async def test_a_page_compressed_twice_or_unreadably_is_refused_and_changes_nothing(
    client: httpx.AsyncClient,
    upstream: Upstream,
    synced_before: Snapshot,
    financial_snapshot: Callable[[str], Awaitable[Snapshot]],
    codings: tuple[str, ...],
) -> None:
    # Twice: a body of some kilobytes would inflate to gigabytes in one step ("gzip, gzip").
    upstream.encodings = codings

    await refused(client, NOT_READ.format(", ".join(codings)))

    assert len(upstream.requests) == 1  # final: the same page comes the same way again
    assert await financial_snapshot("100001") == synced_before


async def test_a_compression_bomb_is_inflated_no_further_than_the_bound(
    client: httpx.AsyncClient,
    upstream: Upstream,
    synced_before: Snapshot,
    financial_snapshot: Callable[[str], Awaitable[Snapshot]],
) -> None:
    # 4 MiB of blanks in some 4 KiB (any larger and its compressed bytes alone would pass
    # what a page of 4 KiB may take compressed, refused unread): inflated whole it would be
    # held at once; bounded, no more than the page's 4 KiB is ever made of it.
    bomb = gzip_bomb(4 << 20)
    assert len(bomb) < MAX_PAGE_BYTES + 1024
    upstream.encodings, upstream.encode = ("gzip",), lambda page: bomb
    tracemalloc.start()
    try:
        await refused(client, TOO_LARGE_PAGE)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert peak < 2 << 20, f"{peak} bytes held at once"  # inflated whole: some 10 MiB
    assert len(upstream.requests) == 1
    assert await financial_snapshot("100001") == synced_before


async def test_a_broken_compressed_page_is_refused(
    client: httpx.AsyncClient, upstream: Upstream, synced_before: Snapshot
) -> None:
    upstream.encodings, upstream.encode = ("gzip",), lambda page: b"\x1f\x8b not gzip at all"

    await refused(client, "the financial service sent a page whose compression is broken")
