"""The statement of the REST snapshots (:mod:`orgql.core.organizations.snapshots`): the
organizations asked for and their ancestors, and as JSON aggregates of JSON arrays (their
keys given here, :class:`Record`) the site rows with their contracts, the addresses, roles,
members and, for a page, the total. Each statement is built once per kind of read.
"""

from __future__ import annotations

import functools
from itertools import repeat
from typing import Any, Generic, NamedTuple, TypeVar

import orjson
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    String,
    any_,
    bindparam,
    func,
    literal,
    literal_column,
    select,
    true,
)

from orgql.core.organizations import membership, query_sql, repository
from orgql.core.organizations.sorting import SortKey
from orgql.db import models


class OrganizationRow(NamedTuple):
    """An organization of the chains: its columns (every one the vendor's shape shows), its
    dynamic properties as JSON text, its place on the page (None: an ancestor only) and
    whether the shopper's active profile is a member of it (true for anyone else)."""

    id: str
    name: str
    description: str | None
    type: str | None
    customer_type: str | None
    active: bool
    duns_number: str | None
    tax_reference_number: str | None
    vat_reference_number: str | None
    tax_exemption_code: str | None
    unique_id: str | None
    organization_logo: str | None
    path: list[str]
    payment_methods: list[str] | None
    shipping_methods: list[str] | None
    use_all_payment_methods_from_site: bool | None
    use_all_shipping_methods_from_site: bool | None
    billing_address_id: str | None
    shipping_address_id: str | None
    version: int
    roles_apply_to_divisions: bool
    dynamic_properties: str
    position: int | None
    member: bool


class AddressRow(NamedTuple):
    """An address a snapshot reads: its id, owner and type, and the fields of the vendor's
    organization address (rest.organizations.shapes.Address, rendered by rest.render.address;
    tests/test_address_fields.py holds the three together)."""

    id: str
    organization_id: str | None
    address_type: str | None
    company_name: str | None
    address1: str | None
    address2: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: str | None
    phone_number: str | None


class SiteRow(NamedTuple):
    """An organization's own row on the site (fields.SITE_COLUMNS) with the columns of the
    contract it names (typed as read: of a row naming one). Its limit is the NUMERIC's exact
    text, made a number only where an answer shows it (an ancestor's never is)."""

    organization_id: str
    contract_id: str | None
    approval_required: bool | None
    delegate_approval_management: bool | None
    use_external_approval_webhook: bool | None
    order_price_limit: str | None
    contract_display_name: str
    contract_description: str | None
    catalog_id: str
    catalog_name: str
    price_list_group_id: str
    price_list_group_name: str
    start_date: str | None
    end_date: str | None
    external_contract_reference: str | None
    terms_id: str | None
    terms: str | None
    creation_date: str | None


#: Contract timestamps as ISO text in UTC with microseconds (the transports format them).
_UTC = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"
_CONTRACT = {
    "contract_display_name": "c.display_name",
    "contract_description": "c.description",
    "catalog_id": "c.catalog_id",
    "catalog_name": "cat.display_name",
    "price_list_group_id": "c.price_list_group_id",
    "price_list_group_name": "plg.display_name",
    "start_date": _UTC.format("c.start_date"),
    "end_date": _UTC.format("c.end_date"),
    "external_contract_reference": "c.external_contract_reference",
    "terms_id": "c.terms_id",
    "terms": "t.terms",
    "creation_date": _UTC.format("c.creation_date"),
}


R = TypeVar("R", bound=NamedTuple)


class Record(Generic[R]):
    """One kind of row of the statement, as a JSON array of its values: the keys are
    written once here, not in every row's JSON (``json_build_object`` cost a third of the
    PostgreSQL CPU of a read by id, and thrice the bytes to ship and decode).

    Decoded as named tuples (``row``: their fields are the array's keys, in order): a tuple
    made of the decoded array is a fifth of the CPU of a dict by key (issue 16). Each is
    made by ``tuple.__new__`` itself, without ``_make``'s Python call and length check (the
    arrays are built of the same fields): a third less CPU per row. Making it still costs
    more than reading a few fields of the array by position: the organizations that are
    only ancestors stay arrays (snapshots.Snapshot.by_id; a read by id decodes fifteen
    organizations and shows one)."""

    def __init__(self, row: type[R], alias: str, sql_of: dict[str, str]) -> None:
        """``sql_of``: the SQL of the fields that are not the column of ``alias`` they name."""
        self.row = row
        values = [sql_of.get(field, f"{alias}.{field}") for field in row._fields]
        self.sql = f"json_build_array({', '.join(values)})"

    def rows(self, text: str | None) -> list[R]:
        """The rows of the aggregate ``text`` (null: none)."""
        return self.of(decode(text))

    def of(self, arrays: list[list[Any]]) -> list[R]:
        """The rows of decoded arrays of the aggregate."""
        return list(map(tuple.__new__, repeat(self.row), arrays))


#: The fields of an organization's row that are not its columns.
_ORGANIZATION_SQL = {
    # Decoded by core.common.json_text (as the ORM does): an integer past 64 bits stays one.
    "dynamic_properties": "o.dynamic_properties::text",
    "position": "o.position",
    "member": "o.member",
}
#: The columns of ``organizations`` a snapshot reads (every one the vendor's shape shows).
ORGANIZATION_COLUMNS = tuple(f for f in OrganizationRow._fields if f not in _ORGANIZATION_SQL)
ORGANIZATION = Record(OrganizationRow, "o", _ORGANIZATION_SQL)
#: Where an organization's decoded array holds each field (snapshots.Snapshot.by_id).
ORGANIZATION_AT = {field: index for index, field in enumerate(OrganizationRow._fields)}
ADDRESS = Record(AddressRow, "a", {})
SITE_ROW = Record(SiteRow, "s", {"order_price_limit": "s.order_price_limit::text", **_CONTRACT})

#: The statement's parts after its CTEs ``page`` (id, path, position), ``chain`` (the
#: organizations and their ancestors) and ``site`` (its id): each one JSON text.
PARTS = {
    "organizations": f"(SELECT json_agg({ORGANIZATION.sql}) FROM chain o)::text",
    "addresses": f"""(SELECT json_agg({ADDRESS.sql}
                   ORDER BY a.organization_id, a.id)
   FROM addresses a
  WHERE a.organization_id = ANY(ARRAY(SELECT id FROM page))
     OR a.id = ANY(ARRAY(SELECT billing_address_id FROM chain
                         UNION SELECT shipping_address_id FROM chain)))::text""",
    "site_rows": f"""(SELECT json_agg({SITE_ROW.sql})
   FROM site_organization_properties s
   LEFT JOIN contracts c ON c.id = s.contract_id
   LEFT JOIN catalogs cat ON cat.id = c.catalog_id
   LEFT JOIN price_list_groups plg ON plg.id = c.price_list_group_id
   LEFT JOIN contract_terms t ON t.id = c.terms_id
  WHERE s.site_id = (SELECT id FROM site)
    AND s.organization_id = ANY(ARRAY(SELECT id FROM chain)))::text""",
    "roles": """(SELECT json_agg(json_build_array(r.organization_id, r.id, r.function)
                   ORDER BY r.organization_id, r.id)
   FROM relative_roles r WHERE r.organization_id = ANY(ARRAY(SELECT id FROM page)))::text""",
    "members": """(SELECT json_agg(json_build_array(m.organization_id, p.id)
                   ORDER BY m.organization_id, p.id)
   FROM organization_members m JOIN profiles p ON p.id = m.profile_id
  WHERE m.organization_id = ANY(ARRAY(SELECT id FROM page)))::text""",
    "site_id": "(SELECT id FROM site)",
}


#: The statement's columns by name: its parts in their order, then the total of a page.
AT = {name: index for index, name in enumerate(PARTS)}
SITE_ID_AT = AT["site_id"]
TOTAL_AT = len(PARTS)


#: The bound parameters of the statements: the site named (``x-ccsite``), the shopper's
#: profile, the organization read by id.
_SITE_ID = bindparam("site_id", type_=String)
_MEMBER_ID = bindparam("member_id", type_=String)
_ORGANIZATION_ID = bindparam("organization_id", type_=String)


def _statement(
    page: Select[str, list[str], int],
    *,
    named_site: bool,
    shopper: bool,
    total: ColumnElement[int] | None = None,
) -> Select[Any]:
    org, site = models.Organization, models.Site
    page_cte = page.cte("page")
    # = ANY of one array (an index scan), not IN (subquery): PostgreSQL hashed that against a
    # sequential scan of every organization.
    chain_ids: ColumnElement[Any] = literal_column(
        "ARRAY(SELECT id FROM page UNION SELECT unnest(path) FROM page)"
    )
    member = membership.member_of(org, _MEMBER_ID) if shopper else true()
    chain = (
        select(
            *(getattr(org, column) for column in ORGANIZATION_COLUMNS),
            org.dynamic_properties,
            page_cte.c.position,
            member.label("member"),
        )
        .outerjoin(page_cte, page_cte.c.id == org.id)
        .where(org.id == any_(chain_ids))
        .cte("chain")
    )
    if named_site:
        site_cte = select(site.id).where(site.id == _SITE_ID).cte("site")
    else:
        site_cte = select(site.id).where(site.is_default.is_(True)).limit(1).cte("site")
    columns: list[ColumnElement[Any]] = [
        literal_column(sql).label(name) for name, sql in PARTS.items()
    ]
    if total is not None:
        columns.append(total.label("total"))
    return select(*columns).add_cte(page_cte, chain, site_cte)


@functools.cache
def by_id(named_site: bool, shopper: bool) -> Select[Any]:
    """The statement of :func:`snapshots.read_by_id`, built once per kind of caller and site."""
    org = models.Organization
    page = select(org.id, org.path, literal(1).label("position")).where(org.id == _ORGANIZATION_ID)
    return _statement(page, named_site=named_site, shopper=shopper)


def decode(text: str | None) -> list[Any]:
    """The rows of a part's JSON aggregate (null: none)."""
    return orjson.loads(text) if text else []


#: A page's bounds: parameters, so that one statement serves every page of a list.
_LIMIT = bindparam("limit", type_=Integer)
_OFFSET = bindparam("offset", type_=BigInteger)  # up to paging.MAX_OFFSET, a bigint


@functools.lru_cache(maxsize=64)
def page_statement(
    where: repository.OrganizationFilter, sort: tuple[SortKey, ...], named_site: bool
) -> Select[Any]:
    """The statement of :func:`snapshots.read_page`, built once per filter, order and kind
    of site: building it (and its cache key) anew cost about as much CPU as rendering a
    tenth of a page of 100."""
    org = models.Organization
    order = query_sql.order_by(list(sort)) if sort else [org.id]
    position = func.row_number().over(order_by=order).label("position")
    page = repository.filtered(select(org.id, org.path, position), where)
    page = page.order_by(*order).limit(_LIMIT).offset(_OFFSET)
    total = repository.filtered(select(func.count()).select_from(org), where).scalar_subquery()
    return _statement(page, named_site=named_site, shopper=False, total=total)
