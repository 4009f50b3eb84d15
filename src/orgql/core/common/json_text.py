"""JSON text read exactly as ``json.loads`` reads it, several times faster.

orjson reads what ``json.loads`` reads, with the same values, except: an integer past 64
bits (orjson: a float; json: an int), and what orjson refuses and the standard library may
take (a lone surrogate escape, a number past a double's range, nesting past 1,024 levels,
UTF-16 or UTF-32 bytes). Text holding a run of 19 ASCII digits, or that orjson refuses, is read
by ``json.loads`` itself, so every value and every error is the standard library's.

Used for the database's json and jsonb values (db.engine) and GraphQL request bodies
(graphql.request_body): decoding them was a sixth of a small read's CPU (issue 16).
"""

from __future__ import annotations

import json
from typing import Any

import orjson

#: Every digit as "0", so that a run of 19 digits is a run of 19 zeros: found by
#: ``bytes.translate`` and a substring search, several times faster than ``re``'s ``\d{19}``
#: (which tried each position of the text: 0.05 ms of a request for one organization, whose
#: body and JSON columns are a few kilobytes, issue 16).
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_RUN = b"0" * 19


def _long_digits(text: str | bytes) -> bool:
    """Whether ``text`` holds a run of 19 digits, which an integer past 64 bits may be
    (inside a string too: then only slower). A JSON number's digits are ASCII, and UTF-8
    writes nothing else with ASCII bytes."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    return _LONG_RUN in raw.translate(_DIGITS_AS_ZERO)


def loads(text: str | bytes, **options: Any) -> Any:
    """``json.loads(text, **options)``; ``options`` (such as ``parse_constant``) only
    matter to what orjson refuses, which ``json.loads`` then reads with them."""
    if not _long_digits(text):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text, **options)
