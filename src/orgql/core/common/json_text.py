"""JSON text read exactly as ``json.loads`` reads it, several times faster.

orjson reads what ``json.loads`` reads, with the same values, except: an integer past 64
bits (orjson: a float; json: an int), and what orjson refuses and the standard library may
take (a lone surrogate escape, a number past a double's range, nesting past 1,024 levels,
UTF-16 or UTF-32 bytes). Text holding a run of 19 digits, or that orjson refuses, is read
by ``json.loads`` itself, so every value and every error is the standard library's.

Used for the database's json and jsonb values (db.engine) and the request bodies of both
transports (:func:`loads_body`): decoding them was a sixth of a small read's CPU (issue 16).
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

#: A run of digits an integer past 64 bits may be (inside a string too: then only slower).
_LONG_DIGITS = re.compile(r"\d{19}")
_LONG_DIGITS_BYTES = re.compile(rb"\d{19}")


def loads(text: str | bytes, **options: Any) -> Any:
    """``json.loads(text, **options)``; ``options`` (such as ``parse_constant``) only
    matter to what orjson refuses, which ``json.loads`` then reads with them."""
    pattern = _LONG_DIGITS if isinstance(text, str) else _LONG_DIGITS_BYTES
    if pattern.search(text) is None:  # type: ignore[arg-type]
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text, **options)


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def loads_body(text: str | bytes) -> Any:
    """A request body (GraphQL and REST): :func:`loads`, with ``NaN``, ``Infinity`` and
    ``-Infinity`` refused as the JSON they are not (``json.loads`` takes them). Whatever the
    body cannot be is a ``ValueError`` (bad JSON, invalid UTF-8, an integer past Python's
    4,300 digits) or a ``RecursionError`` (nesting past the recursion limit): the caller's
    error, answered 400."""
    return loads(text, parse_constant=_reject_constant)
