"""Small typed readers for untrusted JSON-like documents.

Each reader takes the document, a key and the error path, returns a typed value or records
an :class:`ErrorDetail` and returns ``None``; the caller raises once with every problem.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping, Sequence, Sized
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

from sqlalchemy import FromClause, String

from orgql.core.common.errors import Codes, ErrorDetail, ErrorKind, OrgqlError, quoted
from orgql.core.common.names import camel

#: The most items one list of a request may hold (members, paymentMethods, secondaryAddresses,
#: siteOrganizationProperties, eventTypes, address types, ...) and the most properties one
#: object may (dynamic properties included). Far above any real request, far below the 32,767
#: bind parameters asyncpg takes in one statement; and it bounds the work spent per key or
#: item before the request is refused (100002, or the list's own code).
MAX_ITEMS = 1000

#: What a caller's input calls the keys of the REST body that it names otherwise, its ids
#: bare (GraphQL's arguments: ``{"parentOrganization": "parentOrganizationId"}``): the
#: parsers that take it say those names in their problems' messages and fields, so that a
#: message names what the caller sent. None by default: the REST body's keys.
InputNames = Mapping[str, str]
REST_NAMES: InputNames = MappingProxyType({})

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def is_storable_text(value: str) -> bool:
    """PostgreSQL text holds no NUL and only valid UTF-8 (no lone surrogates)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def json_values(value: object) -> Iterator[object]:
    """Every value inside a JSON value, itself included, containers before their items;
    iterative, so any nesting depth is walked without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        yield item
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def unstorable_text_in(value: object) -> str | None:
    """What a JSON value (a request body, GraphQL variables) holds that PostgreSQL text
    cannot ("a NUL character", "invalid Unicode": a lone surrogate), in any string, keys
    included; None when every string is storable."""
    for item in json_values(value):
        strings = [item] if isinstance(item, str) else item if isinstance(item, dict) else ()
        for text in strings:
            if not isinstance(text, str):
                continue
            if "\x00" in text:
                return "a NUL character"
            if not is_storable_text(text):
                return "invalid Unicode"
    return None


def unstorable_fields(value: object, path: str) -> list[str]:
    """The paths (camelCase, as callers spell them) of the strings in a dataclass, nested ones
    included, that PostgreSQL cannot take as a parameter: a query filter on such a string
    must be refused as input, not fail in the driver."""
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return []
    found: list[str] = []
    for item in dataclasses.fields(value):
        name = f"{path}.{camel(item.name)}"
        field_value = getattr(value, item.name)
        if isinstance(field_value, str) and not is_storable_text(field_value):
            found.append(name)
        found += unstorable_fields(field_value, name)
    return found


class Problems:
    """Collects validation problems; :meth:`raise_if_any` raises them as one error."""

    def __init__(self) -> None:
        self.details: list[ErrorDetail] = []

    def add(self, code: str, message: str, path: str | None) -> None:
        self.details.append(ErrorDetail(code, message, path))

    def raise_if_any(self, kind: ErrorKind = ErrorKind.INVALID) -> None:
        if self.details:
            raise OrgqlError.from_details(self.details, kind)

    def __bool__(self) -> bool:
        return bool(self.details)


def too_many(
    value: Sized,
    what: str,
    path: str | None,
    problems: Problems,
    *,
    code: str = Codes.INVALID_INPUT,
) -> bool:
    """Records a problem and answers True when ``value`` holds more than :data:`MAX_ITEMS`
    items (keys of an object); the caller then skips its per-item work."""
    if len(value) <= MAX_ITEMS:
        return False
    problems.add(code, f"{what} holds {len(value)} items; at most {MAX_ITEMS} are allowed", path)
    return True


def unknown_keys(
    doc: Mapping[str, object],
    allowed: frozenset[str],
    path: str | None,
    problems: Problems,
    *,
    code: str = Codes.INVALID_INPUT,
    what: str = "property",
) -> None:
    """Each key of ``doc`` that ``allowed`` does not hold, as a problem ("unknown property").
    An object with more than :data:`MAX_ITEMS` keys is one problem, before any per-key work."""
    if too_many(doc, path or "the request body", path, problems, code=code):
        return
    for key in sorted((key for key in doc if key not in allowed), key=str):
        problems.add(code, f"unknown {what} {quoted(key)}", join(path, str(key)))


def join(path: str | None, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def column_length(table: FromClause, column: str) -> int | None:
    column_type = table.c[column].type
    return column_type.length if isinstance(column_type, String) else None


def read_str(
    doc: Mapping[str, object],
    key: str,
    path: str | None,
    problems: Problems,
    *,
    max_length: int | None = None,
    code: str = Codes.INVALID_INPUT,
    required: str | None = None,
) -> str | None:
    """A string, trimmed; empty becomes None. Too long: 00004.

    With ``required`` (an error code), a missing or blank value is reported with that code.
    """
    value = doc.get(key)
    where = join(path, key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.add(required, f"{key} is required", where)
        return None
    if not isinstance(value, str):
        problems.add(code, f"{key} must be a string", where)
        return None
    if _CONTROL.search(value) or not is_storable_text(value):
        problems.add(code, f"{key} contains control characters", where)
        return None
    value = value.strip()
    if max_length is not None and len(value) > max_length:
        problems.add(
            Codes.VALUE_TOO_LONG,
            f"{key} is {len(value)} characters long; at most {max_length} are allowed",
            where,
        )
        return None
    return value or None


def read_bool(
    doc: Mapping[str, object],
    key: str,
    path: str | None,
    problems: Problems,
    *,
    code: str = Codes.INVALID_INPUT,
) -> bool | None:
    """A boolean; the strings "true" and "false" are accepted as OCC clients send them."""
    value = doc.get(key)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    problems.add(code, f"{key} must be true or false", join(path, key))
    return None


#: What NUMERIC(19, 4) holds (orderPriceLimit): 15 digits before the point, 4 after it.
_DECIMAL_STEP = Decimal("0.0001")
_MAX_DECIMAL = Decimal("999999999999999.9999")


def read_decimal(
    doc: Mapping[str, object],
    key: str,
    path: str | None,
    problems: Problems,
    *,
    code: str = Codes.INVALID_INPUT,
) -> Decimal | None:
    """A non-negative number that NUMERIC(19, 4) holds exactly: from 0 to
    999999999999999.9999, with at most 4 decimals (trailing zeros aside). More decimals are
    refused, not rounded by the database: ``1e-05`` would be stored, and answered, as 0."""
    value = doc.get(key)
    if value is None:
        return None
    where = join(path, key)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        problems.add(code, f"{key} must be a number", where)
        return None
    if isinstance(value, str) and (not value.isascii() or "_" in value):
        # Decimal() also reads other scripts' digits and underscores ("1_0"): not a number's text
        problems.add(code, f"{key} must be a number", where)
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        problems.add(code, f"{key} must be a number", where)
        return None
    if (
        not number.is_finite()
        or number < 0
        or number > _MAX_DECIMAL
        or number != number.quantize(_DECIMAL_STEP)  # exact below 1e15 at 28 digits
    ):
        problems.add(
            code,
            f"{key} must be a number from 0 to {_MAX_DECIMAL} with at most 4 decimals",
            where,
        )
        return None
    return number


def read_datetime(
    doc: Mapping[str, object], key: str, path: str | None, problems: Problems
) -> datetime | None:
    """An ISO 8601 timestamp ("2016-10-10T11:44:26.000Z"); without a zone it is UTC."""
    raw = doc.get(key)
    if raw is None:
        return None
    where = join(path, key)
    if not isinstance(raw, str):
        problems.add(Codes.INVALID_INPUT, f"{key} must be an ISO 8601 timestamp", where)
        return None
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        message = f"{key} is not an ISO 8601 timestamp: {quoted(raw)}"
        problems.add(Codes.INVALID_INPUT, message, where)
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def read_object(
    doc: Mapping[str, object], key: str, path: str | None, problems: Problems
) -> Mapping[str, object] | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        problems.add(Codes.INVALID_INPUT, f"{key} must be an object", join(path, key))
        return None
    return value


def read_list(
    doc: Mapping[str, object],
    key: str,
    path: str | None,
    problems: Problems,
    *,
    code: str = Codes.INVALID_INPUT,
    name: str | None = None,
) -> Sequence[object] | None:
    """``name``: what the caller's input calls the list when not ``key`` (:func:`read_ids`)."""
    value = doc.get(key)
    if value is None:
        return None
    name = name or key
    where = join(path, name)
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        problems.add(code, f"{name} must be a list", where)
        return None
    if too_many(value, name, where, problems):
        return None
    return value


def read_ids(
    doc: Mapping[str, object],
    key: str,
    path: str | None,
    problems: Problems,
    *,
    code: str,
    name: str | None = None,
) -> list[str] | None:
    """A list of ids, each a string or an object with ``id`` or ``repositoryId``. ``name``:
    what the caller's input calls the list when not ``key`` (a transport's own argument,
    GraphQL's ``organizationIds``): its problems' messages and fields say that."""
    items = read_list(doc, key, path, problems, code=code, name=name)
    if items is None:
        return None
    name = name or key
    ids: list[str] = []
    for index, item in enumerate(items):
        value: object = item
        if isinstance(item, Mapping):
            value = item.get("id", item.get("repositoryId"))
        where = join(join(path, name), index)
        if not isinstance(value, str) or not value.strip() or len(value) > 254:
            problems.add(code, f"{name} holds an invalid id: {quoted(value)}", where)
            continue
        if not is_storable_text(value):
            problems.add(Codes.INVALID_INPUT, f"{name} holds an id that is not valid text", where)
            continue
        ids.append(value.strip())
    return list(dict.fromkeys(ids))


def read_reference(
    doc: Mapping[str, object],
    key: str,
    path: str | None,
    problems: Problems,
    *,
    code: str,
    name: str | None = None,
) -> str | None:
    """``{"id": "..."}`` or ``{"repositoryId": "..."}``; returns the id. ``name``: what the
    caller's input calls the id when not ``key`` (a transport's own argument, which holds
    the id itself: GraphQL's ``parentOrganizationId``); its problems' messages and fields
    say that."""
    value = doc.get(key)
    if value is None:
        return None
    where = join(path, name or key)
    ref = value.get("id", value.get("repositoryId")) if isinstance(value, Mapping) else value
    if ref is None and isinstance(value, Mapping) and not value:
        return None
    if not isinstance(ref, str) or not ref.strip() or len(ref) > 254:
        message = bare_id_problem(name) if name else f"{key} must be an object with an id"
        problems.add(code, message, where)
        return None
    if not is_storable_text(ref):
        message = f"{name or key} names an id that is not valid text"
        problems.add(Codes.INVALID_INPUT, message, where)
        return None
    return ref.strip()


def bare_id_problem(name: str) -> str:
    """The problem of an id given as itself (not in an object) that is none: blank, or
    longer than any id."""
    return f"{name} must be a non-blank id of at most 254 characters"
