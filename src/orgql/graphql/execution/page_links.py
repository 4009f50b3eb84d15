"""An organization's links read with its row by a page plan: its addresses (all, and the
default billing and shipping ones), roles, members and children pages, each a JSON column of
the row (a correlated subquery), and the composing code of the fields that read them, of
the shipping-method references, the logo URL and the values a site's rows give
(graphql.execution.page_compose's :class:`Composer` has these methods).

The subqueries are SQLAlchemy Core compiled once to the statement's text; the only values
they take are bound parameters (a children page's size and cursor). Lists come whole and in
the order the resolvers' loaders read them (core.organizations.repository: by id), which
bound nothing either (graphql.list_bounds declares their maxima for the cost).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    String,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.sql import ClauseElement

from orgql.core.common.addresses import ADDRESS_COLUMNS
from orgql.db import models
from orgql.graphql import global_ids

if TYPE_CHECKING:
    from orgql.graphql.execution.page_sql import Key

#: An address as a link holds it: a JSON array of these columns.
ADDRESS = ("id", "address_type", *ADDRESS_COLUMNS, "external_address_id")
ROLE = ("id", "function")
PROFILE = ("id", "first_name", "last_name", "email")
#: PostgreSQL's base dialect: no bind casts (``:x::VARCHAR``), since the text is parsed
#: again as a ``text()`` statement.
DIALECT = PGDialect(paramstyle="named")  # type: ignore[no-untyped-call]
#: The organization of the row (the page's and the chain's selects alias it ``o``).
OWNER: ColumnElement[str] = literal_column("o.id")


def sql_text(element: ClauseElement) -> str:
    return str(element.compile(dialect=DIALECT)).replace("\n", " ")


def json_array(table: Any, columns: tuple[str, ...]) -> ColumnElement[Any]:
    return func.json_build_array(*(table.c[c] for c in columns))


def _links() -> dict[str, str]:
    address = models.Address.__table__.alias("link_address")
    role = models.RelativeRole.__table__.alias("link_role")
    member = models.OrganizationMember.__table__.alias("link_member")
    profile = models.Profile.__table__.alias("link_profile")
    child = models.Organization.__table__.alias("link_child")

    def default(column: str) -> str:
        return sql_text(
            select(json_array(address, ADDRESS))
            .where(address.c.id == literal_column(f"o.{column}"))
            .scalar_subquery()
        )

    return {
        "addresses": sql_text(
            select(func.json_agg(aggregate_order_by(json_array(address, ADDRESS), address.c.id)))
            .where(address.c.organization_id == OWNER)
            .scalar_subquery()
        ),
        "billing_address": default("billing_address_id"),
        "shipping_address": default("shipping_address_id"),
        "roles": sql_text(
            select(func.json_agg(aggregate_order_by(json_array(role, ROLE), role.c.id)))
            .where(role.c.organization_id == OWNER)
            .scalar_subquery()
        ),
        "members": sql_text(
            select(func.json_agg(aggregate_order_by(json_array(profile, PROFILE), profile.c.id)))
            .select_from(member.join(profile, profile.c.id == member.c.profile_id))
            .where(member.c.organization_id == OWNER)
            .scalar_subquery()
        ),
        "child_count": sql_text(
            select(func.count())
            .select_from(child)
            .where(child.c.parent_id == OWNER)
            .scalar_subquery()
        ),
        "descendant_count": sql_text(
            select(func.count()).select_from(child).where(_below(child)).scalar_subquery()
        ),
    }


def _below(child: Any) -> ColumnElement[bool]:
    """``child`` is a descendant of the row's organization (the GIN-indexed path, as
    core.organizations.repository.descendant_conditions reads it)."""
    return child.c.path.contains(postgresql.array([OWNER]))  # type: ignore[no-any-return]


#: Link columns by name: the SQL of each (correlated to the row's organization, ``o``).
LINKS = _links()


def children_sql(parameter: str, columns: Sequence[str | None], descendants: bool = False) -> str:
    """A page of the row's children, or ``descendants`` (after the ``{parameter}_after``
    cursor, at most ``{parameter}_limit`` of them, by id): a JSON array of rows laid out as
    the page's, of the ``columns`` its nodes read (the others, the position and the links
    null: they are asked only for their own columns)."""
    child = models.Organization.__table__.alias("link_child")
    below = _below(child) if descendants else child.c.parent_id == OWNER
    return sql_text(page_of(parameter, columns, child, select_rows=lambda s: s.where(below)))


def page_of(
    parameter: str,
    columns: Sequence[str | None],
    table: Any,
    select_rows: Callable[[Any], Any],
) -> ColumnElement[Any]:
    """The JSON array of a page of ``table``'s rows (``columns``: the page's row, None
    where its nodes read nothing, its position and links null) that ``select_rows``
    selects, after the ``{parameter}_after`` cursor, at most ``{parameter}_limit`` of
    them, by id.

    The rows are selected behind a fence (``OFFSET 0``), then ordered and limited: without
    it the planner, which cannot tell how many descendants a correlated ``path @>`` admits,
    walked the primary key in id order for the first few that match (the whole table for
    an organization with few descendants: 50 ms each at 100,000 organizations) instead of
    reading them from the GIN index on ``path``, as the resolvers' reads do."""
    read = [c for c in columns if c is not None and c in table.c]
    after = cast(bindparam(f"{parameter}_after"), String)
    below = (
        select_rows(select(*(table.c[c] for c in read)))
        .where(or_(after.is_(None), table.c.id > after))
        .offset(literal_column("0"))
        .subquery("link_below")
    )
    values = [below.c[c] if c in read else null() for c in columns]
    page = (
        select(below.c.id.label("child_id"), func.json_build_array(*values).label("item"))
        .order_by(below.c.id)
        .limit(bindparam(f"{parameter}_limit"))
        .subquery("link_children")
    )
    aggregate = func.json_agg(aggregate_order_by(page.c.item, page.c.child_id))
    return select(aggregate).scalar_subquery()


class LinkComposer:
    """The composing code of links and site fields (mixed into page_compose.Composer)."""

    columns: list[str]
    site_params: list[str]
    hierarchy: bool
    #: Whether a logo URL is asked (its prefix is the request's: PageRows.links).
    logo: bool
    #: The parameters of the children (and descendants) pages asked: True for descendants.
    children: dict[str, bool]
    chain_columns: set[str]
    children_columns: dict[str, set[str]]
    _reading: set[str] | None
    above: int

    if TYPE_CHECKING:  # Composer's

        def column(self, column: str) -> int: ...
        def _function(self, prefix: str, parameters: str, lines: list[str]) -> str: ...
        def _derived(self, column: str, known: Collection[str] = ...) -> int: ...
        def _display(self, keys: tuple[Key, ...], count: str | None) -> str: ...
        def site_key(self, key: Key) -> str: ...

    def link(self, name: str) -> int:
        """The position of a link column in a row."""
        if name not in LINKS and name.removesuffix("_count") not in self.children:
            raise ValueError(f"not a link: {name!r}")
        if name not in self.columns:
            self.columns.append(name)
        if self.above:
            self.chain_columns.add(name)
        return self.columns.index(name)

    def link_key(self, key: Key) -> tuple[str, bool]:
        """The expression of a node's key, and whether it reads the derived values."""
        kind = key.kind
        if kind == "shipping_refs":
            ref = self._items(key.keys, {"id": 0}, "i", "ShippingMethodRef")
            if key.what == "own":
                return f"_refs(row[{self.column('shipping_methods')}], {ref})", False
            return (
                f"_refs(derived[{self._derived('shipping_methods', {'shipping_methods'})}], {ref})",
                True,
            )
        if kind == "logo_url":
            self.logo = True
            return f"_logo(read, row[{self.column('organization_logo')}])", False
        if kind == "address":
            address = self._address(key.keys)
            return f"_maybe(row[{self.link(key.what or '')}], {address})", False
        if kind == "derived_address":
            owner = f"owners[{self._derived(key.what or '', {key.what or ''})}]"
            link = self._owners_link(key.what or "")
            return f"_maybe(_owned(read, {owner}, {link}), {self._address(key.keys)})", True
        if kind == "derived_address_type":
            owner = f"owners[{self._derived(key.what or '', {key.what or ''})}]"
            link = self._owners_link(key.what or "")
            return f"_maybe(_owned(read, {owner}, {link}), _address_type)", True
        if kind == "addresses":
            pairs = []
            for item in key.keys:
                if item.kind == "const":
                    pairs.append(f"{item.name!r}: {item.what!r}")
                elif item.kind == "address_type":
                    pairs.append(f"{item.name!r}: a[1]")
                else:
                    pairs.append(f"{item.name!r}: {self._address(item.keys)}(a)")
            at = self.link("addresses")
            return f"[{{{', '.join(pairs)}}} for a in row[{at}] or ()]", False
        if kind == "roles":
            positions = {c: i for i, c in enumerate(ROLE)}
            role = self._items(key.keys, positions | {"global_id": "g"}, "r", "RelativeRole")
            return f"[{role}(r) for r in row[{self.link('roles')}] or ()]", False
        if kind == "members":
            positions = {c: i for i, c in enumerate(PROFILE)}
            profile = self._items(key.keys, positions | {"global_id": "g"}, "p", "Profile")
            return f"[{profile}(p) for p in row[{self.link('members')}] or ()]", False
        if kind == "children":
            return f"{self._children(key)}(row, read)", False
        if kind in ("own_value", "own_contract", "derived_contract", "site_properties"):
            return self.site_key(key), False
        raise ValueError(f"not a node key: {kind}")

    def _owners_link(self, column: str) -> int:
        """The address link of a derived address, read of the row of the organization that
        set it (an ancestor's too)."""
        name = column.removesuffix("_id")
        at = self.link(name)
        self.chain_columns.add(name)
        return at

    def _items(
        self, keys: tuple[Key, ...], positions: dict[str, int | str], name: str, node_type: str
    ) -> str:
        """A function composing an object of ``node_type`` from a JSON array (``positions``
        of its fields; "g": its global id, of the vendor id first in the array)."""
        pairs = []
        for key in keys:
            if key.kind == "const":
                pairs.append(f"{key.name!r}: {key.what!r}")
                continue
            at = positions.get(key.what or "")
            if at is None:
                raise ValueError(f"not a field of {node_type}: {key.what!r}")
            value = f"_node_id({node_type!r}, {name}[0])" if at == "g" else f"{name}[{at}]"
            pairs.append(f"{key.name!r}: {value}")
        return self._function(node_type.lower(), name, [f"return {{{', '.join(pairs)}}}"])

    def _address(self, keys: tuple[Key, ...]) -> str:
        positions: dict[str, int | str] = {c: i for i, c in enumerate(ADDRESS)}
        return self._items(keys, positions | {"global_id": "g"}, "a", "Address")

    def _children(self, key: Key) -> str:
        """The function composing a page of children (or descendants) from the row's link."""
        descendants = key.what == "descendants"
        self.children[key.param] = descendants
        at = self.link(key.param)
        count = None
        if any(k.kind == "total" for k in key.keys):
            count = f"row[{self.link(key.param + '_count' if descendants else 'child_count')}]"
        self._reading = set()
        display = self._display(key.keys, count)  # its nodes: only their own columns
        self.children_columns[key.param] = {"id", *self._reading}
        self._reading = None
        lines = [
            f"first = read.links[{key.param + '_limit'!r}] - 1",
            f"rows = row[{at}] or []",
            "page, more = rows[:first], len(rows) > first",
            f"return {display}",
        ]
        return self._function("children", "row, read", lines)


# -- what the functions call


def _refs(ids: list[str] | None, compose: Any) -> list[Any] | None:
    return None if ids is None else [compose([i]) for i in ids]


def _logo(read: Any, logo: str | None) -> str | None:
    return None if logo is None else f"{read.links['logo_prefix']}{logo}"


def _maybe(value: Any, compose: Any) -> Any:
    return None if value is None else compose(value)


def _owned(read: Any, owner: str | None, at: int) -> Any:
    """The link at ``at`` of the organization ``owner`` (the one that set a derived value)."""
    row = None if owner is None else read.by_id.get(owner)
    return None if row is None else row[at]


def _address_type(address: list[Any]) -> Any:
    return address[1]


def _node_id(type_name: str, vendor_id: str) -> str:
    """A Node's global id (graphql.global_ids: as its ``id`` field answers it)."""
    return global_ids.encode(type_name, vendor_id)


NAMESPACE = {
    "_refs": _refs,
    "_logo": _logo,
    "_maybe": _maybe,
    "_owned": _owned,
    "_address_type": _address_type,
    "_node_id": _node_id,
}
