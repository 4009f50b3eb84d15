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

Each part is one JSON aggregate of the statement's one row (each row a JSON array, its
keys given in Python: :mod:`snapshot_sql`), read on a pooled driver connection (db.raw)
and decoded with orjson (rows of plain values, no ORM objects); derived values are computed
once per organization of the chains (:func:`inheritance.derive_forest`), so a shared ancestor
costs once per request, not once per descendant, and values in effect on the site once per
organization of the page or with a row on the site. The read of one organization derives
only along its chain (:class:`inheritance.DerivedAlong`, as GraphQL's ``organization(id)``):
its ancestors' values are never shown. The snapshot keeps those of the page's
organizations, the only ones an answer shows.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from orgql.core.common import json_text
from orgql.core.common.errors import OrgqlError
from orgql.core.common.validation import is_storable_text
from orgql.core.inheritance import fields
from orgql.core.inheritance.rules import Derivation, DerivedAlong, derive_forest
from orgql.core.organizations import repository
from orgql.core.organizations import snapshot_sql as sql
from orgql.core.organizations.service import check_page, not_found, resolve_site, unknown_site
from orgql.core.organizations.snapshot_sql import AddressRow, OrganizationRow, SiteRow
from orgql.core.organizations.sorting import SortKey
from orgql.db.raw import RawReads, read_once


@dataclass
class Snapshot:
    """The organizations asked for (``page``, in order) and what their answers show."""

    page: list[OrganizationRow]
    #: The page's organizations and their ancestors, by id, as decoded: arrays of
    #: OrganizationRow's fields in order (snapshot_sql.ORGANIZATION_AT). Read by position only
    #: (an ancestor's summary, the derivation): a named tuple made of each ancestor's array
    #: cost more than that reading (a read by id decodes fifteen organizations, shows one).
    by_id: dict[str, list[Any]]
    #: The dynamic properties of the page's organizations (decoded), by id.
    dynamic_properties: dict[str, dict[str, Any]]
    #: The site whose values were read (None: no site given and no default site).
    site_id: str | None
    #: Derived values (fields.DERIVED_COLUMNS order), per organization of the page.
    derived: dict[str, list[Any]]
    #: Values in effect on the site (fields.SITE_COLUMNS order, a limit as its text), per
    #: organization of the page.
    effective: dict[str, list[Any]]
    #: Own site rows on the site (with their contract's columns), by organization id.
    site_rows: dict[str, SiteRow]
    #: Site rows by the contract they name: a contract's columns (any row naming it).
    contracts: dict[str, SiteRow]
    addresses: dict[str, AddressRow]
    secondary_addresses: dict[str, list[AddressRow]]
    roles: dict[str, list[tuple[str, str]]]  # organization id -> (role id, function)
    members: dict[str, list[str]]  # organization id -> profile ids
    total: int | None = None


async def _read(
    engine: AsyncEngine,
    statement: Select[Any],
    parameters: dict[str, Any],
    site_id: str | None,
    *,
    total: bool = False,
    derive: Derivation = derive_forest,
) -> Snapshot:
    """The snapshot of ``statement``'s one row, read on a pooled driver connection
    (db.raw.read_once: no session, ``Connection`` or result objects for a row of a few JSON
    texts), given back before the snapshot is decoded.

    A read whose connection the server ended mid-statement (a restart, a failover,
    pg_terminate_backend) is read again once, on another connection: it changes nothing,
    and GraphQL's reads answer that case by their resolvers (graphql.execution.sql_plans).
    A server that is down fails the second read too (503). ``derive``: how the derived and
    effective values are computed (:data:`inheritance.Derivation`: the same values either
    way)."""
    if site_id is not None:
        if not is_storable_text(site_id):
            raise unknown_site(site_id, "x-ccsite")
        parameters = {**parameters, "site_id": site_id}

    def select(reads: RawReads) -> Awaitable[list[Any]]:
        return reads.select(statement, parameters)

    try:
        (row,) = await read_once(engine, select)
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        (row,) = await read_once(engine, select)
    if site_id is not None and row[sql.SITE_ID_AT] is None:
        raise unknown_site(site_id, "x-ccsite")
    return _snapshot(row, int(row[sql.TOTAL_AT]) if total else None, derive)


#: Where a row holds its own values of the derived columns, and of the site columns (their
#: orders): the derivation reads them in the rows themselves.
_DERIVED_AT = tuple(map(OrganizationRow._fields.index, fields.DERIVED_COLUMNS))
_SITE_AT = tuple(map(SiteRow._fields.index, fields.SITE_COLUMNS))
_POSITION_OF = operator.attrgetter("position")
_ID, _PATH, _POSITION = (sql.ORGANIZATION_AT[field] for field in ("id", "path", "position"))


def _snapshot(parts: Sequence[Any], total: int | None, derive: Derivation) -> Snapshot:
    by_id: dict[str, list[Any]] = {}
    paths: dict[str, list[str]] = {}
    on_page: list[list[Any]] = []
    for array in sql.decode(parts[sql.AT["organizations"]]):
        org_id = array[_ID]
        by_id[org_id] = array
        paths[org_id] = array[_PATH]
        if array[_POSITION] is not None:
            on_page.append(array)
    page = sql.ORGANIZATION.of(on_page)
    page.sort(key=_POSITION_OF)
    dynamic_properties: dict[str, dict[str, Any]] = {}
    for row in page:
        raw = row.dynamic_properties
        dynamic_properties[row.id] = json_text.loads(raw) if raw != "{}" else {}
    derived = derive(paths, by_id, _DERIVED_AT)
    site_rows: dict[str, SiteRow] = {}
    contracts: dict[str, SiteRow] = {}
    for site_row in sql.SITE_ROW.rows(parts[sql.AT["site_rows"]]):
        site_rows[site_row.organization_id] = site_row
        if site_row.contract_id is not None:
            contracts[site_row.contract_id] = site_row
    # The forest of the page and of the organizations with a row on the site: one without a
    # row sets nothing there (it takes its nearest's values), so leaving it out changes no
    # page organization's values, and the walk is of a few rows rather than every chain's.
    site_paths = {row.id: row.path for row in page}
    site_paths.update((org_id, paths[org_id]) for org_id in site_rows if org_id in paths)
    effective = derive(site_paths, site_rows, _SITE_AT)
    addresses: dict[str, AddressRow] = {}
    secondary: dict[str, list[AddressRow]] = defaultdict(list)
    page_ids = dynamic_properties.keys()
    for address in sql.ADDRESS.rows(parts[sql.AT["addresses"]]):
        addresses[address.id] = address
        if address.organization_id in page_ids:
            secondary[address.organization_id].append(address)
    roles: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for organization_id, role_id, function in sql.decode(parts[sql.AT["roles"]]):
        roles[organization_id].append((role_id, function))
    members: dict[str, list[str]] = defaultdict(list)
    for organization_id, profile_id in sql.decode(parts[sql.AT["members"]]):
        members[organization_id].append(profile_id)
    return Snapshot(
        page=page,
        by_id=by_id,
        dynamic_properties=dynamic_properties,
        site_id=parts[sql.AT["site_id"]],
        derived={row.id: derived[row.id][0] for row in page},
        effective={row.id: effective[row.id][0] for row in page},
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
    statement = sql.by_id(site_id is not None, member_of is not None)
    # One organization of a chain: derived along it, its ancestors' values never computed.
    snapshot = await _read(engine, statement, parameters, site_id, derive=DerivedAlong)
    if not snapshot.page or (member_of is not None and not snapshot.page[0].member):
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
    statement = sql.page_statement(where, tuple(sort), site_id is not None)
    parameters = {"limit": limit, "offset": offset}
    return await _read(engine, statement, parameters, site_id, total=True)
