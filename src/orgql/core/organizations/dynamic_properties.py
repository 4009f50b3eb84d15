"""Dynamic properties: an organization's free-form values, each checked against its
property's definition (type, a finite number in a 64-bit integer's range, ISO date, storable
text, maximum length).

A number is stored in the organization's JSONB column, where PostgreSQL keeps it as a
``numeric``: exactly as written, but with no float or integer kind of its own. A float that
Python writes with an exponent and no decimals (``1e+16``, from 1e16 up) comes back as an
integer (``10000000000000000``), and ``-0.0`` as ``0.0``. So that what is read back can be
written back unchanged and means the same, a number is held to the range of a 64-bit integer
(what GraphQL's answers and most clients hold), and :func:`as_stored` turns a float into what
the column will give back before it is checked, stored and answered; a number equal to the
stored one leaves the stored one (:func:`kept`): the PUT's answer, a GET and GraphQL then
agree (docs/rest.md)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.errors import Codes, quoted
from orgql.core.common.validation import Problems, is_storable_text, too_many
from orgql.db import models

_DYNAMIC_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "boolean": bool,
    "number": (int, float),
    "date": str,
}

_MIN_INT64, _MAX_INT64 = -(2**63), 2**63 - 1
#: From here a float's shortest text (``repr``, ``json.dumps``) has an exponent and no point:
#: PostgreSQL's numeric then holds an integer, and reads back as one.
_EXPONENT_FROM = 1e16


def as_stored(value: object) -> object:
    """``value`` as the JSONB column gives it back: a float from 1e16 up (in magnitude) as
    its integer, ``-0.0`` as ``0.0`` (numeric has no negative zero); anything else as it is."""
    if type(value) is not float or not math.isfinite(value):
        return value
    if abs(value) >= _EXPONENT_FROM:
        return int(value)
    return value + 0.0  # -0.0 + 0.0 is 0.0


def kept(stored: object, value: object) -> object:
    """What the column holds once ``value`` (:func:`as_stored`) is written over ``stored``: a
    number equal to the stored one changes nothing (JSONB compares numbers by value: ``7.0``
    over ``7``, ``0.0`` over ``0``), so the stored number stays, and is what the write
    answers, as a GET and GraphQL read it; anything else is ``value``."""
    numbers = (int, float)
    if (
        isinstance(stored, numbers)
        and isinstance(value, numbers)
        and not isinstance(stored, bool)
        and not isinstance(value, bool)
        and stored == value
    ):
        return stored
    return value


async def check_dynamic_properties(
    session: AsyncSession, values: Mapping[str, object], problems: Problems
) -> None:
    """Each value against its property's definition. At most :data:`MAX_ITEMS` of them (the
    parsers refuse more; this is the service's own guard): their names are one set, looked
    up in constant time, read in one statement."""
    if not values or too_many(values, "dynamicProperties", "dynamicProperties", problems):
        return
    storable = {key for key in values if is_storable_text(key)}
    definitions = {
        d.id: d
        for d in await session.scalars(
            select(models.DynamicPropertyDefinition).where(
                models.DynamicPropertyDefinition.id.in_(sorted(storable))
            )
        )
    }
    for key, value in values.items():
        if key not in storable:
            problems.add(Codes.INVALID_INPUT, "a property name is not valid text", key)
            continue
        definition = definitions.get(key)
        if definition is None:
            problems.add(Codes.INVALID_INPUT, f"unknown property {quoted(key)}", key)
            continue
        if value is None:
            continue
        expected: type | tuple[type, ...] = _DYNAMIC_TYPES[definition.data_type]
        if not isinstance(value, expected) or (
            definition.data_type == "number" and isinstance(value, bool)
        ):
            problems.add(Codes.INVALID_INPUT, f"{key} must be a {definition.data_type}", key)
            continue
        if isinstance(value, float) and not math.isfinite(value):  # JSON 1e999 reads as inf
            problems.add(Codes.INVALID_INPUT, f"{key} must be a finite number", key)
            continue
        if isinstance(value, int | float) and not _MIN_INT64 <= value <= _MAX_INT64:
            # JSON allows any number, but GraphQL answers (orjson) and most clients hold 64
            # bits, and a float past them is read back as an integer (as_stored).
            problems.add(
                Codes.INVALID_INPUT,
                f"{key} must be a number from {_MIN_INT64} to {_MAX_INT64}",
                key,
            )
            continue
        if definition.data_type == "date":
            try:
                datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            except ValueError:
                problems.add(Codes.INVALID_INPUT, f"{key} must be an ISO 8601 date", key)
                continue
        if isinstance(value, str) and not is_storable_text(value):
            problems.add(
                Codes.INVALID_INPUT, f"{key} contains characters that cannot be stored", key
            )
            continue
        if (
            isinstance(value, str)
            and definition.max_length is not None
            and len(value) > definition.max_length
        ):
            problems.add(
                Codes.VALUE_TOO_LONG,
                f"{key} is {len(value)} characters long;"
                f" at most {definition.max_length} are allowed",
                key,
            )
