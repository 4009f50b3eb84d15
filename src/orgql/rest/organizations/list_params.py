"""The organizations list's query parameters: ``q`` (a SCIM-style filter,
core.organizations.query_filter) and ``sort`` (core.organizations.sorting), read from the
request and echoed in the answer. Kept apart from the handler, which only calls them."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from orgql.core.organizations import repository
from orgql.core.organizations.query_filter import parse_q
from orgql.core.organizations.sorting import SortKey, parse_sort
from orgql.rest.organizations.shapes import SortOrder


@dataclass(frozen=True)
class ListParameters:
    where: repository.OrganizationFilter
    sort: list[SortKey]

    def sort_echo(self) -> list[SortOrder]:
        """The answer's ``sort``: the keys it is ordered by (id last, always)."""
        echo: list[SortOrder] = [
            {"property": key.key, "order": "desc" if key.descending else "asc"} for key in self.sort
        ]
        if not any(key.column == "id" for key in self.sort):
            echo.append({"property": "id", "order": "asc"})
        return echo


def list_parameters(request: Request) -> ListParameters:
    """``q`` and ``sort`` of the request (100002, field ``q`` / ``sort``, when malformed)."""
    params = request.query_params
    expression = parse_q(params.get("q"))
    return ListParameters(
        where=repository.OrganizationFilter(expression=expression),
        sort=parse_sort(params.get("sort")),
    )
