"""JSON text read exactly as ``json.loads`` reads it, several times faster.

orjson reads what ``json.loads`` reads, with the same values, except: an integer past 64
bits (orjson: a float; json: an int), and what orjson refuses and the standard library may
take (a lone surrogate escape, a number past a double's range, nesting past 1,024 levels,
UTF-16 or UTF-32 bytes). Text holding a run of 19 ASCII digits, or that orjson refuses, is read
by ``json.loads`` itself, so every value and every error is the standard library's.

Used for the database's json and jsonb values (db.engine) and the request bodies of both
transports (:func:`loads_body`): decoding them was a sixth of a small read's CPU (issue 16).
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
    # Shorter than a run of 19 digits (an empty object, as most dynamicProperties are): no
    # check, 0.1 instead of 0.6 µs (a page of 100 organizations reads 100 of them).
    if len(text) < len(_LONG_RUN) or not _long_digits(text):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text, **options)


#: The deepest nesting of a request body. orjson reads 1,024 levels, json.loads as many as
#: the interpreter's stack has left; the code that walks a body recursively (``repr`` in a
#: parser's message, graphql-core's coercion) needs that stack too, so a body is held well
#: below Python's recursion limit (1,000), whichever parser read it.
MAX_BODY_DEPTH = 512


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def _depth_past(document: object, limit: int) -> bool:
    """Whether ``document`` nests containers more than ``limit`` deep: level by level,
    iterative, looking at containers only (a decoded document's are exactly dict and list)."""
    level = [document]
    for _ in range(limit + 1):
        containers = [value for value in level if type(value) is dict or type(value) is list]
        if not containers:
            return False
        level = [
            child
            for container in containers
            for child in (container.values() if type(container) is dict else container)
        ]
    return True


def loads_body(text: str | bytes) -> Any:
    """A request body (GraphQL and REST): :func:`loads`, with ``NaN``, ``Infinity`` and
    ``-Infinity`` refused as the JSON they are not (``json.loads`` takes them). Whatever the
    body cannot be is a ``ValueError`` (bad JSON, invalid UTF-8, an integer past Python's
    4,300 digits, nesting past :data:`MAX_BODY_DEPTH`) or a ``RecursionError`` (nesting past
    the recursion limit, in ``json.loads``): the caller's error, answered 400."""
    document = loads(text, parse_constant=_reject_constant)
    # Only a body holding that many brackets can nest that deep: most are never walked.
    if isinstance(text, bytes):
        brackets = text.count(b"[") + text.count(b"{")
    else:
        brackets = text.count("[") + text.count("{")
    if brackets > MAX_BODY_DEPTH and _depth_past(document, MAX_BODY_DEPTH):
        raise ValueError(f"the document is nested more than {MAX_BODY_DEPTH} levels deep")
    return document
