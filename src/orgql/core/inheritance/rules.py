"""Derived ("inherited") values: pure functions over an organization's ancestor chain.

Rule (DOMAIN.md, "Derived values"): a derived X is the organization's own X when set, else
the parent's derived X, recursively to the root; null when nothing on the path sets it. A null
own value inherits; any non-null value, ``False`` and ``0`` included, overrides. Site-specific
values inherit the same way within one site.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Generic, TypeVar, cast

from orgql.core.inheritance import fields
from orgql.db.models import Organization

T = TypeVar("T")
S = TypeVar("S")

#: Organization columns that sub-organizations inherit (the createOrganization response's
#: ``derived*`` fields; billing/shipping addresses by id, their types follow the address).
DERIVED_COLUMNS = fields.DERIVED_COLUMNS


@dataclass(frozen=True)
class Inherited(Generic[T]):
    """A derived value and the id of the organization that set it (None when unset)."""

    value: T | None
    source_id: str | None


def chain_of(organization: Organization, by_id: Mapping[str, Organization]) -> list[Organization]:
    """The organization followed by its ancestors, nearest first (self, parent, ..., root).

    ``by_id`` must hold every id of ``organization.path``; one missing is skipped, which
    happens only if a concurrent transaction removed it.
    """
    chain = [organization]
    chain.extend(by_id[ancestor] for ancestor in reversed(organization.path) if ancestor in by_id)
    return chain


def ancestors_root_first(
    organization: Organization, by_id: Mapping[str, Organization]
) -> list[Organization]:
    return [by_id[ancestor] for ancestor in organization.path if ancestor in by_id]


def first_set(
    items: Sequence[S], value_of: Callable[[S], T | None], id_of: Callable[[S], str]
) -> Inherited[T]:
    """The first non-null value along ``items`` (nearest first), with its owner's id."""
    for item in items:
        value = value_of(item)
        if value is not None:
            return Inherited(value, id_of(item))
    return Inherited(None, None)


def derive(chain: Sequence[Organization], column: str) -> Inherited[object]:
    """The derived value of ``column`` for ``chain[0]``."""
    if column not in DERIVED_COLUMNS:
        raise ValueError(f"{column} is not inherited")
    # first_set without its two calls per organization: a page derives hundreds of values.
    for org in chain:
        value = _column(org, column)
        if value is not None:
            return Inherited(value, org.id)
    return Inherited(None, None)


def _column(row: object, column: str) -> object:
    """A loaded column's value from the row's __dict__, where the ORM keeps it, without the
    ORM's attribute descriptor (a page reads thousands); else through the descriptor."""
    loaded = row.__dict__
    return loaded[column] if column in loaded else getattr(row, column)


def derive_all(chain: Sequence[Organization]) -> dict[str, Inherited[object]]:
    return {column: derive(chain, column) for column in DERIVED_COLUMNS}


def derive_site_value(chain_ids: Sequence[str], own_values: Mapping[str, T | None]) -> Inherited[T]:
    """The effective per-site value: ``own_values`` maps organization id to its own value on
    the site (absent or None: not set), looked up along ``chain_ids`` (nearest first)."""
    for org_id in chain_ids:  # first_set, inlined as in derive
        value = own_values.get(org_id)
        if value is not None:
            return Inherited(value, org_id)
    return Inherited(None, None)


def derive_site_values(
    chain_ids: Sequence[str], own_rows: Sequence[object | None], columns: Sequence[str]
) -> dict[str, Inherited[object]]:
    """:func:`derive_site_value` of every column at once: ``own_rows[i]`` is the own row of
    ``chain_ids[i]`` on the site, None where it has none."""
    present = [
        (org_id, row) for org_id, row in zip(chain_ids, own_rows, strict=True) if row is not None
    ]
    values: dict[str, Inherited[object]] = {}
    for column in columns:
        values[column] = Inherited(None, None)
        for org_id, row in present:
            value = _column(row, column)
            if value is not None:
                values[column] = Inherited(value, org_id)
                break
    return values


#: An organization's derived values and the ids of the organizations that set them.
Values = tuple[list[object | None], list[str | None]]


def derive_forest(
    paths: Mapping[str, Sequence[str]],
    own: Mapping[str, Sequence[object | None]],
    positions: Sequence[int],
) -> dict[str, Values]:
    """:func:`derive` (or :func:`derive_site_values`) of several columns for many
    organizations whose chains overlap, each organization's values computed once: its own
    where set, else those of the nearest organization of its path that ``paths`` holds.

    ``paths`` maps every organization to its stored path (root first); ``own`` maps an
    organization to its row, whose ``positions`` hold its own values of the columns (absent:
    none set, as an organization without a row on a site). Returns, per organization, the
    derived values and the ids of the organizations that set them, in ``positions`` order.
    Organizations that set none of the columns share their nearest's lists: read-only.

    Every organization costs about the same, whether its values are read or not: for one
    organization of a deep chain, :class:`DerivedAlong` costs less (about half for
    depth 15: it walks the chain's rows per column, and only the organizations read)."""
    unset: Values = ([None] * len(positions), [None] * len(positions))
    derived: dict[str, Values] = {}
    # Loops rather than generators: a page derives a few hundred organizations per request.
    for org_id in sorted(paths, key=lambda key: len(paths[key])):  # ancestors first
        nearest = unset
        for ancestor in reversed(paths[org_id]):
            if ancestor in derived:
                nearest = derived[ancestor]
                break
        row = own.get(org_id)
        if row is None:
            derived[org_id] = nearest
            continue
        values: list[object | None] | None = None
        owners = nearest[1]
        for index, position in enumerate(positions):
            value = row[position]
            if value is not None:
                if values is None:
                    values, owners = list(nearest[0]), list(nearest[1])
                values[index] = value
                owners[index] = org_id
        derived[org_id] = nearest if values is None else (values, owners)
    return derived


#: Derives one organization's values along its chain (:func:`_along`): its id, its path,
#: the organizations read (``paths``) and the rows holding their own values (``own``).
Along = Callable[
    [str, Sequence[str], Mapping[str, object], Mapping[str, Sequence[object | None]]], Values
]


@lru_cache(maxsize=64)
def _along(positions: tuple[int, ...]) -> Along:
    """The function deriving ``positions`` for one organization: the first non-null value of
    each along its chain (the organization, then the ancestors of its path that ``paths``
    holds, nearest first) in the rows ``own`` maps them to (absent: none set), and the id
    of the organization that set it.

    Written out as Python source and compiled once per positions (as page plans compose
    their answers, graphql.execution.page_compose), one walk of the chain testing each
    position still unset: a loop per position, as the rule reads, cost twice as much (issue
    16: 110 of the 450 thousand instructions composing ``organization(id)`` at depth 15,
    its columns mostly set near the root or nowhere). For positions ``(4, 7)``::

        def along(org_id, path, paths, own):
            v0 = v1 = o0 = o1 = None
            for oid in (org_id, *reversed(path)):
                row = own.get(oid)
                if row is None or oid not in paths:
                    continue
                if v0 is None and (v0 := row[4]) is not None:
                    o0 = oid
                if v1 is None and (v1 := row[7]) is not None:
                    o1 = oid
            return [v0, v1], [o0, o1]
    """
    values = [f"v{index}" for index in range(len(positions))]
    owners = [f"o{index}" for index in range(len(positions))]
    lines = [
        "def along(org_id, path, paths, own):",
        f"    {' = '.join([*values, *owners, 'None'])}",
        "    for oid in (org_id, *reversed(path)):",
        "        row = own.get(oid)",
        "        if row is None or oid not in paths:",
        "            continue",
    ]
    for value, owner, position in zip(values, owners, positions, strict=True):
        found = f"({value} := row[{int(position)}]) is not None"
        lines += [f"        if {value} is None and {found}:", f"            {owner} = oid"]
    lines.append(f"    return [{', '.join(values)}], [{', '.join(owners)}]")
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines), "<orgql along>", "exec"), namespace)  # noqa: S102
    return cast(Along, namespace["along"])


class DerivedAlong(dict[str, Values]):
    """:func:`derive_forest`'s answer (the same arguments, the same values), each
    organization's computed when first read, along its chain (the organizations of its path
    that ``paths`` holds: :func:`_along`).

    For a few organizations of a deep chain (``organization(id)``: one organization and its
    ancestors, of which only the organization's values are read): walking the chain's rows
    per column, most values found in the nearest few rows, costs less than deriving every
    organization of the chain from its parent's values (issue 16: 7 instead of 16 µs at
    depth 15). For a page, whose organizations share their ancestors, derive_forest costs
    less.

    Read it by subscript only, as the composed answers do (``derived[org_id]``): ``get``,
    ``in``, ``len`` and iteration see only the organizations read so far."""

    def __init__(
        self,
        paths: Mapping[str, Sequence[str]],
        own: Mapping[str, Sequence[object | None]],
        positions: Sequence[int],
    ) -> None:
        super().__init__()
        self._paths = paths
        self._own = own
        self._along = _along(tuple(positions))

    def __missing__(self, org_id: str) -> Values:
        paths = self._paths
        found = self[org_id] = self._along(org_id, paths[org_id], paths, self._own)
        return found


#: How derived values are computed, from the paths, the rows holding the own values and
#: their positions: :func:`derive_forest`, or :class:`DerivedAlong`.
Derivation = Callable[
    [Mapping[str, Sequence[str]], Mapping[str, Sequence[object | None]], Sequence[int]],
    Mapping[str, Values],
]
