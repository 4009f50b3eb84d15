"""A page of organizations written as JSON by PostgreSQL: one statement for the page, its
hierarchy, derived and effective per-site values (the GraphQL gateway's SQL plans).

The rules are those of :mod:`orgql.core.inheritance` (DOMAIN.md, "Derived values"), in SQL as
in :mod:`orgql.core.effective_filter`: a derived column is the organization's own value when
not null, else the nearest ancestor's along the stored ``path`` (root first, parent last);
a per-site value the same within one site, each column on its own, with the id of the
organization that set it. ``tests/graphql/test_sql_plans.py`` holds the SQL to the resolvers'
answers.

A selection is described with the small classes below (the GraphQL layer translates its
documents into them); :func:`page_statement` writes the statement, whose one row holds
whether every named site exists and the connection's JSON text. Keys come out in the
selection's order; ``orderPriceLimit`` is written as Python writes the float of the stored
decimal (``2500.0``, ``1234.5``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
#: json_build_object takes at most 100 arguments.
MAX_KEYS = 50


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
    #: "effective": the bind parameter naming the site (null: the default site).
    site_param: str = ""


@dataclass
class _Writer:
    depth: int = 0
    sites: list[str] = field(default_factory=list)


def _object(pairs: list[tuple[str, str]]) -> str:
    if len(pairs) > MAX_KEYS:
        raise ValueError("too many keys for one json_build_object")
    if not pairs:
        return "json_build_object()"
    return "json_build_object(" + ", ".join(f"{_text(k)}, {v}" for k, v in pairs) + ")"


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _cursor(column: str) -> str:
    # repository.encode_cursor: urlsafe base64 of "org:<id>" (PostgreSQL's base64 wraps
    # lines at 76 characters: the newlines go).
    return f"translate(encode(convert_to('org:' || {column}, 'UTF8'), 'base64'), E'+/\\n', '-_')"


def _price(value: str) -> str:
    """The JSON of a stored decimal as Python writes ``float(value)``: integral floats with
    ``.0``; the rest in the shortest exact form, which PostgreSQL's float8 output shares for
    numeric(19, 4) values (no exponents below 1e15)."""
    f = f"({value})::float8"
    return (
        f"CASE WHEN {value} IS NULL THEN NULL WHEN {f} = trunc({f})"
        f" THEN (trunc({f})::numeric::text || '.0')::json ELSE ({f})::text::json END"
    )


def _node(alias: str, keys: tuple[Key, ...], writer: _Writer) -> str:
    """The JSON object of the organization row ``alias``. Its derived values, ancestors and
    parent come from one walk of its chain (``path``: root first, so the larger the
    position, the nearer), each a filtered aggregate over the walk's rows ``o<depth>``."""
    pairs: list[tuple[str, str]] = []
    writer.depth += 1
    depth = writer.depth
    row = f"o{depth}"  # an ancestor in the walk
    walked: list[str] = []  # the walk's aggregates, named w<depth>_<i>

    def walk(aggregate: str) -> str:
        walked.append(f"{aggregate} AS w{depth}_{len(walked)}")
        return f"d{depth}.w{depth}_{len(walked) - 1}"

    for key in keys:
        if key.kind == "const":
            pairs.append((key.name, _text(key.what or "")))
        elif key.kind == "column":
            pairs.append((key.name, f"{alias}.{key.what}"))
        elif key.kind == "derived" and key.what == "payment_methods":
            # An array: array_agg cannot collect arrays of different lengths.
            pairs.append(
                (
                    key.name,
                    f"COALESCE({alias}.payment_methods, (SELECT a.payment_methods"
                    f" FROM unnest({alias}.path)"
                    f" WITH ORDINALITY t(id, n) JOIN organizations a ON a.id = t.id"
                    " WHERE a.payment_methods IS NOT NULL ORDER BY t.n DESC LIMIT 1))",
                )
            )
        elif key.kind == "derived":
            column = key.what or ""
            nearest = walk(
                f"(array_agg({row}.{column} ORDER BY t{depth}.n DESC)"
                f" FILTER (WHERE {row}.{column} IS NOT NULL))[1]"
            )
            pairs.append((key.name, f"COALESCE({alias}.{column}, {nearest})"))
        elif key.kind == "parent":
            # The chain's nearest, when it is the parent (inheritance.chain_of's chain[1]).
            node = _node(row, key.keys, writer)
            pairs.append(
                (
                    key.name,
                    walk(
                        f"(array_agg({node} ORDER BY t{depth}.n DESC)"
                        f" FILTER (WHERE {row}.id = {alias}.parent_id))[1]"
                    ),
                )
            )
        elif key.kind == "ancestors":
            node = _node(row, key.keys, writer)
            ancestors = walk(f"json_agg({node} ORDER BY t{depth}.n)")
            pairs.append((key.name, f"COALESCE({ancestors}, '[]'::json)"))
        elif key.kind == "effective":
            pairs.append((key.name, _effective(alias, key, writer)))
        else:
            raise ValueError(f"not a node key: {key.kind}")
    if not walked:
        return _object(pairs)
    return (
        f"(SELECT {_object(pairs)} FROM (SELECT {', '.join(walked)} FROM unnest({alias}.path)"
        f" WITH ORDINALITY t{depth}(id, n) JOIN organizations {row} ON {row}.id = t{depth}.id)"
        f" d{depth})"
    )


def _effective(alias: str, key: Key, writer: _Writer) -> str:
    """The values in effect on the site for the organization ``alias``: one walk of its
    chain (itself last: the larger the position, the nearer) over its rows on the site,
    each column's first non-null value and its owner taken by a filtered aggregate."""
    writer.depth += 1
    depth = writer.depth
    site = (
        f"COALESCE(CAST(:{key.site_param} AS varchar),"
        " (SELECT id FROM sites WHERE is_default LIMIT 1))"
    )
    writer.sites.append(key.site_param)
    wanted: list[str] = []

    def probe(column: str) -> str:
        if column not in wanted:
            wanted.append(column)
        return f"e{depth}.{column}"

    pairs: list[tuple[str, str]] = []
    for item in key.keys:
        if item.kind == "const":
            pairs.append((item.name, _text(item.what or "")))
        elif item.kind == "value":
            assert item.what in SITE_COLUMNS
            value = probe(item.what)
            pairs.append((item.name, _price(value) if item.what == "order_price_limit" else value))
        elif item.kind == "contract":
            contract = _contract(item.keys)
            pairs.append(
                (
                    item.name,
                    f"(SELECT {contract} FROM contracts c WHERE c.id = {probe('contract_id')})",
                )
            )
        elif item.kind == "sources":
            sources: list[tuple[str, str]] = []
            for source in item.keys:
                if source.kind == "const":
                    sources.append((source.name, _text(source.what or "")))
                else:
                    assert source.kind == "source"
                    assert source.what in SITE_COLUMNS
                    sources.append((source.name, f"{probe(source.what)}_src"))
            pairs.append((item.name, _object(sources)))
        else:
            raise ValueError(f"not an effective key: {item.kind}")
    aggregates = ", ".join(
        f"(array_agg(s.{c} ORDER BY t.n DESC) FILTER (WHERE s.{c} IS NOT NULL))[1] AS {c},"
        f" (array_agg(s.organization_id ORDER BY t.n DESC) FILTER (WHERE s.{c} IS NOT NULL))[1]"
        f" AS {c}_src"
        for c in wanted
    )
    walk = (
        f" CROSS JOIN LATERAL (SELECT {aggregates}"
        f" FROM unnest(array_append({alias}.path, {alias}.id))"
        f" WITH ORDINALITY t(id, n) JOIN site_organization_properties s"
        f" ON s.organization_id = t.id AND s.site_id = st{depth}.id) e{depth}"
        if wanted
        else ""
    )
    return (
        f"(SELECT CASE WHEN st{depth}.id IS NULL THEN NULL ELSE {_object(pairs)} END"
        f" FROM (SELECT {site} AS id) st{depth}{walk})"
    )


def _contract(keys: tuple[Key, ...]) -> str:
    pairs: list[tuple[str, str]] = []
    for key in keys:
        if key.kind == "const":
            pairs.append((key.name, _text(key.what or "")))
        else:
            assert key.kind == "column"
            assert key.what in CONTRACT_COLUMNS
            pairs.append((key.name, f"c.{key.what}"))
    return _object(pairs)


def page_statement(keys: tuple[Key, ...]) -> tuple[str, tuple[str, ...]]:
    """The statement answering a connection of organizations ordered by id, with the bind
    parameters ``after`` (an id or null), ``first`` and ``sites`` (every site named, whose
    existence the first column reports), and the names of the site parameters. ``keys``
    are the connection's keys ("edges", "page_info", "total", "const")."""
    writer = _Writer()
    pairs: list[tuple[str, str]] = []
    for key in keys:
        if key.kind == "const":
            pairs.append((key.name, _text(key.what or "")))
        elif key.kind == "total":
            pairs.append((key.name, "(SELECT count(*) FROM organizations)"))
        elif key.kind == "page_info":
            info: list[tuple[str, str]] = []
            for item in key.keys:
                if item.kind == "const":
                    info.append((item.name, _text(item.what or "")))
                elif item.kind == "has_next":
                    info.append(
                        (item.name, "(SELECT count(*) FROM page) > CAST(:first AS integer)")
                    )
                else:
                    assert item.kind == "end_cursor"
                    info.append((item.name, f"(SELECT {_cursor('max(id)')} FROM shown)"))
            pairs.append((key.name, _object(info)))
        elif key.kind == "edges":
            edge: list[tuple[str, str]] = []
            for item in key.keys:
                if item.kind == "const":
                    edge.append((item.name, _text(item.what or "")))
                elif item.kind == "cursor":
                    edge.append((item.name, _cursor("o0.id")))
                else:
                    assert item.kind == "node"
                    edge.append((item.name, _node("o0", item.keys, writer)))
            pairs.append(
                (
                    key.name,
                    f"COALESCE((SELECT json_agg({_object(edge)} ORDER BY o0.id)"
                    " FROM shown o0), '[]'::json)",
                )
            )
        else:
            raise ValueError(f"not a connection key: {key.kind}")
    statement = (
        "WITH page AS MATERIALIZED (SELECT * FROM organizations"
        " WHERE CAST(:after AS varchar) IS NULL OR id > CAST(:after AS varchar)"
        " ORDER BY id LIMIT CAST(:first AS integer) + 1),"
        " shown AS (SELECT * FROM page ORDER BY id LIMIT CAST(:first AS integer))"
        " SELECT NOT EXISTS (SELECT FROM unnest(CAST(:sites AS varchar[])) x"
        " WHERE NOT EXISTS (SELECT FROM sites WHERE sites.id = x)),"
        f" {_object(pairs)}::text"
    )
    return statement, tuple(dict.fromkeys(writer.sites))
