"""Page-size limits: the one home of every bound on how much one page may hold.

They are business limits the core enforces (a list page, a descendants page, a page of
deliveries); each transport imports them from here and never writes the numbers again:
GraphQL checks ``first`` against them and its cost analysis (``graphql/analysis.py``,
``graphql/list_bounds.py``) counts a connection by them, REST declares ``limit`` and
``offset`` with them in its OpenAPI document.
"""

from __future__ import annotations

#: A page walked with cursors (GraphQL connections: organizations, children, descendants,
#: requests, history; a subscription's deliveries): its size when none is asked for, and
#: the most one page may hold.
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

#: An OCC list (REST ``limit`` of organizations and of organization requests): the most
#: one page may hold, and its size when none is asked for (OCC answers a full page).
MAX_LIST_LIMIT = 250
DEFAULT_LIST_LIMIT = MAX_LIST_LIMIT

#: The largest page offset: PostgreSQL's OFFSET is a bigint (a larger one is a driver error).
MAX_OFFSET = 2**63 - 1


def limit_problem(limit: int) -> str | None:
    """What is wrong with a list's ``limit``, naming the bound it breaks; None when it is
    within bounds. Every offset list (organizations, requests, profiles) says it alike, and
    as it says an ``offset``'s (offset_problem)."""
    return _bound_problem("limit", limit, MAX_LIST_LIMIT)


def offset_problem(offset: int) -> str | None:
    """What is wrong with a list's ``offset``, naming the bound it breaks; None when it is
    within bounds. Every offset list (organizations, requests, profiles) says it alike."""
    return _bound_problem("offset", offset, MAX_OFFSET)


def first_problem(first: int) -> str | None:
    """What is wrong with a cursor page's ``first`` (its size), naming the bound it breaks;
    None when it is within bounds. Every page walked with cursors (GraphQL connections, a
    subscription's deliveries) says it alike, and as a list's ``limit`` (limit_problem)."""
    return _bound_problem("first", first, MAX_PAGE_SIZE)


def _bound_problem(name: str, value: int, most: int) -> str | None:
    if value < 0:
        return f"{name} must not be negative"
    if value > most:
        return f"{name} must be at most {most}"
    return None


class Unreadable:
    """Where a page continues when the caller's cursor could not be read: the transport
    decodes its cursors (GraphQL's are in ``graphql/cursors.py``) and passes this instead of
    a position, so that the core reports it with the page's other problems."""

    def __repr__(self) -> str:
        return "UNREADABLE"


UNREADABLE = Unreadable()
