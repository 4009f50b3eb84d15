"""Opaque page cursors of the GraphQL connections: URL-safe base64 of ``<kind>:<value>``, one
codec for every connection (organizations ``org``, organization requests ``request``, history
``change``). The core pages by keyset positions (an id; a request's creation time and id);
a cursor is how GraphQL spells one, so it is made and read here.

A cursor is written padded; it is read padded or not, in either base64 alphabet
(graphql.base64_text). One that is not base64, longer than :data:`MAX_CURSOR_LENGTH`, not of
the expected kind, or whose value PostgreSQL could not take (NUL) decodes to None: the
caller's bad-cursor error, never the driver's."""

from __future__ import annotations

import base64
import functools
from datetime import datetime

from orgql.core.common.paging import UNREADABLE, Unreadable
from orgql.core.common.validation import is_storable_text
from orgql.graphql import base64_text

#: Longest cursor read, in base64 digits: far above the longest one written (a request's:
#: its kind, an ISO time and an id) and bounding the work a caller's cursor costs.
MAX_CURSOR_LENGTH = 512


def encode(kind: str, value: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode()


def decode(kind: str, cursor: str) -> str | None:
    """The value of a cursor of ``kind``, or None when it is none of ours."""
    read = base64_text.read(cursor, MAX_CURSOR_LENGTH)
    if read is None:
        return None
    prefix, _, value = read[1].partition(":")
    return value if prefix == kind and value and is_storable_text(value) else None


@functools.lru_cache(maxsize=16_384)
def organization_cursor(organization_id: str) -> str:
    """Remembered for the most recent: a page of 100 writes 100 (issue 16)."""
    return encode("org", organization_id)


def organization_after(cursor: str | None) -> str | Unreadable | None:
    """The id an organizations page continues after: None without a cursor, UNREADABLE
    for one that is not ours (the core reports it with the page's other problems)."""
    if cursor is None:
        return None
    found = decode("org", cursor)
    return UNREADABLE if found is None else found


def request_cursor(created_at: datetime, request_id: str) -> str:
    return encode("request", f"{created_at.isoformat()}|{request_id}")


def request_after(cursor: str | None) -> tuple[datetime, str] | Unreadable | None:
    """The (creation time, id) a requests page continues after, as :func:`organization_after`."""
    if cursor is None:
        return None
    value = decode("request", cursor)
    if value is None:
        return UNREADABLE
    stamp, _, request_id = value.partition("|")
    try:
        created = datetime.fromisoformat(stamp)
    except ValueError:
        return UNREADABLE
    if not request_id or created.tzinfo is None:
        return UNREADABLE
    return created, request_id
