"""A list's ``sort`` on the wire: the OpenAPI parameter naming the list's keys, and the
answer's ``sort``, the order applied (core.common.sorting)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from orgql.core.common.sorting import MAX_SORT_KEYS, SortKey
from orgql.rest.operation import Parameter, query
from orgql.rest.shapes import SortOrder


def sort_echo(keys: Sequence[SortKey]) -> list[SortOrder]:
    """The answer's ``sort``: the keys it is ordered by (id last, always)."""
    echo: list[SortOrder] = [
        {"property": key.key, "order": "desc" if key.descending else "asc"} for key in keys
    ]
    if not any(key.column == "id" for key in keys):
        echo.append({"property": "id", "order": "asc"})
    return echo


def sort_parameter(known: Mapping[str, str]) -> Parameter:
    """The OpenAPI ``sort`` parameter of a list sorted by the keys of ``known``."""
    return query(
        "sort",
        {"type": "string"},
        "Comma-separated `key[:asc|desc]` (then by id): "
        + ", ".join(known)
        + f"; at most {MAX_SORT_KEYS}. An unknown key is 400 (100002).",
    )
