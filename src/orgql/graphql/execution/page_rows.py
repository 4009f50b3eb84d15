"""What the composing functions of a page plan (graphql.execution.page_compose) read and
call at each request: the request's rows and what is derived from them (:class:`PageRows`),
and the helpers the functions call (:data:`ROWS_NAMESPACE`; those of links and site values:
page_links, page_sites). :func:`_parent` and :func:`_ancestors` compose an ancestor once per
request and selection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from orgql.graphql import cursors, global_ids

Row = Sequence[Any]
#: Derived or effective values of one organization and the ids of the organizations that
#: set them (inheritance.derive_forest).
Derived = tuple[list[Any], list[str | None]]

#: Positions in an organization row: every row starts with these.
ID, PATH, POSITION = 0, 1, 2


@dataclass
class PageRows:
    """One request's rows and what is derived from them: what the composer reads."""

    by_id: dict[str, Row]
    #: Derived values of every organization read, in ``Composer.derived_columns`` order.
    derived: Mapping[str, Derived]
    #: Per site argument: the effective values of every organization read
    #: (``Composer.site_columns`` order), or None when no site applies (no default site).
    effective: dict[str, Mapping[str, Derived] | None]
    #: Contract rows by id (``Composer.contract_columns``, id first).
    contracts: dict[str, Row]
    #: Ancestors already composed, by (selection, organization id).
    composed: dict[tuple[int, str], Any] = field(default_factory=dict)
    #: A shopper's page: of an inactive organization, the values WITHHELD_WHEN_INACTIVE
    #: answer null (core.access.checks: own, derived and in effect, with no source).
    withholding: bool = False
    #: The request's values the links read: the children pages' sizes, the logo prefix.
    links: dict[str, Any] = field(default_factory=dict)


# -- what the functions call


def _cursor(row: Row) -> str:
    return cursors.organization_cursor(row[ID])


def _global_id(organization_id: str) -> str:
    return global_ids.encode("Organization", organization_id)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _withhold(values: list[Any], owners: list[Any], positions: tuple[int, ...]) -> Any:
    """Copies of effective values and their sources with those at ``positions`` unset (the
    lists are shared between organizations: read-only)."""
    values, owners = list(values), list(owners)
    for position in positions:
        values[position] = owners[position] = None
    return values, owners


def _parent(row: Row, read: PageRows, compose: Any, selection: int) -> Any:
    """The composed parent: the chain's nearest, when it is the parent
    (inheritance.chain_of), composed once per request."""
    path = row[PATH]
    nearest = read.by_id.get(path[-1]) if path else None
    if nearest is None:
        return None
    key = (selection, nearest[ID])
    composed = read.composed.get(key)
    if composed is None:
        composed = read.composed[key] = compose(nearest, read)
    return composed


def _ancestors(row: Row, read: PageRows, compose: Any, selection: int) -> Any:
    """The composed ancestors, root first (inheritance.ancestors_root_first). The list of an
    organization's ancestors and itself is built once per request, from its parent's:
    siblings share theirs (a page of 100 has about 50 distinct chains)."""
    by_id, built, path = read.by_id, read.composed, row[PATH]
    # A sibling's already: an ancestor's chain is the same whoever asks.
    if path and (known := built.get((selection, path[-1]))) is not None:
        return known
    down_to: list[Any] = []  # the chain so far, down to the last ancestor seen
    for ancestor in path:
        if ancestor in by_id:
            key = (selection, ancestor)
            chain = built.get(key)
            if chain is None:
                chain = built[key] = [*down_to, compose(by_id[ancestor], read)]
            down_to = chain
    return down_to


ROWS_NAMESPACE = {
    "_parent": _parent,
    "_ancestors": _ancestors,
    "_cursor": _cursor,
    "_float": _float,
    "_global_id": _global_id,
    "_withhold": _withhold,
}
