"""A page of organizations, with its hierarchy, derived and effective per-site values, from
one statement (two with ``totalCount``): the GraphQL gateway's SQL plans.

A selection is described with :class:`Key` (the GraphQL layer translates its documents into
them) and compiled once into a :class:`PagePlan`: the statement that reads the rows it needs
and the functions that compose its JSON-ready answer from them
(:mod:`orgql.graphql.execution.page_compose`). The statement's rows are:

1. the page and every ancestor of its organizations, by the stored ``path``, with only the
   columns the selection names, and the links it names (addresses, roles, members,
   children and descendants pages, own values on every site: JSON columns of correlated
   subqueries, :mod:`page_links` and :mod:`page_sites`; of the ancestors, only those their
   selection or a derived address reads, the others null); a filtered page's condition is
   the core's (:mod:`page_filters`);
2. when the selection has effective per-site values, after them: the site rows of all those
   organizations on every site it names (and the default site when one is unnamed), with
   the contracts they name; and at least one row per such site that exists.

``totalCount`` is a second statement.

Derived and effective values follow :mod:`orgql.core.inheritance.rules` (DOMAIN.md, "Derived
values"), computed once per organization of the page and its chains
(:func:`inheritance.derive_forest`), so an ancestor shared by the whole page costs once (a page
of one, ``organization(id)``: :class:`inheritance.DerivedAlong`, of the organizations read).
``tests/graphql/test_sql_plans.py`` holds the answers to the resolvers'.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import count
from typing import Any, cast

from sqlalchemy import literal_column, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import TextClause

from orgql.core.inheritance import rules as inheritance
from orgql.core.organizations import membership
from orgql.db import models
from orgql.db.raw import RawReads
from orgql.graphql.execution import page_links
from orgql.graphql.execution.page_compose import Composer
from orgql.graphql.execution.page_filters import NAMED_SITE, Condition, Descendants
from orgql.graphql.execution.page_links import LINKS
from orgql.graphql.execution.page_rows import ID, PATH, POSITION, Derived, PageRows, Row
from orgql.graphql.execution.page_sites import SITE_CONTRACT, SITE_LINKS, contract_lateral


@dataclass(frozen=True)
class Key:
    """One key of a JSON object: ``kind`` says what its value is, ``what`` which one."""

    name: str
    #: "const" (a string: __typename), "column", "global_id" (the organization's id),
    #: "derived", "derived_sources",
    #: "derived_source", "parent", "ancestors",
    #: "effective", "value", "contract", "sources", "source", "cursor", "node", "edges",
    #: "page_info", "has_next", "end_cursor", "total"; the links (page_links):
    #: "shipping_refs", "ref", "logo_url", "address", "derived_address",
    #: "derived_address_type", "addresses", "address_type", "roles", "members",
    #: "children", "own_value", "own_contract", "derived_contract", "contract_object".
    kind: str
    what: str | None = None
    keys: tuple[Key, ...] = ()
    #: Site keys: the name of the site argument (its value null: the default site);
    #: "children": the name of the page's parameters.
    param: str = ""


#: Every statement of a page plan starts with this comment: it names them in PostgreSQL's
#: logs and statistics (and to the tests, which check that a plan answered).
MARK = "/* orgql page plan */ "
#: Page statements kept, of all plans (about 2 KB each), the least recently used
#: forgotten first: plans are many (GraphQL's cache holds 256 documents with up to 16 plans
#: each) and each may ask for 202 (page sizes 0-100, first page or not).
MAX_STATEMENTS = 512
_STATEMENTS: OrderedDict[tuple[Any, ...], TextClause] = OrderedDict()
_plans = count()
#: A shopper's page: the organizations their active profile is a member of, directly or
#: below a member organization whose roles apply to divisions (the core's rule,
#: core.organizations.membership.member_of, written into the statement with a ``:member``
#: parameter, on the organizations as ``o``).
_MEMBERS = str(
    membership.member_of(
        aliased(models.Organization, name="o"), literal_column("CAST(:member AS varchar)")
    ).compile(
        dialect=postgresql.dialect(paramstyle="named")  # type: ignore[no-untyped-call]
    )
).replace("\n", " ")
_TOTAL = text(MARK + "SELECT count(*) FROM organizations")
_MEMBERS_TOTAL = text(MARK + f"SELECT count(*) FROM organizations o WHERE {_MEMBERS}")


@lru_cache(maxsize=256)
def _counted(condition: str) -> TextClause:
    """The count of the organizations a filter's condition admits: one statement object per
    condition's SQL, so that db.raw compiles it once (it compiles per statement object)."""
    return text(MARK + f"SELECT count(*) FROM organizations WHERE id IN ({condition})")


class PagePlan:
    """The statement and composers of one selection (a connection's keys)."""

    def __init__(self, keys: tuple[Key, ...], single: bool = False) -> None:
        self.composer = composer = Composer(keys, single)
        self.columns = composer.columns
        self.site_columns = composer.site_columns
        self.contract_columns = composer.contract_columns
        #: The site arguments, in the order of the selection.
        self.site_params = composer.site_params
        #: The positions of the derived columns' own values in a row.
        self.derived_at = [composer.columns.index(c) for c in composer.derived_columns]
        self._serial = next(_plans)  # this plan's statements in _STATEMENTS

    def child_columns(self, parameter: str) -> list[str | None]:
        """The row layout of a children (or descendants) page's rows: the page's, None
        where its nodes read nothing."""
        read = self.composer.children_columns[parameter]
        return [c if c in read else None for c in self.columns]

    # -- reading

    async def read(
        self,
        connection: RawReads,
        first: int,
        after: str | None,
        sites: Mapping[str, str | None],
        member: str | None = None,
        organization_id: str | None = None,
        links: Mapping[str, Any] | None = None,
        condition: Condition | None = None,
        withholding: bool = False,
    ) -> dict[str, Any] | None:
        """The connection's answer (JSON-ready), or None when a site named in ``sites`` (a
        value per site argument; None: the default site) does not exist.

        ``member``: a shopper's page, the organizations this profile is a member of, as the
        shopper sees them (core.access.checks: an inactive one without its withheld values;
        the translation of the selection keeps their ancestors to id and name).
        ``organization_id``: only that organization (``organization(id)``: a page of it
        alone, or of none). ``links``: the children pages' parameters and the logo URLs'
        prefix (sql_plans.SqlPlan.parameters). ``condition``: a filter's (page_filters;
        a shopper's narrows the page to their memberships itself); ``withholding``: a
        shopper's page (``member`` or a condition of theirs)."""
        named = sorted({site for site in sites.values() if site is not None})
        parameters: dict[str, Any] = {} if after is None else {"after": after}
        if member is not None:
            parameters["member"] = member
        if organization_id is not None:
            parameters["id"] = organization_id
        if condition is not None:
            parameters.update(condition.parameters)
        links = dict(links or {})
        filtered: list[tuple[str, Descendants]] = []
        for child in self.composer.children:
            parameters[f"{child}_limit"] = links[f"{child}_limit"]
            parameters[f"{child}_after"] = links[f"{child}_after"]
            if (found := links.get(f"{child}_filtered")) is not None:
                filtered.append((child, found))
                parameters.update(found.parameters)
        default = any(sites.get(p) is None for p in self.site_params)
        parameters.update((f"{NAMED_SITE}{i}", site) for i, site in enumerate(named))
        statement = self.statement(
            first,
            after is not None,
            member is not None,
            organization_id is not None,
            None if condition is None else condition.sql,
            tuple(filtered),
            len(named),
            default,
        )
        rows = cast(list[Row], await connection.all(statement, parameters))
        by_id = {row[ID]: row for row in rows if row[ID] is not None}
        paths = {org_id: row[PATH] for org_id, row in by_id.items()}
        effective: dict[str, Mapping[str, Derived] | None] = {}
        contracts: dict[str, Row] = {}
        one = organization_id is not None  # a page of one: only its chain (DerivedAlong)
        derive = inheritance.DerivedAlong if one else inheritance.derive_forest
        if self.site_params and not self._effective_values(
            rows, paths, sites, named, effective, contracts, derive
        ):
            return None
        total = None
        if self.composer.total:
            if condition is not None:
                total = await connection.scalar(_counted(condition.sql), condition.parameters)
            elif member is None:
                total = await connection.scalar(_TOTAL)
            else:
                total = await connection.scalar(_MEMBERS_TOTAL, {"member": member})
        derived: Mapping[str, Derived] = {}
        if self.derived_at:
            derived = derive(paths, by_id, self.derived_at)
        read = PageRows(
            by_id,
            derived,
            effective,
            contracts,
            withholding=withholding or member is not None,
            links=links,
        )
        # From the rows, not by_id: an organization of the page may be another's ancestor.
        page = sorted((row for row in rows if row[POSITION] is not None), key=_position)
        return cast(
            dict[str, Any], self.composer.compose(page[:first], len(page) > first, total, read)
        )

    def _effective_values(
        self,
        rows: list[Row],
        paths: dict[str, Sequence[str]],
        sites: Mapping[str, str | None],
        named: list[str],
        effective: dict[str, Mapping[str, Derived] | None],
        contracts: dict[str, Row],
        derive: inheritance.Derivation,
    ) -> bool:
        """Fill ``effective`` (per site argument, by ``derive``) and ``contracts`` from the
        site rows of the statement; False when a named site does not exist."""
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
        derived_by_site: dict[str, Mapping[str, Derived]] = {}
        for param in self.site_params:
            named_site = sites.get(param)
            site = named_site if named_site is not None else default
            if site is None:
                effective[param] = None
                continue
            if site not in derived_by_site:
                derived_by_site[site] = derive(paths, own[site], positions)
            effective[param] = derived_by_site[site]
        return True

    def statement(
        self,
        first: int,
        after: bool,
        member: bool = False,
        by_id: bool = False,
        condition: str | None = None,
        filtered: tuple[tuple[str, Descendants], ...] = (),
        named_sites: int = 0,
        default_site: bool = True,
    ) -> TextClause:
        """The statement of a page of ``first`` organizations, after a cursor or not, of a
        shopper's memberships (``member``) or not, of one id (``by_id``) or not, of those a
        filter's ``condition`` admits (page_filters; its values bound) or all, with the
        ``filtered`` descendants pages' links (by the parameter of each), with effective
        values on ``named_sites`` sites (``:named_site_0``...) and on the default site or
        not.

        One statement per page size, first pages apart from pages after a cursor, made when
        first asked: with the size written in and no condition that depends on a parameter
        (``:after IS NULL OR ...``), PostgreSQL plans each prepared statement once (a
        generic plan) instead of at every execution; with a parameter it did not (0.25 of
        its 1.1 ms per page of 100). So are the sites of the site rows, each named one a
        parameter of its own: with whether the default site is read bound (``:default``),
        or the named ones an array, the generic plan counted on the rows of every site and
        cost more than a custom plan, which PostgreSQL then made at every execution (0.3 of
        the 1.0 ms of the page of 100 of the bench). They are kept in one LRU for all
        plans."""
        links = tuple((child, d.page, d.count) for child, d in filtered)
        sites = (named_sites, default_site) if self.site_params else ()
        key = (self._serial, first, after, member, by_id, condition, links, sites)
        statement = _STATEMENTS.get(key)
        if statement is None:
            sql = self._sql(
                first, after, member, by_id, condition, dict(filtered), named_sites, default_site
            )
            statement = _STATEMENTS[key] = text(MARK + sql)
            if len(_STATEMENTS) > MAX_STATEMENTS:
                _STATEMENTS.popitem(last=False)
        else:
            _STATEMENTS.move_to_end(key)
        return statement

    def _sql(
        self,
        first: int,
        after: bool,
        member: bool = False,
        by_id: bool = False,
        condition: str | None = None,
        filtered: Mapping[str, Descendants] | None = None,
        named_sites: int = 0,
        default_site: bool = True,
    ) -> str:
        """The statement: the page (its position set), its organizations' ancestors (no
        position), then, when it has effective values, the site rows of them all (the
        organization columns null), one row at least per site asked for."""

        def select(position: str, chain: bool = False) -> str:
            """The columns of the page's rows, or of the chain's (``chain``: the ancestors'
            id, path, derived columns and what their selections or a derived address read;
            the others null, not read for every ancestor: the page's descendants, members or
            columns, which the resolvers never read of an ancestor)."""
            values = []
            for c in self.columns:
                if c == "position":
                    values.append(position)
                elif chain and c not in ancestors:
                    values.append("NULL")
                else:
                    values.append(self._expression(c, filtered or {}))
            return ", ".join(values)

        ancestors = {"id", "path", *self.composer.derived_columns, *self.composer.chain_columns}

        conditions = ["o.id > CAST(:after AS varchar)"] if after else []
        if by_id:
            conditions.append("o.id = CAST(:id AS varchar)")
        if member:
            conditions.append(f"({_MEMBERS})")
        if condition is not None:
            conditions.append(f"o.id IN ({condition})")
        page = (
            f"SELECT {select('row_number() OVER (ORDER BY o.id)')} FROM organizations o"
            + (f" WHERE {' AND '.join(conditions)}" if conditions else "")
            + f" ORDER BY o.id LIMIT {int(first) + 1}"
        )
        if not self.composer.hierarchy:
            return page
        chain = (
            f"WITH page AS MATERIALIZED ({page}),"
            " chain AS MATERIALIZED (SELECT * FROM page UNION ALL"
            f" SELECT {select('NULL', chain=True)} FROM organizations o"
            " WHERE o.id = ANY(ARRAY(SELECT DISTINCT unnest(path) FROM page)))"
        )
        if not self.site_params:
            return chain + " SELECT * FROM chain"
        site_width = 3 + len(self.site_columns) + len(self.contract_columns)
        named = [f"CAST(:{NAMED_SITE}{i} AS varchar)" for i in range(named_sites)]
        which = [f"w.id IN ({', '.join(named)})"] if named else []
        if default_site:
            which.append("w.is_default")
        return (
            f"{chain} SELECT *{', NULL' * site_width} FROM chain UNION ALL"
            f" SELECT {', '.join(['NULL'] * len(self.columns))}, w.id, w.is_default,"
            " s.organization_id"
            + "".join(f", s.{c}" for c in self.site_columns)
            + "".join(f", {SITE_CONTRACT}.{c}" for c in self.contract_columns)
            + " FROM sites w LEFT JOIN site_organization_properties s"
            " ON s.site_id = w.id AND s.organization_id = ANY(ARRAY(SELECT id FROM chain))"
            + contract_lateral(self.contract_columns)
            + f" WHERE {' OR '.join(which) or 'false'}"
        )

    def _expression(self, column: str, filtered: Mapping[str, Descendants]) -> str:
        """A row's column: the organization's, or a link of it (page_links; a filtered
        descendants page's from its filter, page_filters)."""
        if column in LINKS:
            return LINKS[column]
        if column in SITE_LINKS:
            return SITE_LINKS[column]
        if column in filtered:
            return filtered[column].page
        if column in self.composer.children:
            descendants = self.composer.children[column]
            return page_links.children_sql(column, self.child_columns(column), descendants)
        counted = column.removesuffix("_count")
        if counted in filtered:
            return filtered[counted].count
        if counted in self.composer.children:
            return LINKS["descendant_count"]
        return f"o.{column}"


def _position(row: Row) -> int:
    return int(row[POSITION])
