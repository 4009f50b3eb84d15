"""A page's body as the upstream sent it (its raw bytes, Content-Encoding and all), decoded
within the page's bound (ORGQL_FINANCIAL_MAX_PAGE_BYTES).

httpx decodes a body whole chunk by chunk: one 64 KiB chunk of a gzip stream inflates to
some 64 MiB at once (deflate's ratio is about 1,000), in the event loop, before a caller
counting the decoded bytes sees any of them; and it decodes every coding the header lists,
one after the other (``Content-Encoding: gzip, gzip``), so a body of a few kilobytes inflates
to gigabytes in one call. Here a page is decoded by zlib asked for at most the bytes the
page may still hold (plus one, to tell a page past its bound): whatever a chunk would
inflate to, no more than the bound is ever made of it. One coding is read, gzip or deflate
(what the client asks for, ``Accept-Encoding``); any other, or more than one, is refused
before the body is read: the gateway does not read it (and, not asking for it, should never
be sent it). A compressed body is refused as broken when zlib finds it corrupt, when it ends
before its stream does, or when other bytes follow its stream (besides another gzip member,
RFC 1952); and as too large once its own bytes pass what a page within the bound could take
compressed (a stream can be read on and on without making a byte: a gzip header's endless
file name, empty blocks). zlib makes at most 256 KiB per call (:data:`SLICE`) and the event
loop runs between two calls, so however far a chunk inflates and whatever the bound
(ORGQL_FINANCIAL_MAX_PAGE_BYTES has no upper limit), the loop is held 1 ms or so at a time:
a page of 1 MiB takes some 3 ms of inflating (measured on a 2-core machine).
"""

from __future__ import annotations

import asyncio
import re
import zlib
from collections.abc import Sequence

from orgql.core.financial.source import FinancialSourceError

#: What the client asks for (http.make_client): the codings :class:`PageBody` reads.
ACCEPT_ENCODING = "gzip, deflate"

_GZIP_WBITS = zlib.MAX_WBITS | 16
_ZLIB_WBITS = zlib.MAX_WBITS
_RAW_DEFLATE_WBITS = -zlib.MAX_WBITS
#: A Content-Encoding the caller's message may name (it is the upstream's text).
_NAMEABLE = re.compile(r"[A-Za-z0-9 ,._+-]{1,64}")
#: Of a Content-Encoding not nameable, the characters the log's detail quotes at most.
_QUOTED = 200
#: The most decoded bytes one zlib call makes; the event loop runs between two.
SLICE = 256 * 1024


def too_large(bound: int) -> FinancialSourceError:
    return FinancialSourceError(
        f"the financial service sent a page of more than {bound} bytes, more than the"
        " gateway reads (ORGQL_FINANCIAL_MAX_PAGE_BYTES)"
    )


def _not_read(codings: Sequence[str]) -> FinancialSourceError:
    named = ", ".join(c.strip() for c in codings)
    shown = named if _NAMEABLE.fullmatch(named) else "not shown"
    cut = f" (the first {_QUOTED} of {len(named)} characters)" if len(named) > _QUOTED else ""
    return FinancialSourceError(
        "the financial service sent a page in an encoding the gateway does not read"
        f" (Content-Encoding: {shown}; it reads {ACCEPT_ENCODING}, one of them, or none)",
        detail=None if shown == named else f"Content-Encoding: {named[:_QUOTED]!r}{cut}",
    )


def _broken(detail: str) -> FinancialSourceError:
    return FinancialSourceError(
        "the financial service sent a page whose compression is broken", detail=detail
    )


def wire_bound(bound: int) -> int:
    """The most bytes a compressed page of ``bound`` bytes takes (deflate's worst case, its
    blocks stored, adds 5 bytes in 64 KiB; gzip's header and trailer some 20), with room."""
    return bound + bound // 1024 + 1024


class PageBody:
    """One page's body, fed its raw chunks (:meth:`feed`), then :meth:`end`. Raises
    :func:`too_large` as soon as the decoded bytes pass ``bound``, having made at most
    ``bound + 1`` of them (or its compressed bytes pass :func:`wire_bound`)."""

    def __init__(self, codings: Sequence[str], bound: int) -> None:
        read = [c.strip().lower() for c in codings if c.strip().lower() not in ("", "identity")]
        if len(read) > 1 or (read and read[0] not in ("gzip", "x-gzip", "deflate")):
            raise _not_read(codings)
        self._bound = bound
        self._size = 0
        self._wire = 0
        self._chunks: list[bytes] = []
        self._coding = read[0] if read else None
        self._head = b""  # deflate: its first byte, until the second tells zlib from raw
        self._inflate = zlib.decompressobj(_GZIP_WBITS) if read and read[0] != "deflate" else None

    @property
    def encoded(self) -> bool:
        return self._coding is not None

    async def feed(self, raw: bytes) -> None:
        """Decode ``raw``, at most :data:`SLICE` bytes per zlib call, the event loop's turn
        between two."""
        if self._coding is None:
            self._keep(raw)
            return
        self._wire += len(raw)
        if self._wire > wire_bound(self._bound):
            raise too_large(self._bound)
        if self._inflate is None:  # deflate, its format not known yet
            raw, self._head = self._head + raw, b""
            if len(raw) < 2:
                self._head = raw
                return
            zlib_header = raw[0] & 0x0F == 8 and (raw[0] << 8 | raw[1]) % 31 == 0
            self._inflate = zlib.decompressobj(_ZLIB_WBITS if zlib_header else _RAW_DEFLATE_WBITS)
        inflate = self._inflate
        while True:
            if inflate.eof and raw:
                if self._coding == "deflate":
                    raise _broken("data after the end of the deflate stream")
                inflate = self._inflate = zlib.decompressobj(_GZIP_WBITS)  # the next member
            most = min(SLICE, self._bound - self._size + 1)
            try:
                decoded = inflate.decompress(raw, most)
            except zlib.error as exc:
                raise _broken(str(exc)) from None
            self._keep(decoded)  # past the bound: refused, the rest never inflated
            # What zlib left of the chunk (at the stream's end, what follows it). A call that
            # made ``most`` may hold more back with the chunk all taken (a match cut off, a
            # raw deflate stream's last block): asked again, with nothing new.
            raw = inflate.unused_data if inflate.eof else inflate.unconsumed_tail
            if not raw and (inflate.eof or len(decoded) < most):
                return
            await asyncio.sleep(0)

    def end(self) -> bytes:
        if self._coding is not None and (self._inflate is None or not self._inflate.eof):
            raise _broken(f"the {self._coding} stream is cut short")
        return b"".join(self._chunks)

    def _keep(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self._bound:
            raise too_large(self._bound)
        self._chunks.append(data)
