"""Opaque page cursors: URL-safe base64 of ``<kind>:<value>``, one codec for every
connection (organizations ``org``, organization requests ``request``, history ``change``).

A cursor that is not base64, not of the expected kind, or whose value PostgreSQL could not
take (NUL) decodes to None: the caller's bad-cursor error, never the driver's."""

from __future__ import annotations

import base64

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
