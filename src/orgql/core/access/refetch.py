"""What a caller may read of the objects that hang from accounts, when they are named by id
(GraphQL's ``node(id)``: graphql.node): the rule of core.access.checks carried to them, so
that reading one by id shows no more than reading it through its account.

- An address: through its organization, as ``organization(id)`` reads it (a shopper: one of
  their accounts; an ancestor's address is no more read by id than the ancestor is).
- A contract: admins, any; a shopper, those in effect on some site for one of their active
  accounts (its own, or inherited: the nearest organization on its path that sets one; a
  deactivated account shows its shoppers no contract).
- A catalog or a price list group (reference data): admins, any; a shopper, those of the
  contracts they may read.
- One of an organization's roles (its relativeRoles): through its organization.

What a caller may not read is answered exactly as an id that names nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.access.checks import Access
from orgql.core.common.ids import distinct_keys
from orgql.core.organizations import repository
from orgql.core.people import repository as people_reads
from orgql.core.sites import repository as site_reads
from orgql.core.sites.repository import ContractView
from orgql.db import models


@dataclass(frozen=True)
class Reference:
    """A catalog or a price list group: its id and display name."""

    id: str
    display_name: str


async def addresses(
    session: AsyncSession, access: Access, ids: Iterable[str]
) -> dict[str, models.Address]:
    """The addresses with these ids that the caller may read (module rules)."""
    rows = await repository.addresses_by_id(session, ids)
    return {
        i: row
        for i, row in rows.items()
        if row.organization_id is not None and access.may_read(row.organization_id)
    }


async def roles(
    session: AsyncSession, access: Access, ids: Iterable[str]
) -> dict[str, models.RelativeRole]:
    """The roles with these ids that the caller may read (module rules)."""
    rows = await people_reads.roles_by_id(session, list(ids))
    return {row.id: row for row in rows if access.may_read(row.organization_id)}


async def contracts(
    session: AsyncSession, access: Access, ids: Iterable[str]
) -> dict[str, ContractView]:
    """The contracts with these ids that the caller may read (module rules)."""
    wanted = distinct_keys(ids)
    if not access.everything:
        readable = await site_reads.effective_contract_ids(session, access.members)
        wanted = [i for i in wanted if i in readable]
    return await site_reads.contracts_by_id(session, wanted)


async def catalogs(
    session: AsyncSession, access: Access, ids: Iterable[str]
) -> dict[str, Reference]:
    """The catalogs with these ids that the caller may read (module rules)."""
    return await _references(session, access, models.Catalog, ids)


async def price_list_groups(
    session: AsyncSession, access: Access, ids: Iterable[str]
) -> dict[str, Reference]:
    """The price list groups with these ids that the caller may read (module rules)."""
    return await _references(session, access, models.PriceListGroup, ids)


async def _references(
    session: AsyncSession,
    access: Access,
    model: type[models.Catalog] | type[models.PriceListGroup],
    ids: Iterable[str],
) -> dict[str, Reference]:
    wanted = distinct_keys(ids)
    if not access.everything and wanted:
        readable = await site_reads.effective_contract_ids(session, access.members)
        used = {
            c.catalog_id if model is models.Catalog else c.price_list_group_id
            for c in (await site_reads.contracts_by_id(session, readable)).values()
        }
        wanted = [i for i in wanted if i in used]
    names = await site_reads.reference_names(session, model, wanted)
    return {i: Reference(i, name) for i, name in names.items()}
