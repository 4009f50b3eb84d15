"""The organizations list's query parameters: ``q`` (a SCIM-style filter,
core.organizations.query_filter) and ``sort`` (core.organizations.sorting), read from the
request (the answer's ``sort`` is rest.sorting.sort_echo's, as the profiles list's). Kept
apart from the handler, which only calls them."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from orgql.core.organizations import query_filter, repository, sorting
from orgql.core.organizations.query_filter import parse_q
from orgql.core.organizations.sorting import SortKey, parse_sort
from orgql.rest.operation import query
from orgql.rest.sorting import sort_parameter
from orgql.rest.transport import single_param


@dataclass(frozen=True)
class ListParameters:
    where: repository.OrganizationFilter
    sort: list[SortKey]


def list_parameters(request: Request) -> ListParameters:
    """``q`` and ``sort`` of the request (100002, field ``q`` / ``sort``, when malformed)."""
    expression = parse_q(single_param(request, "q"))
    return ListParameters(
        where=repository.OrganizationFilter(expression=expression),
        sort=parse_sort(single_param(request, "sort")),
    )


#: The OpenAPI parameters ``q`` and ``sort`` of listOrganizations (``rest/routes.py``).
LIST_PARAMETERS = (
    query(
        "q",
        {"type": "string", "maxLength": query_filter.MAX_LENGTH},
        "SCIM-style filter: comparisons `attribute op value` (op: eq, ne, co, sw, ew;"
        " `attribute pr`: set) joined by and / or, with not and parentheses; or one bare word"
        " (name contains). Attributes: "
        + ", ".join(query_filter.ATTRIBUTES)
        + f". At most {query_filter.MAX_TERMS} comparisons and {query_filter.MAX_DEPTH}"
        " levels; anything else is 400 (100002).",
    ),
    sort_parameter(sorting.SORT_KEYS),
)
