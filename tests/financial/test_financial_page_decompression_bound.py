"""Review reproduction: a compressed page is decoded whole, chunk by chunk, before the page
bound is checked, so a small answer can make the gateway hold (and spend the event loop on)
far more than ORGQL_FINANCIAL_MAX_PAGE_BYTES."""

from __future__ import annotations

import tracemalloc
import zlib

import httpx
import pytest

from orgql.core.financial.source import FinancialSourceError, SyncBounds
from orgql.financial_sources.http import HttpFinancialSource, RetryPolicy

BOUND = 1024 * 1024


def gzipped(chunks: list[bytes] | object) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [compressor.compress(chunk) for chunk in chunks]  # type: ignore[attr-defined]
    out.append(compressor.flush())
    return b"".join(out)


@pytest.mark.parametrize("layers", [1, 2])
async def test_a_compressed_page_is_never_decoded_far_past_the_bound(layers: int) -> None:
    body = gzipped(b" " * BOUND for _ in range(256))  # 256 MiB of spaces
    if layers == 2:
        body = gzipped([body])
    encoding = ", ".join(["gzip"] * layers)

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Encoding": encoding}, content=body)

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://up/")
    source = HttpFinancialSource(
        client, RetryPolicy(retries=0), max_page_bytes=BOUND, bounds=SyncBounds(10, 10)
    )
    tracemalloc.start()
    try:
        with pytest.raises(FinancialSourceError, match="ORGQL_FINANCIAL_MAX_PAGE_BYTES"):
            await source.customer_accounts("p", None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        await client.aclose()
    assert peak < 8 * BOUND, f"{len(body)} bytes on the wire held {peak // BOUND} MiB"
