"""Values of an organization on sites, as a page plan reads them: its own values and
contracts on a site (from the site rows of page_sql's statement, whose contracts come with
their catalog, price list group and terms), and its own values on every site
(``siteOrganizationProperties``: a JSON column of the row, page_links' way, each with its
site and its contract). :class:`SiteComposer` is mixed into page_compose.Composer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, null, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from orgql.core.inheritance.fields import SITE_COLUMNS, Wire, site_field
from orgql.db import models
from orgql.graphql import global_ids
from orgql.graphql.execution.page_links import OWNER, sql_text

if TYPE_CHECKING:
    from orgql.graphql.execution.page_sql import Key

#: Contract columns (page_compose.CONTRACT_COLUMNS) in the site rows' joins.
CONTRACT_SQL = {
    "id": "c.id",
    "display_name": "c.display_name",
    "description": "c.description",
    "external_contract_reference": "c.external_contract_reference",
    "start_date": "c.start_date",
    "end_date": "c.end_date",
    "creation_date": "c.creation_date",
    "catalog_id": "c.catalog_id",
    "catalog_name": "k.display_name",
    "price_list_group_id": "c.price_list_group_id",
    "price_list_group_name": "g.display_name",
    "terms_id": "c.terms_id",
    "terms": "t.terms",
}
#: The joins of the contract's catalog, price list group and terms, by alias (each only when
#: a column of theirs is read).
CONTRACT_JOINS = {
    "k": " LEFT JOIN catalogs k ON k.id = c.catalog_id",
    "g": " LEFT JOIN price_list_groups g ON g.id = c.price_list_group_id",
    "t": " LEFT JOIN contract_terms t ON t.id = c.terms_id",
}
#: The alias of the contract's columns in a site row's select (:func:`contract_lateral`).
SITE_CONTRACT = "sc"


def contract_lateral(columns: list[str]) -> str:
    """The join reading the contract ``columns`` of a site row ``s`` (none without
    columns), as ``sc.<column>``.

    A lateral subquery behind a fence (``OFFSET 0``): one lookup by primary key per site
    row. Joined plainly, the generic plan of a prepared page statement (which cannot tell
    how many site rows the site parameters select) hash-joined the whole contracts table at
    every execution: half of the PostgreSQL CPU of ``organization(id)`` with 1,600
    contracts (0.26 of 0.52 ms)."""
    if not columns:
        return ""
    aliases = {CONTRACT_SQL[c].split(".")[0] for c in columns}
    joins = "".join(join for alias, join in CONTRACT_JOINS.items() if alias in aliases)
    values = ", ".join(f"{CONTRACT_SQL[c]} AS {c}" for c in columns)
    return (
        f" LEFT JOIN LATERAL (SELECT {values} FROM contracts c{joins}"
        f" WHERE c.id = s.contract_id OFFSET 0) {SITE_CONTRACT} ON true"
    )


#: A contract embedded in a JSON column: its columns but the dates (JSON writes them in the
#: session's time zone, the resolvers in Python's isoformat).
EMBEDDED_CONTRACT = tuple(c for c in CONTRACT_SQL if not c.endswith("_date"))
#: An own row of siteOrganizationProperties: its site columns, its site's, the contract.
SITE_ROW = ("site_id", *SITE_COLUMNS)
SITE = ("name", "production_url", "enabled", "b2b", "is_default")


def _site_properties_sql() -> str:
    own = models.SiteOrganizationProperties.__table__.alias("link_own")
    site = models.Site.__table__.alias("link_site")
    contract = models.Contract.__table__.alias("link_contract")
    catalog = models.Catalog.__table__.alias("link_catalog")
    group = models.PriceListGroup.__table__.alias("link_group")
    terms = models.ContractTerms.__table__.alias("link_terms")
    tables = {"c": contract, "k": catalog, "g": group, "t": terms}
    contract_values = []
    for column in EMBEDDED_CONTRACT:
        table, name = CONTRACT_SQL[column].split(".")
        contract_values.append(tables[table].c[name])
    item = func.json_build_array(
        *(own.c[c] for c in SITE_ROW),
        *(site.c[c] for c in SITE),
        case((contract.c.id.is_(None), null()), else_=func.json_build_array(*contract_values)),
    )
    joined = (
        own.join(site, site.c.id == own.c.site_id)
        .outerjoin(contract, contract.c.id == own.c.contract_id)
        .outerjoin(catalog, catalog.c.id == contract.c.catalog_id)
        .outerjoin(group, group.c.id == contract.c.price_list_group_id)
        .outerjoin(terms, terms.c.id == contract.c.terms_id)
    )
    aggregate = func.json_agg(aggregate_order_by(item, own.c.site_id))
    return sql_text(
        select(aggregate)
        .select_from(joined)
        .where(own.c.organization_id == OWNER)
        .scalar_subquery()
    )


#: Link columns of site values by name (page_links.LINKS's kind).
SITE_LINKS = {"site_properties": _site_properties_sql()}


def _embedded(column: str) -> int:
    if column not in EMBEDDED_CONTRACT:
        raise ValueError(f"not an embedded contract column: {column!r}")
    return EMBEDDED_CONTRACT.index(column)


class SiteComposer:
    """The composing code of site values (mixed into page_compose.Composer)."""

    columns: list[str]
    site_params: list[str]
    hierarchy: bool
    chain_columns: set[str]
    above: int

    if TYPE_CHECKING:  # Composer's

        def column(self, column: str) -> int: ...
        def _function(self, prefix: str, parameters: str, lines: list[str]) -> str: ...
        def _site(self, column: str) -> int: ...
        def _contract(self, column: str) -> int: ...
        def _withheld(self, column: str | None, value: str) -> str: ...

    def contract_function(self, keys: tuple[Key, ...], embedded: bool = False) -> str:
        """A function composing a contract from its row (page_compose.CONTRACT_COLUMNS), or
        from a JSON array of EMBEDDED_CONTRACT (``embedded``: no dates)."""
        position = _embedded if embedded else self._contract
        pairs = []
        for key in keys:
            if key.kind == "const":
                pairs.append(f"{key.name!r}: {key.what!r}")
            elif key.kind == "column":
                pairs.append(f"{key.name!r}: {self._contract_value(key.what or '', position)}")
            elif key.kind == "global_id":
                pairs.append(f"{key.name!r}: _node_id('Contract', contract[{position('id')}])")
            elif key.kind == "contract_object":
                inner = ", ".join(
                    f"{k.name!r}: {self._contract_object_value(key.what or '', k, position)}"
                    for k in key.keys
                )
                value = f"{{{inner}}}"
                if key.what == "terms":  # none when the contract has no terms
                    value = f"None if not contract[{position('terms_id')}] else {value}"
                pairs.append(f"{key.name!r}: {value}")
            else:
                raise ValueError(f"not a contract key: {key.kind}")
        return self._function("contract", "contract", [f"return {{{', '.join(pairs)}}}"])

    @staticmethod
    def _contract_object_value(name: str, key: Key, position: Callable[[str], int]) -> str:
        """A field of the contract's catalog, price list group or terms."""
        if key.kind == "const":
            return repr(key.what)
        value = f"contract[{position(key.what or '')}]"
        if key.kind == "global_id":  # a Catalog's or PriceListGroup's
            node_type = {"catalog": "Catalog", "priceListGroup": "PriceListGroup"}[name]
            return f"_node_id({node_type!r}, {value})"
        return value

    @staticmethod
    def _contract_value(column: str, position: Callable[[str], int]) -> str:
        value = f"contract[{position(column)}]"
        if column in ("start_date", "end_date", "creation_date"):
            return f"_iso({value})"
        return value

    def site_key(self, key: Key) -> str:
        """An own value, own contract or contract in effect on the key's site, or the own
        values on every site."""
        if key.kind == "site_properties":
            return self._site_properties(key)
        self.hierarchy = True
        if key.param not in self.site_params:
            self.site_params.append(key.param)
        if key.kind == "own_value":
            column = key.what or ""
            value = f"_own(read, {key.param!r}, row, {self._site(column)})"
            if site_field(column).wire is Wire.DECIMAL:  # the resolvers' float
                value = f"_float({value})"
            return self._withheld(column, value)
        at = self._site("contract_id")
        self._contract("id")
        compose = self.contract_function(key.keys)
        if key.kind == "own_contract":
            contract_id = f"_own(read, {key.param!r}, row, {at})"
        else:
            contract_id = f"_effective_value(read, {key.param!r}, row, {at})"
        return self._withheld("contract_id", f"_contract(read, {contract_id}, {compose})")

    def _site_properties(self, key: Key) -> str:
        """The own values on every site (or the one named: ``key.param``), by site id."""
        if "site_properties" not in self.columns:
            self.columns.append("site_properties")
        if self.above:
            self.chain_columns.add("site_properties")
        at = self.columns.index("site_properties")
        pairs = []
        for item in key.keys:
            if item.kind == "const":
                value = repr(item.what)
            elif item.kind == "null":
                value = "None"
            elif item.kind == "value":
                column = item.what or ""
                value = f"s[{SITE_ROW.index(column)}]"
                if site_field(column).wire is Wire.DECIMAL:
                    value = f"_float({value})"
            elif item.kind == "site":
                value = self._site_object(item.keys)
            elif item.kind == "contract":
                compose = self.contract_function(item.keys, embedded=True)
                contract = f"s[{len(SITE_ROW) + len(SITE)}]"
                value = f"None if withhold or {contract} is None else {compose}({contract})"
            else:
                raise ValueError(f"not a site properties key: {item.kind}")
            pairs.append(f"{item.name!r}: {value}")
        lines = [
            f"site = read.links[{key.param!r}]",
            f"withhold = read.withholding and not row[{self.column('active')}]",
            f"return [{{{', '.join(pairs)}}} for s in row[{at}] or ()"
            " if site is None or s[0] == site]",
        ]
        return f"{self._function('site_properties', 'row, read', lines)}(row, read)"

    @staticmethod
    def _site_object(keys: tuple[Key, ...]) -> str:
        pairs = []
        for key in keys:
            if key.kind == "const":
                value = repr(key.what)
            elif key.what == "global_id":
                value = "_site_id(s[0])"
            elif key.what == "id":
                value = "s[0]"
            else:
                value = f"s[{len(SITE_ROW) + SITE.index(key.what or '')}]"
            pairs.append(f"{key.name!r}: {value}")
        return f"{{{', '.join(pairs)}}}"


# -- what the functions call


def _iso(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())


def _own(read: Any, param: str, row: Any, at: int) -> Any:
    """The organization's own value on the site: the one in effect when it set it."""
    site = read.effective[param]
    if site is None:
        return None
    values, owners = site[row[0]]
    return values[at] if owners[at] == row[0] else None


def _effective_value(read: Any, param: str, row: Any, at: int) -> Any:
    site = read.effective[param]
    return None if site is None else site[row[0]][0][at]


def _contract(read: Any, contract_id: str | None, compose: Any) -> Any:
    if contract_id is None:
        return None
    contract = read.contracts.get(contract_id)
    return None if contract is None else compose(contract)


def _site_id(site_id: str) -> str:
    return global_ids.encode("Site", site_id)


SITE_NAMESPACE = {
    "_iso": _iso,
    "_own": _own,
    "_effective_value": _effective_value,
    "_contract": _contract,
    "_site_id": _site_id,
}
