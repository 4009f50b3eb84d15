"""PageBody on its own (page_body.py; docs/financial-sync.md, "Bounds"): zlib makes at most
SLICE bytes per call and the event loop runs between two, whatever the bound; a stream is
read whole across those slices; an encoding refused unnamed is quoted in the log's detail
only so far. The HTTP source's own tests are test_financial_page_decompression_bound.py."""

from __future__ import annotations

import asyncio
import zlib

import pytest

from orgql.core.financial.source import FinancialSourceError
from orgql.financial_sources.page_body import PageBody

SLICE = 256 * 1024  # page_body.SLICE


def compressed(data: bytes, wbits: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    return compressor.compress(data) + compressor.flush()


async def test_a_chunk_inflating_far_is_inflated_in_slices_the_event_loop_running_between() -> None:
    bound = 16 * 1024 * 1024  # a large bound (the setting has no upper limit)
    chunk = compressed(b" " * (2 * bound), 31)  # some 32 KB: one chunk of a bomb
    turns = 0

    async def other_work() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(other_work())
    await asyncio.sleep(0)
    started = turns
    body = PageBody(["gzip"], bound)
    try:
        with pytest.raises(FinancialSourceError, match="a page of more than 16777216 bytes"):
            await body.feed(chunk)
    finally:
        other.cancel()
    # Inflating the chunk up to the bound took bound / SLICE calls, the loop's turn between.
    assert turns - started >= bound // SLICE - 1


@pytest.mark.parametrize("wbits", [31, 15, -15], ids=["gzip", "deflate", "raw-deflate"])
@pytest.mark.parametrize("size", [SLICE - 1, SLICE, SLICE + 21, 2 * SLICE + 3, 3 * SLICE])
async def test_a_page_is_read_whole_across_slices(wbits: int, size: int) -> None:
    # A raw deflate stream of SLICE + 21 bytes: the first call makes SLICE bytes having
    # taken the whole chunk, the rest held back by zlib (read on, not "cut short").
    data = b"a" * size
    encoded = compressed(data, wbits)
    body = PageBody(["gzip" if wbits == 31 else "deflate"], 4 * SLICE)

    await body.feed(encoded)

    assert body.end() == data


async def test_an_encoding_refused_unnamed_is_quoted_so_far_only() -> None:
    with pytest.raises(FinancialSourceError, match=r"\(Content-Encoding: not shown;") as refusal:
        PageBody(["x" * 10_000], 1024 * 1024)

    assert refusal.value.detail == (
        f"Content-Encoding: {'x' * 200!r} (the first 200 of 10000 characters)"
    )
