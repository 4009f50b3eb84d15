"""A page's body as the upstream sent it (its raw bytes, Content-Encoding and all), decoded
within the page's bound (ORGQL_FINANCIAL_MAX_PAGE_BYTES).

httpx decodes a body whole chunk by chunk: one 64 KiB chunk of a gzip stream inflates to
some 64 MiB at once (deflate's ratio is about 1,000), in the event loop, before a caller
counting the decoded bytes sees any of them; and it decodes every coding the header lists,
one after the other (``Content-Encoding: gzip, gzip``), so a body of a few kilobytes inflates
to gigabytes in one call. Here a page is decoded by zlib asked for at most the bytes the
page may still hold (plus one, to tell a page past its bound): whatever a chunk would
inflate to, no more than the bound is ever made of it. One coding is read, gzip or deflate
(what the client asks for, ``Accept-Encoding``); any other, or more than one, is refused:
the gateway does not read it.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from orgql.core.financial.source import FinancialSourceError

#: What the client asks for (http.make_client): the codings :class:`PageBody` reads.
ACCEPT_ENCODING = "gzip, deflate"

_GZIP_WBITS = zlib.MAX_WBITS | 16
_ZLIB_WBITS = zlib.MAX_WBITS
_RAW_DEFLATE_WBITS = -zlib.MAX_WBITS


def too_large(bound: int) -> FinancialSourceError:
    return FinancialSourceError(
        f"the financial service sent a page of more than {bound} bytes, more than the"
        " gateway reads (ORGQL_FINANCIAL_MAX_PAGE_BYTES)"
    )


def _broken() -> FinancialSourceError:
    return FinancialSourceError("the financial service sent a page whose compression is broken")


class PageBody:
    """One page's body, fed its raw chunks (:meth:`feed`), then :meth:`end`. Raises
    :func:`too_large` as soon as the decoded bytes pass ``bound``, having made at most
    ``bound + 1`` of them."""

    def __init__(self, codings: Sequence[str], bound: int) -> None:
        read = [c.strip().lower() for c in codings if c.strip().lower() not in ("", "identity")]
        if len(read) > 1 or (read and read[0] not in ("gzip", "x-gzip", "deflate")):
            raise FinancialSourceError(
                "the financial service sent a page in an encoding the gateway does not read"
                f" (it reads {ACCEPT_ENCODING}, one of them, or none)"
            )
        self._bound = bound
        self._size = 0
        self._chunks: list[bytes] = []
        self._deflate = bool(read) and read[0] == "deflate"
        self._first = True  # deflate: a zlib stream, else (as sent by some servers) raw
        self._inflate = (
            zlib.decompressobj(_ZLIB_WBITS if self._deflate else _GZIP_WBITS) if read else None
        )

    @property
    def encoded(self) -> bool:
        return self._inflate is not None

    def feed(self, raw: bytes) -> None:
        if self._inflate is None:
            self._keep(raw)
            return
        room = self._bound - self._size
        try:
            decoded = self._inflate.decompress(raw, room + 1)
        except zlib.error:
            if not (self._deflate and self._first):
                raise _broken() from None
            self._inflate = zlib.decompressobj(_RAW_DEFLATE_WBITS)
            self._first = False
            self.feed(raw)
            return
        self._first = False
        # Short of room + 1 bytes, zlib took the whole chunk (no unconsumed tail).
        self._keep(decoded)

    def end(self) -> bytes:
        if self._inflate is not None:
            try:
                self._keep(self._inflate.flush())
            except zlib.error:
                raise _broken() from None
            if not self._inflate.eof and self._size:
                raise _broken()
        return b"".join(self._chunks)

    def _keep(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self._bound:
            raise too_large(self._bound)
        self._chunks.append(data)
