"""Opaque page cursors of the GraphQL connections: URL-safe base64 of ``<kind>:<value>``, one
codec for every connection (organizations ``org``, organization requests ``request``, history
``change``). The core pages by keyset positions (an id; a request's creation time and id);
a cursor is how GraphQL spells one, so it is made and read here.

A cursor that is not base64, not of the expected kind, or whose value PostgreSQL could not
take (NUL) decodes to None: the caller's bad-cursor error, never the driver's."""

from __future__ import annotations

import base64
import functools
from datetime import datetime

from orgql.core.common.paging import UNREADABLE, Unreadable
from orgql.core.common.validation import is_storable_text


def encode(kind: str, value: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode()


def decode(kind: str, cursor: str) -> str | None:
    """The value of a cursor of ``kind``, or None when it is none of ours."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("utf-8")
    except (ValueError, UnicodeError):
        return None
    prefix, _, value = text.partition(":")
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
