"""Composing a page's answer from its rows (graphql.execution.page_sql): the functions of one
selection, written once as Python source and compiled.

A page of 100 organizations with their parents, ancestors, derived and effective values is
about 3,000 keys. Calling a function per key (a closure per :class:`Key`) cost more than
reading the rows; a dictionary display per object, whose values are plain subscripts of the
row, of its derived values or of its effective values, costs a few hundredths of that. For a
page of organizations with ``id``, a derived description and their parents' names, the
source reads (``Composer.source``)::

    def connection(page, more, total, read):
        return {'edges': [{'node': node_0(row, read)} for row in page]}

    def node_0(row, read):
        derived, owners = read.derived[row[0]]
        return {'id': row[0], 'derivedDescription': derived[0],
                'parentOrganization': _parent(row, read, node_1, 1)}

    def node_1(row, read):
        return {'name': row[3]}

Every text in it is either written here or a ``repr`` (keys, constants); every number is a
position. What a function reads and calls at each request: :mod:`page_rows`.
"""

from __future__ import annotations

from collections.abc import Collection
from itertools import count
from typing import TYPE_CHECKING, Any

from orgql.core.access.checks import WITHHELD_WHEN_INACTIVE
from orgql.core.inheritance.fields import ORGANIZATION_FIELDS, SITE_COLUMNS, Wire, site_field
from orgql.graphql.execution.page_links import NAMESPACE, LinkComposer
from orgql.graphql.execution.page_rows import PATH, ROWS_NAMESPACE
from orgql.graphql.execution.page_sites import CONTRACT_SQL, SITE_NAMESPACE, SiteComposer

if TYPE_CHECKING:
    from orgql.graphql.execution.page_sql import Key

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
        "dynamic_properties",
        "roles_apply_to_divisions",
    }
)
#: Columns of the row that no field answers as they are (references, read by links).
_REFERENCES = frozenset({"shipping_methods"})
#: Derived (inherited) columns a node may ask the value of: those answered as stored (not the
#: address and shipping-method references); and those it may ask the source of: all.
DERIVED = frozenset(f.column for f in ORGANIZATION_FIELDS if f.wire.plain)
SOURCED = frozenset(f.column for f in ORGANIZATION_FIELDS)
CONTRACT_COLUMNS = frozenset(CONTRACT_SQL)


class Composer(LinkComposer, SiteComposer):
    """The composing functions of one selection, and what they read: the organization,
    derived, site and contract columns, the links (page_links), the site arguments, whether
    the count is asked and whether anything needs the ancestors."""

    def __init__(self, keys: tuple[Key, ...], single: bool = False) -> None:
        #: A page of one organization (``organization(id)``).
        self.single = single
        #: A row is (id, path, position on the page or null for an ancestor, *the rest).
        self.columns: list[str] = ["id", "path", "position"]
        self.derived_columns: list[str] = []
        self.site_columns: list[str] = []
        self.contract_columns: list[str] = []
        self.site_params: list[str] = []
        self.total = False
        self.hierarchy = False
        self.logo = False
        self.children: dict[str, bool] = {}
        #: The columns and links read of an ancestor's row (its selection's, a derived
        #: address's owner), besides its id, path and derived columns: the others are read
        #: of the page's rows only (page_sql: null in the chain's).
        self.chain_columns: set[str] = set()
        #: Per children (or descendants) page: the columns its nodes read (page_sql: the
        #: others null in its rows).
        self.children_columns: dict[str, set[str]] = {}
        self._reading: set[str] | None = None  # the columns a children page's nodes read
        self.above = 0  # how many ancestors' selections deep the translation is
        self._names = count()
        self._functions: list[str] = []
        self._connection(keys)
        for column in self.derived_columns:  # a derived value starts as the own column
            _position(self.columns, column, SOURCED)
        #: The source of the functions (for reading; the tests print it on a failure).
        self.source = "\n\n".join(self._functions)
        namespace: dict[str, Any] = {**ROWS_NAMESPACE, **NAMESPACE, **SITE_NAMESPACE}
        exec(compile(self.source, "<orgql page plan>", "exec"), namespace)  # noqa: S102
        self.compose = namespace["connection"]

    # -- what the statement reads

    def column(self, column: str) -> int:
        """The position of an organization column in a row (noted as read of an ancestor's
        row, or of a child's, when the translation is in their selection)."""
        if self.above:
            self.chain_columns.add(column)
        if self._reading is not None:
            self._reading.add(column)
        return _position(self.columns, column, COLUMNS | _REFERENCES)

    def _derived(self, column: str, known: Collection[str] = DERIVED) -> int:
        return _position(self.derived_columns, column, known)

    def _site(self, column: str) -> int:
        return _position(self.site_columns, column, SITE_COLUMNS)

    def _contract(self, column: str) -> int:
        """The position in a contract row, which starts with the contract's id."""
        _position(self.contract_columns, "id", CONTRACT_COLUMNS)
        return _position(self.contract_columns, column, CONTRACT_COLUMNS)

    # -- the functions

    def _function(self, prefix: str, parameters: str, lines: list[str]) -> str:
        name = f"{prefix}_{next(self._names)}"
        body = "".join(f"    {line}\n" for line in lines)
        self._functions.append(f"def {name}({parameters}):\n{body}")
        return name

    def _connection(self, keys: tuple[Key, ...]) -> None:
        display = self._display(keys, None)
        self._functions.append(f"def connection(page, more, total, read):\n    return {display}\n")

    def _display(self, keys: tuple[Key, ...], count: str | None) -> str:
        """A connection's object, from ``page``, ``more``, ``read`` and the count: ``count``,
        else the page's (a second statement: ``total``)."""
        pairs: list[tuple[str, str]] = []
        for key in keys:
            if key.kind == "const":
                pairs.append((key.name, repr(key.what)))
            elif key.kind == "total":
                if count is None:
                    self.total = True
                pairs.append((key.name, count or "total"))
            elif key.kind == "page_info":
                pairs.append((key.name, _object(_page_info(item) for item in key.keys)))
            elif key.kind == "edges":
                edge = _object(self._edge(item) for item in key.keys)
                pairs.append((key.name, f"[{edge} for row in page]"))
            else:
                raise ValueError(f"not a connection key: {key.kind}")
        return _object(pairs)

    def _edge(self, key: Key) -> tuple[str, str]:
        if key.kind == "const":
            return key.name, repr(key.what)
        if key.kind == "cursor":
            return key.name, "_cursor(row)"
        if key.kind == "node":
            return key.name, f"{self._node(key.keys)}(row, read)"
        raise ValueError(f"not an edge key: {key.kind}")

    def _node(self, keys: tuple[Key, ...]) -> str:
        """The function composing an organization's object from its row."""
        pairs: list[tuple[str, str]] = []
        derived = False
        for key in keys:
            if key.kind == "const":
                pairs.append((key.name, repr(key.what)))
            elif key.kind == "column":
                value = f"row[{self.column(key.what or '')}]"
                if key.what == "dynamic_properties":
                    value = f"dict({value} or {{}})"
                pairs.append((key.name, self._withheld(key.what, value)))
            elif key.kind == "global_id":
                pairs.append((key.name, "_global_id(row[0])"))
            elif key.kind == "derived":
                derived = self.hierarchy = True
                value = f"derived[{self._derived(key.what or '')}]"
                pairs.append((key.name, self._withheld(key.what, value)))
            elif key.kind == "derived_sources":
                derived = self.hierarchy = True
                pairs.append((key.name, _object(self._derived_source(k) for k in key.keys)))
            elif key.kind in ("parent", "ancestors"):
                self.hierarchy = True
                self.above += 1
                node = self._node(key.keys)
                self.above -= 1
                pairs.append((key.name, self._above(key.kind, node)))
            elif key.kind == "effective":
                self.hierarchy = True
                pairs.append((key.name, f"{self._effective(key)}(row, read)"))
            else:
                value, reads_derived = self.link_key(key)
                derived = derived or reads_derived
                self.hierarchy = self.hierarchy or reads_derived
                pairs.append((key.name, value))
        lines = ["derived, owners = read.derived[row[0]]"] if derived else []
        return self._function("node", "row, read", [*lines, f"return {_object(pairs)}"])

    def _above(self, kind: str, node: str) -> str:
        """The parent, or the ancestors (root first), composed by ``node``: once per request
        and selection (_parent, _ancestors: the organizations of a page share most of them),
        but for the organization of a page of one (``single``), whose ancestors are each
        composed once anyway: without the cache's keys and chains (issue 16: a thirtieth of
        ``organization(id)`` at depth 15)."""
        if kind == "ancestors" and self.single and not self.above:
            return f"[{node}(a, read) for a in map(read.by_id.get, row[{PATH}]) if a is not None]"
        helper = "_parent" if kind == "parent" else "_ancestors"
        return f"{helper}(row, read, {node}, {next(self._names)})"

    def _derived_source(self, key: Key) -> tuple[str, str]:
        """Which organization set a derived value (``owners``: derive_forest's ids)."""
        if key.kind == "const":
            return key.name, repr(key.what)
        assert key.kind == "derived_source"
        value = f"owners[{self._derived(key.what or '', SOURCED)}]"
        return key.name, self._withheld(key.what, value)

    def _effective(self, key: Key) -> str:
        """The function composing the values in effect on the key's site."""
        if key.param not in self.site_params:
            self.site_params.append(key.param)
        pairs: list[tuple[str, str]] = []
        contract = False
        for item in key.keys:
            if item.kind == "const":
                pairs.append((item.name, repr(item.what)))
            elif item.kind == "value":
                value = f"values[{self._site(item.what or '')}]"
                if site_field(item.what or "").wire is Wire.DECIMAL:  # the resolvers' float
                    value = f"_float({value})"
                pairs.append((item.name, value))
            elif item.kind == "contract":
                contract = True
                compose = self.contract_function(item.keys)
                pairs.append((item.name, f"None if contract is None else {compose}(contract)"))
            elif item.kind == "sources":
                pairs.append((item.name, _object(self._source_key(s) for s in item.keys)))
            else:
                raise ValueError(f"not an effective key: {item.kind}")
        lines = [
            f"site = read.effective[{key.param!r}]",
            "if site is None:",
            "    return None",
            "values, owners = site[row[0]]",
        ]
        if contract:
            self._site("contract_id")
        withheld = tuple(i for i, c in enumerate(self.site_columns) if c in WITHHELD_WHEN_INACTIVE)
        if withheld:
            lines += [
                f"if read.withholding and not row[{self.column('active')}]:",
                f"    values, owners = _withhold(values, owners, {withheld!r})",
            ]
        if contract:
            at = self._site("contract_id")
            self._contract("id")
            lines.append(
                f"contract = None if values[{at}] is None else read.contracts.get(values[{at}])"
            )
        return self._function("effective", "row, read", [*lines, f"return {_object(pairs)}"])

    def _withheld(self, column: str | None, value: str) -> str:
        """``value``, or null on a shopper's page for an inactive organization when
        ``column`` is withheld from them (PageRows.withholding)."""
        if column not in WITHHELD_WHEN_INACTIVE:
            return value
        return f"(None if read.withholding and not row[{self.column('active')}] else {value})"

    def _source_key(self, key: Key) -> tuple[str, str]:
        """Which organization set a value (``owners``: derive_forest's ids)."""
        if key.kind == "const":
            return key.name, repr(key.what)
        assert key.kind == "source"
        return key.name, f"owners[{self._site(key.what or '')}]"


def _position(columns: list[str], column: str, known: Collection[str]) -> int:
    """The position of ``column`` in ``columns``, appended when new. Column names go into
    the statement's text: only those ``known`` lists."""
    if column not in known:
        raise ValueError(f"not a column a page reads: {column!r}")
    if column not in columns:
        columns.append(column)
    return columns.index(column)


def _page_info(key: Key) -> tuple[str, str]:
    if key.kind == "const":
        return key.name, repr(key.what)
    if key.kind == "has_next":
        return key.name, "more"
    if key.kind == "end_cursor":
        return key.name, "_cursor(page[-1]) if page else None"
    raise ValueError(f"not a page-info key: {key.kind}")


def _object(pairs: Any) -> str:
    """A dictionary display of (key, expression) pairs, in their order."""
    return "{" + ", ".join(f"{name!r}: {value}" for name, value in pairs) + "}"
