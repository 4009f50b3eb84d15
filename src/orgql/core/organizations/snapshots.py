"""Whole organizations in one statement: the REST reads (an organization by id, a page of the
list, the storefront's read of one account).

:func:`read_by_id` and :func:`read_page` read the organizations asked for with everything the
vendor's shape shows (:mod:`orgql.core.organizations.views` is the same snapshot in several
batched statements, kept for the writes' answers and as the reference of the tests):

- the organizations and their ancestors (by the stored ``path``, DESIGN.md "Hierarchy
  reads"), each with whether a shopper's active profile is a member of it;
- the site (``x-ccsite`` or the default site), the own site rows of all of them on it and the
  contracts those rows name;
- the secondary addresses of the organizations asked for, and the default addresses any of
  them or their ancestors name;
- their relative roles and members; for a page, the total of the filter.

Each part is one JSON aggregate of the statement's one row, decoded with orjson (rows of
plain values, no ORM objects); derived and effective values are computed once per
organization of the chains (:func:`inheritance.derive_forest`), so a shared ancestor costs
once per request, not once per descendant.
"""

from __future__ import annotations

import functools
import json
import operator
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import (
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
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from orgql.core.common.errors import OrgqlError
from orgql.core.common.validation import is_storable_text
from orgql.core.inheritance import fields
from orgql.core.inheritance.rules import derive_forest
from orgql.core.organizations import membership, query_sql, repository
from orgql.core.organizations.service import check_page, not_found, resolve_site, unknown_site
from orgql.core.organizations.sorting import SortKey
from orgql.db import models
from orgql.db.raw import reading

#: A row as decoded: column name -> value.
Row = dict[str, Any]

#: The columns of ``organizations`` a snapshot reads (every one the vendor's shape shows).
ORGANIZATION_COLUMNS = (
    "id",
    "name",
    "description",
    "type",
    "customer_type",
    "active",
    "duns_number",
    "tax_reference_number",
    "vat_reference_number",
    "tax_exemption_code",
    "unique_id",
    "organization_logo",
    "path",
    "payment_methods",
    "shipping_methods",
    "use_all_payment_methods_from_site",
    "use_all_shipping_methods_from_site",
    "billing_address_id",
    "shipping_address_id",
    "version",
    "roles_apply_to_divisions",
)
ADDRESS_COLUMNS = (
    "id",
    "organization_id",
    "address_type",
    "company_name",
    "address1",
    "address2",
    "city",
    "state",
    "postal_code",
    "country",
    "phone_number",
)
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


class _Record:
    """One kind of row of the statement, as a JSON array of its values: the keys are
    written once here, not in every row's JSON (``json_build_object`` cost a third of the
    PostgreSQL CPU of a read by id, and thrice the bytes to ship and decode)."""

    def __init__(self, alias: str, columns: Sequence[str], extra: dict[str, str]) -> None:
        self.keys = (*columns, *extra)
        values = [f"{alias}.{column}" for column in columns] + list(extra.values())
        self.sql = f"json_build_array({', '.join(values)})"

    def rows(self, text: str | None) -> list[Row]:
        """The rows of the aggregate ``text`` (null: none), each as a dict by key."""
        keys = self.keys
        return [dict(zip(keys, values, strict=True)) for values in _rows(text)]


_ORGANIZATION = _Record(
    "o",
    ORGANIZATION_COLUMNS,
    {
        # Decoded by json (as the ORM does), not orjson: an integer past 64 bits stays one.
        "dynamic_properties": "o.dynamic_properties::text",
        "position": "o.position",
        "member": "o.member",
    },
)
_ADDRESS = _Record("a", ADDRESS_COLUMNS, {})
_SITE_ROW = _Record(
    "s",
    ("organization_id", *(c for c in fields.SITE_COLUMNS if c != "order_price_limit")),
    {"order_price_limit": "s.order_price_limit::text", **_CONTRACT},
)

#: The statement's parts after its CTEs ``page`` (id, path, position), ``chain`` (the
#: organizations and their ancestors) and ``site`` (its id): each one JSON text.
_PARTS = {
    "organizations": f"(SELECT json_agg({_ORGANIZATION.sql}) FROM chain o)::text",
    "addresses": f"""(SELECT json_agg({_ADDRESS.sql}
                   ORDER BY a.organization_id, a.id)
   FROM addresses a
  WHERE a.organization_id = ANY(ARRAY(SELECT id FROM page))
     OR a.id = ANY(ARRAY(SELECT billing_address_id FROM chain
                         UNION SELECT shipping_address_id FROM chain)))::text""",
    "site_rows": f"""(SELECT json_agg({_SITE_ROW.sql})
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
_AT = {name: index for index, name in enumerate(_PARTS)}
_SITE_ID_AT = _AT["site_id"]
_TOTAL_AT = len(_PARTS)


@dataclass
class Snapshot:
    """The organizations asked for (``page``, in order) and what their answers show."""

    page: list[Row]
    #: The page's organizations and their ancestors, by id.
    by_id: dict[str, Row]
    #: The site whose values were read (None: no site given and no default site).
    site_id: str | None
    #: Derived values (fields.DERIVED_COLUMNS order), per organization of the chains.
    derived: dict[str, list[Any]]
    #: Values in effect on the site (fields.SITE_COLUMNS order), per organization.
    effective: dict[str, list[Any]]
    #: Own site rows on the site (with their contract's columns), by organization id.
    site_rows: dict[str, Row]
    #: Site rows by the contract they name: a contract's columns (any row naming it).
    contracts: dict[str, Row]
    addresses: dict[str, Row]
    secondary_addresses: dict[str, list[Row]]
    roles: dict[str, list[tuple[str, str]]]  # organization id -> (role id, function)
    members: dict[str, list[str]]  # organization id -> profile ids
    total: int | None = None

    def ancestors(self, row: Row) -> list[Row]:
        """Root first, direct parent last (one missing was removed meanwhile: skipped)."""
        by_id = self.by_id
        return [by_id[ancestor] for ancestor in row["path"] if ancestor in by_id]


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
        literal_column(sql).label(name) for name, sql in _PARTS.items()
    ]
    if total is not None:
        columns.append(total.label("total"))
    return select(*columns).add_cte(page_cte, chain, site_cte)


@functools.cache
def _by_id(named_site: bool, shopper: bool) -> Select[Any]:
    """The statement of :func:`read_by_id`, built once per kind of caller and site."""
    org = models.Organization
    page = select(org.id, org.path, literal(1).label("position")).where(org.id == _ORGANIZATION_ID)
    return _statement(page, named_site=named_site, shopper=shopper)


async def _read(
    engine: AsyncEngine,
    statement: Select[Any],
    parameters: dict[str, Any],
    site_id: str | None,
    *,
    total: bool = False,
) -> Snapshot:
    """The snapshot of ``statement``'s one row, read on a pooled driver connection
    (db.raw.reading: no session, ``Connection`` or result objects for a row of a few JSON
    texts), given back before the snapshot is decoded."""
    if site_id is not None:
        if not is_storable_text(site_id):
            raise unknown_site(site_id, "x-ccsite")
        parameters = {**parameters, "site_id": site_id}
    async with reading(engine) as reads:
        (row,) = await reads.select(statement, parameters)
    if site_id is not None and row[_SITE_ID_AT] is None:
        raise unknown_site(site_id, "x-ccsite")
    return _snapshot(row, int(row[_TOTAL_AT]) if total else None)


def _rows(text: str | None) -> list[Any]:
    return orjson.loads(text) if text else []


#: A row's own values of the derived columns, and of the site columns (their orders).
_DERIVED_OF = operator.itemgetter(*fields.DERIVED_COLUMNS)
_SITE_VALUES_OF = operator.itemgetter(*fields.SITE_COLUMNS)


def _snapshot(parts: Sequence[Any], total: int | None) -> Snapshot:
    by_id: dict[str, Row] = {}
    page: list[Row] = []
    for row in _ORGANIZATION.rows(parts[_AT["organizations"]]):
        raw = row["dynamic_properties"]
        row["dynamic_properties"] = json.loads(raw) if raw != "{}" else {}
        by_id[row["id"]] = row
        if row["position"] is not None:
            page.append(row)
    page.sort(key=lambda row: row["position"])
    paths = {org_id: row["path"] for org_id, row in by_id.items()}
    derived_own = {org_id: _DERIVED_OF(row) for org_id, row in by_id.items()}
    derived = derive_forest(paths, derived_own, range(len(fields.DERIVED_COLUMNS)))
    site_rows: dict[str, Row] = {}
    contracts: dict[str, Row] = {}
    for row in _SITE_ROW.rows(parts[_AT["site_rows"]]):
        limit = row["order_price_limit"]
        row["order_price_limit"] = Decimal(limit) if limit is not None else None
        site_rows[row["organization_id"]] = row
        if row["contract_id"] is not None:
            contracts[row["contract_id"]] = row
    site_own = {org_id: _SITE_VALUES_OF(row) for org_id, row in site_rows.items()}
    effective = derive_forest(paths, site_own, range(len(fields.SITE_COLUMNS)))
    addresses: dict[str, Row] = {}
    secondary: dict[str, list[Row]] = defaultdict(list)
    for row in _ADDRESS.rows(parts[_AT["addresses"]]):
        addresses[row["id"]] = row
        owner = by_id.get(row["organization_id"])
        if owner is not None and owner["position"] is not None:
            secondary[row["organization_id"]].append(row)
    roles: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for organization_id, role_id, function in _rows(parts[_AT["roles"]]):
        roles[organization_id].append((role_id, function))
    members: dict[str, list[str]] = defaultdict(list)
    for organization_id, profile_id in _rows(parts[_AT["members"]]):
        members[organization_id].append(profile_id)
    return Snapshot(
        page=page,
        by_id=by_id,
        site_id=parts[_AT["site_id"]],
        derived={org_id: values for org_id, (values, _) in derived.items()},
        effective={org_id: values for org_id, (values, _) in effective.items()},
        site_rows=site_rows,
        contracts=contracts,
        addresses=addresses,
        secondary_addresses=secondary,
        roles=roles,
        members=members,
        total=total,
    )


async def read_by_id(
    engine: AsyncEngine,
    organization_id: str,
    site_id: str | None,
    *,
    member_of: str | None = None,
) -> Snapshot:
    """One organization (100001 when it does not exist), with the values of site ``site_id``
    (None: the default site; unknown: 100002). ``member_of``: a shopper's profile id; an
    organization their active profile is not a member of is answered as a missing id
    (core.access.checks: they learn nothing of other accounts)."""
    # An id PostgreSQL cannot hold names nothing; ids are never empty. (The statement still
    # runs: an unknown site is answered first, as for any id.)
    parameters = {"organization_id": organization_id if is_storable_text(organization_id) else ""}
    if member_of is not None:  # a NUL cannot be stored, so names no profile
        parameters["member_id"] = member_of if "\x00" not in member_of else ""
    statement = _by_id(site_id is not None, member_of is not None)
    snapshot = await _read(engine, statement, parameters, site_id)
    if not snapshot.page or (member_of is not None and not snapshot.page[0]["member"]):
        raise not_found(organization_id)
    return snapshot


async def read_page(
    engine: AsyncEngine,
    where: repository.OrganizationFilter,
    site_id: str | None,
    *,
    limit: int,
    offset: int,
    sort: Sequence[SortKey] = (),
) -> Snapshot:
    """A page of the list (``where``, ordered by ``sort`` then id, ``offset`` and ``limit``
    checked by the caller: core.organizations.service.check_page), with its total."""
    try:
        check_page(where, limit=limit, offset=offset)
    except OrgqlError:
        if site_id is not None:  # an unknown site is answered first, as the other reads do
            async with AsyncSession(bind=engine) as session:
                await resolve_site(session, site_id, field="x-ccsite")
        raise
    statement = _page(where, tuple(sort), site_id is not None)
    parameters = {"limit": limit, "offset": offset}
    return await _read(engine, statement, parameters, site_id, total=True)


#: A page's bounds: parameters, so that one statement serves every page of a list.
_LIMIT = bindparam("limit", type_=Integer)
_OFFSET = bindparam("offset", type_=Integer)


@functools.lru_cache(maxsize=64)
def _page(
    where: repository.OrganizationFilter, sort: tuple[SortKey, ...], named_site: bool
) -> Select[Any]:
    """The statement of :func:`read_page`, built once per filter, order and kind of site:
    building it (and its cache key) anew cost about as much CPU as rendering a tenth of a
    page of 100."""
    org = models.Organization
    order = query_sql.order_by(list(sort)) if sort else [org.id]
    position = func.row_number().over(order_by=order).label("position")
    page = repository.filtered(select(org.id, org.path, position), where)
    page = page.order_by(*order).limit(_LIMIT).offset(_OFFSET)
    total = repository.filtered(select(func.count()).select_from(org), where).scalar_subquery()
    return _statement(page, named_site=named_site, shopper=False, total=total)
