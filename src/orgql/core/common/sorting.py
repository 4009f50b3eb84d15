"""A list's ``sort``: ``key[:asc|desc]`` separated by commas (the vendor's ``sort=name:asc``).
Each list declares its keys once, OCC key -> column (core.organizations.sorting,
core.people.sorting); an unknown key or direction is the caller's error (100002, field
``sort``), never ignored. The id always breaks ties, so pages are stable."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import UnaryExpression

from orgql.core.common.errors import Codes, OrgqlError

#: The most keys one sort may name.
MAX_SORT_KEYS = 5
_MAX_LENGTH = 300


@dataclass(frozen=True)
class SortKey:
    key: str  # the OCC key the caller named
    column: str  # its column
    descending: bool = False


def _refused(message: str) -> OrgqlError:
    return OrgqlError(Codes.INVALID_INPUT, f"sort: {message}", "sort")


def parse_sort(raw: str | None, known: Mapping[str, str]) -> list[SortKey]:
    """The keys of ``known`` (OCC key -> column) that ``raw`` names, in order; empty when
    absent or blank."""
    if raw is None or not raw.strip():
        return []
    if len(raw) > _MAX_LENGTH:
        raise _refused(f"at most {_MAX_LENGTH} characters are allowed")
    parts = [part.strip() for part in raw.split(",")]
    if len(parts) > MAX_SORT_KEYS:
        raise _refused(f"at most {MAX_SORT_KEYS} keys are allowed")
    keys: list[SortKey] = []
    for part in parts:
        key, _, direction = part.partition(":")
        key, direction = key.strip(), direction.strip().lower() or "asc"
        if key not in known:
            raise _refused(f"unknown key {key[:60]!r}; known: {', '.join(known)}")
        if direction not in ("asc", "desc"):
            raise _refused(f"{key} must be followed by :asc or :desc, not {direction[:20]!r}")
        if any(existing.column == known[key] for existing in keys):
            raise _refused(f"{key} is named twice")
        keys.append(SortKey(key, known[key], direction == "desc"))
    return keys


def order_by(model: type[Any], keys: Sequence[SortKey]) -> list[UnaryExpression[Any]]:
    """ORDER BY ``keys`` over ``model``'s columns, then by id (ties broken the same way on
    every page); unset values last whatever the direction."""
    order: list[UnaryExpression[Any]] = []
    for key in keys:
        column = getattr(model, key.column)
        order.append(column.desc().nulls_last() if key.descending else column.asc().nulls_last())
    if not any(key.column == "id" for key in keys):
        order.append(model.id.asc())
    return order
