"""A page of organizations, with its hierarchy, derived and effective per-site values, from
one statement (two with ``totalCount``): the GraphQL gateway's SQL plans.

A selection is described with :class:`Key` (the GraphQL layer translates its documents into
them) and compiled once into a :class:`PagePlan`: the statement that reads the rows it needs
and the functions that compose its JSON-ready answer from them. The statement's rows are:

1. the page and every ancestor of its organizations, by the stored ``path``, with only the
   columns the selection names;
2. when the selection has effective per-site values, after them: the site rows of all those
   organizations on every site it names (and the default site when one is unnamed), with
   the contracts they name; and at least one row per such site that exists.

``totalCount`` is a second statement.

Derived and effective values follow :mod:`orgql.core.inheritance` (DOMAIN.md, "Derived
values"), computed once per organization of the page and its chains
(:func:`inheritance.derive_forest`), so an ancestor shared by the whole page costs once.
``tests/graphql/test_sql_plans.py`` holds the answers to the resolvers'.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import count
from typing import Any, cast

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from orgql.core import cursors, inheritance
from orgql.core.inheritance import DERIVED_COLUMNS
from orgql.core.organization_views import SITE_COLUMNS

#: Organization columns a node may ask for (the GraphQL plain columns).
COLUMNS = frozenset(
    {
        "id",
        "name",
        "description",
        "type",
        "customer_type",
        "active",
        "version",
        "duns_number",
        "tax_reference_number",
        "vat_reference_number",
        "tax_exemption_code",
        "unique_id",
        "external_organization_id",
        "party_id",
        "party_number",
        "organization_logo",
        "payment_methods",
        "use_all_payment_methods_from_site",
        "use_all_shipping_methods_from_site",
    }
)
#: Derived (inherited) columns a node may ask for: inheritance.DERIVED_COLUMNS with a plain
#: value (not the address and shipping-method references).
DERIVED = frozenset(DERIVED_COLUMNS) - {
    "shipping_methods",
    "billing_address_id",
    "shipping_address_id",
}
CONTRACT_COLUMNS = frozenset({"id", "display_name", "description", "external_contract_reference"})


@dataclass(frozen=True)
class Key:
    """One key of a JSON object: ``kind`` says what its value is, ``what`` which one."""

    name: str
    #: "const" (a string: __typename), "column", "derived", "parent", "ancestors",
    #: "effective", "value", "contract", "sources", "source", "cursor", "node", "edges",
    #: "page_info", "has_next", "end_cursor", "total".
    kind: str
    what: str | None = None
    keys: tuple[Key, ...] = ()
    #: "effective": the name of the site argument (its value null: the default site).
    site_param: str = ""


Row = Sequence[Any]
#: A value of an organization's object, from its row.
Value = Callable[[Row, "_Read"], Any]
#: A value of an effective-site-values object, from the derived values and their owners.
SiteValue = Callable[[list[Any], list[str | None], "_Read"], Any]


@dataclass
class _Read:
    """One request's rows and what is derived from them."""

    by_id: dict[str, Row]
    #: Derived values of every organization read, in the plan's derived-column order.
    derived: dict[str, tuple[list[Any], list[str | None]]]
    #: Per site argument: its effective values per organization (site-column order), or
    #: None when the argument names no site (no default site).
    effective: dict[str, dict[str, tuple[list[Any], list[str | None]]] | None]
    contracts: dict[str, Row]
    #: Nested objects already composed, by (composer, organization id): an ancestor shared
    #: by the page is composed once.
    composed: dict[tuple[int, str], Any] = field(default_factory=dict)


#: Every statement of a page plan starts with this comment: it names them in PostgreSQL's
#: logs and statistics (and to the tests, which check that a plan answered).
MARK = "/* orgql page plan */ "
_TOTAL = text(MARK + "SELECT count(*) FROM organizations")

#: Positions in an organization row: every row starts with these.
_ID, _PATH, _POSITION = 0, 1, 2


class PagePlan:
    """The statement and composers of one selection (a connection's keys)."""

    def __init__(self, keys: tuple[Key, ...]) -> None:
        #: The organization columns read; a row is (id, path, position on the page or
        #: null for an ancestor, *the rest).
        self.columns: list[str] = ["id", "path", "position"]
        self.derived_columns: list[str] = []
        self.site_columns: list[str] = []
        self.contract_columns: list[str] = []
        #: The site arguments, in the order of the selection.
        self.site_params: list[str] = []
        self.total = False
        self.hierarchy = False  # does anything need the ancestors?
        self._tokens = count()
        self._compose = self._connection(keys)
        self.derived_at = [self._column(c) for c in self.derived_columns]
        self.statement = text(MARK + self._sql())

    # -- reading

    async def read(
        self,
        connection: AsyncConnection,
        first: int,
        after: str | None,
        sites: Mapping[str, str | None],
    ) -> dict[str, Any] | None:
        """The connection's answer (JSON-ready), or None when a site named in ``sites`` (a
        value per site argument; None: the default site) does not exist."""
        named = sorted({site for site in sites.values() if site is not None})
        parameters: dict[str, Any] = {"first": first, "after": after}
        if self.site_params:
            parameters["sites"] = named
            parameters["default"] = any(sites.get(p) is None for p in self.site_params)
        rows = cast(list[Row], (await connection.execute(self.statement, parameters)).all())
        by_id = {row[_ID]: row for row in rows if row[_ID] is not None}
        effective: dict[str, dict[str, tuple[list[Any], list[str | None]]] | None] = {}
        contracts: dict[str, Row] = {}
        if self.site_params and not self._effective_values(
            rows, by_id, sites, named, effective, contracts
        ):
            return None
        total = None
        if self.total:
            total = (await connection.execute(_TOTAL)).scalar()
        derived: dict[str, tuple[list[Any], list[str | None]]] = {}
        if self.derived_at:
            paths = {org_id: row[_PATH] for org_id, row in by_id.items()}
            derived = inheritance.derive_forest(paths, by_id, self.derived_at)
        read = _Read(by_id, derived, effective, contracts)
        # From the rows, not by_id: an organization of the page may be another's ancestor.
        page = sorted((row for row in rows if row[_POSITION] is not None), key=_position)
        return self._compose(page, first, total, read)

    def _effective_values(
        self,
        rows: list[Row],
        by_id: dict[str, Row],
        sites: Mapping[str, str | None],
        named: list[str],
        effective: dict[str, dict[str, tuple[list[Any], list[str | None]]] | None],
        contracts: dict[str, Row],
    ) -> bool:
        """Fill ``effective`` (per site argument) and ``contracts`` from the site rows of
        the statement; False when a named site does not exist."""
        start = len(self.columns)  # a site row: (site id, is default, organization id, ...)
        width = len(self.site_columns)
        positions = range(start + 3, start + 3 + width)  # the site columns in a row
        contract_at = start + 3 + width
        own: dict[str, dict[str, Row]] = {}
        default = None
        for row in rows:
            site_id = row[start]
            if site_id is None:  # an organization row
                continue
            values = own.setdefault(site_id, {})
            if row[start + 1]:
                default = site_id
            if row[start + 2] is not None:
                values[row[start + 2]] = row
                if self.contract_columns and row[contract_at] is not None:
                    contracts[row[contract_at]] = row[contract_at:]
        if any(site not in own for site in named):
            return False
        paths = {org_id: row[_PATH] for org_id, row in by_id.items()}
        derived_by_site: dict[str, dict[str, tuple[list[Any], list[str | None]]]] = {}
        for param in self.site_params:
            named_site = sites.get(param)
            site = named_site if named_site is not None else default
            if site is None:
                effective[param] = None
                continue
            if site not in derived_by_site:
                derived_by_site[site] = inheritance.derive_forest(paths, own[site], positions)
            effective[param] = derived_by_site[site]
        return True

    def _sql(self) -> str:
        """The statement: the page (its position set), its organizations' ancestors (no
        position), then, when it has effective values, the site rows of them all (the
        organization columns null), one row at least per site asked for."""

        def select(position: str) -> str:
            return ", ".join(position if c == "position" else f"o.{c}" for c in self.columns)

        page = (
            f"SELECT {select('row_number() OVER (ORDER BY o.id)')} FROM organizations o"
            " WHERE CAST(:after AS varchar) IS NULL OR o.id > CAST(:after AS varchar)"
            " ORDER BY o.id LIMIT CAST(:first AS integer) + 1"
        )
        if not self.hierarchy:
            return page
        chain = (
            f"WITH page AS MATERIALIZED ({page}),"
            " chain AS MATERIALIZED (SELECT * FROM page UNION ALL"
            f" SELECT {select('NULL')} FROM organizations o"
            " WHERE o.id = ANY(ARRAY(SELECT DISTINCT unnest(path) FROM page)))"
        )
        if not self.site_params:
            return chain + " SELECT * FROM chain"
        site_width = 3 + len(self.site_columns) + len(self.contract_columns)
        contracts = ""
        if self.contract_columns:
            contracts = " LEFT JOIN contracts c ON c.id = s.contract_id"
        return (
            f"{chain} SELECT *{', NULL' * site_width} FROM chain UNION ALL"
            f" SELECT {', '.join(['NULL'] * len(self.columns))}, w.id, w.is_default,"
            " s.organization_id"
            + "".join(f", s.{c}" for c in self.site_columns)
            + "".join(f", c.{c}" for c in self.contract_columns)
            + " FROM sites w LEFT JOIN site_organization_properties s"
            " ON s.site_id = w.id AND s.organization_id = ANY(ARRAY(SELECT id FROM chain))"
            + contracts
            + " WHERE w.id = ANY(CAST(:sites AS varchar[]))"
            " OR (w.is_default AND CAST(:default AS boolean))"
        )

    # -- composing

    def _column(self, column: str) -> int:
        assert column in COLUMNS
        if column not in self.columns:
            self.columns.append(column)
        return self.columns.index(column)

    def _derived(self, column: str) -> int:
        """The column's position among the derived values (the statement reads it too)."""
        assert column in DERIVED
        if column not in self.derived_columns:
            self.derived_columns.append(column)
        return self.derived_columns.index(column)

    def _site(self, column: str) -> int:
        assert column in SITE_COLUMNS
        if column not in self.site_columns:
            self.site_columns.append(column)
        return self.site_columns.index(column)

    def _connection(
        self, keys: tuple[Key, ...]
    ) -> Callable[[list[Row], int, int | None, _Read], dict[str, Any]]:
        parts: list[tuple[str, Callable[[list[Row], bool, int | None, _Read], Any]]] = []
        for key in keys:
            if key.kind == "const":
                parts.append((key.name, _const(key.what)))
            elif key.kind == "total":
                self.total = True
                parts.append((key.name, lambda page, more, total, read: total))
            elif key.kind == "page_info":
                parts.append((key.name, _page_info(key.keys)))
            elif key.kind == "edges":
                parts.append((key.name, self._edges(key.keys)))
            else:
                raise ValueError(f"not a connection key: {key.kind}")

        def compose(rows: list[Row], first: int, total: int | None, read: _Read) -> dict[str, Any]:
            page, more = rows[:first], len(rows) > first
            return {name: value(page, more, total, read) for name, value in parts}

        return compose

    def _edges(self, keys: tuple[Key, ...]) -> Callable[[list[Row], bool, int | None, _Read], Any]:
        parts: list[tuple[str, Value]] = []
        for key in keys:
            if key.kind == "const":
                parts.append((key.name, _const(key.what)))
            elif key.kind == "cursor":
                parts.append((key.name, lambda row, read: _cursor(row)))
            elif key.kind == "node":
                parts.append((key.name, self._node(key.keys)))
            else:
                raise ValueError(f"not an edge key: {key.kind}")

        def edges(page: list[Row], more: bool, total: int | None, read: _Read) -> Any:
            return [{name: value(row, read) for name, value in parts} for row in page]

        return edges

    def _node(self, keys: tuple[Key, ...]) -> Value:
        """The object of an organization row."""
        parts: list[tuple[str, Value]] = []
        for key in keys:
            if key.kind == "const":
                parts.append((key.name, _const(key.what)))
            elif key.kind == "column":
                parts.append((key.name, _item(self._column(key.what or ""))))
            elif key.kind == "derived":
                parts.append((key.name, _derived(self._derived(key.what or ""))))
            elif key.kind == "parent":
                self.hierarchy = True
                parts.append((key.name, _parent(self._shared(self._node(key.keys)))))
            elif key.kind == "ancestors":
                self.hierarchy = True
                parts.append((key.name, _ancestors(self._node(key.keys), next(self._tokens))))
            elif key.kind == "effective":
                self.hierarchy = True
                parts.append((key.name, self._effective(key)))
            else:
                raise ValueError(f"not a node key: {key.kind}")
        if any(key.kind == "derived" for key in keys):
            self.hierarchy = True

        def node(row: Row, read: _Read) -> dict[str, Any]:
            return {name: value(row, read) for name, value in parts}

        return node

    def _shared(self, compose: Value) -> Value:
        """``compose``, once per organization and request."""
        token = next(self._tokens)

        def shared(row: Row, read: _Read) -> Any:
            key = (token, row[_ID])
            try:
                return read.composed[key]
            except KeyError:
                value = read.composed[key] = compose(row, read)
                return value

        return shared

    def _effective(self, key: Key) -> Value:
        """The values in effect on the key's site for an organization row."""
        param = key.site_param
        if param not in self.site_params:
            self.site_params.append(param)
        parts: list[tuple[str, SiteValue]] = []
        for item in key.keys:
            if item.kind == "const":
                parts.append((item.name, _const(item.what)))
            elif item.kind == "value":
                parts.append((item.name, _site_value(self._site(item.what or ""), item.what)))
            elif item.kind == "contract":
                parts.append((item.name, self._contract(item.keys)))
            elif item.kind == "sources":
                parts.append((item.name, self._sources(item.keys)))
            else:
                raise ValueError(f"not an effective key: {item.kind}")

        def effective(row: Row, read: _Read) -> Any:
            site = read.effective[param]
            if site is None:
                return None
            values, sources = site[row[_ID]]
            return {name: value(values, sources, read) for name, value in parts}

        return effective

    def _contract(self, keys: tuple[Key, ...]) -> SiteValue:
        at = self._site("contract_id")
        if "id" not in self.contract_columns:
            self.contract_columns.insert(0, "id")
        parts: list[tuple[str, Any]] = []
        for key in keys:
            if key.kind == "const":
                parts.append((key.name, key.what))
            else:
                assert key.kind == "column"
                assert key.what in CONTRACT_COLUMNS
                if key.what not in self.contract_columns:
                    self.contract_columns.append(key.what)
                parts.append((key.name, self.contract_columns.index(key.what)))

        def contract(values: list[Any], sources: list[str | None], read: _Read) -> Any:
            row = read.contracts.get(values[at]) if values[at] is not None else None
            if row is None:
                return None
            return {name: row[p] if isinstance(p, int) else p for name, p in parts}

        return contract

    def _sources(self, keys: tuple[Key, ...]) -> SiteValue:
        parts: list[tuple[str, str | int | None]] = []
        for key in keys:
            if key.kind == "const":
                parts.append((key.name, key.what))
            else:
                assert key.kind == "source"
                parts.append((key.name, self._site(key.what or "")))

        def sources(values: list[Any], owners: list[str | None], read: _Read) -> Any:
            return {name: owners[p] if isinstance(p, int) else p for name, p in parts}

        return sources


def _position(row: Row) -> int:
    return int(row[_POSITION])


def _cursor(row: Row) -> str:
    return cursors.encode("org", row[_ID])


def _const(value: str | None) -> Any:
    return lambda *_: value


def _item(at: int) -> Value:
    return lambda row, read: row[at]


def _derived(at: int) -> Value:
    return lambda row, read: read.derived[row[_ID]][0][at]


def _parent(compose: Value) -> Value:
    """The chain's nearest organization, when it is the parent (inheritance.chain_of)."""

    def parent(row: Row, read: _Read) -> Any:
        path = row[_PATH]
        nearest = read.by_id.get(path[-1]) if path else None
        return compose(nearest, read) if nearest is not None else None

    return parent


def _ancestors(compose: Value, token: int) -> Value:
    """The composed ancestors, root first (inheritance.ancestors_root_first). The list of an
    organization's ancestors and itself is built once per request, from its parent's:
    siblings share theirs (a page of 100 has about 50 distinct chains)."""

    def ancestors(row: Row, read: _Read) -> Any:
        by_id, built = read.by_id, read.composed
        down_to: list[Any] = []  # the chain so far, down to the last ancestor seen
        for ancestor in row[_PATH]:
            if ancestor in by_id:
                key = (token, ancestor)
                chain = built.get(key)
                if chain is None:
                    chain = built[key] = [*down_to, compose(by_id[ancestor], read)]
                down_to = chain
        return down_to

    return ancestors


def _site_value(at: int, column: str | None) -> SiteValue:
    if column == "order_price_limit":  # a decimal, answered as the float the resolvers give
        return lambda values, sources, read: None if values[at] is None else float(values[at])
    return lambda values, sources, read: values[at]


def _page_info(keys: tuple[Key, ...]) -> Callable[[list[Row], bool, int | None, _Read], Any]:
    parts: list[tuple[str, Callable[[list[Row], bool], Any]]] = []
    for key in keys:
        if key.kind == "const":
            parts.append((key.name, _const(key.what)))
        elif key.kind == "has_next":
            parts.append((key.name, lambda page, more: more))
        elif key.kind == "end_cursor":
            parts.append((key.name, lambda page, more: _cursor(page[-1]) if page else None))
        else:
            raise ValueError(f"not a page-info key: {key.kind}")

    def info(page: list[Row], more: bool, total: int | None, read: _Read) -> Any:
        return {name: value(page, more) for name, value in parts}

    return info
