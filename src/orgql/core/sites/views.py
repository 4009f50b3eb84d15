"""Reading an organization's per-site values: its own, or those in effect (inherited).

Rule (DOMAIN.md, "Derived values"): within one site, each value is the organization's own,
else its parent's effective value on that site, recursively to the root; null when nothing
on the path sets it. Reading costs a constant number of statements whatever the depth: the
ancestors come from the organization's stored path, their rows in one batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import String, any_, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.inheritance.fields import SITE_COLUMNS
from orgql.core.inheritance.rules import Inherited, derive_site_value
from orgql.core.organizations import repository
from orgql.core.sites import repository as site_reads
from orgql.core.sites.repository import ContractView
from orgql.core.sites.service import not_found
from orgql.db import models


@dataclass(frozen=True)
class SiteValues:
    """One site's values, by column of :data:`SITE_COLUMNS`, each with the id of the
    organization that set it; ``contract`` is the view of the ``contract_id`` value."""

    site: models.Site
    values: dict[str, Inherited[object]]
    contract: ContractView | None

    def value(self, column: str) -> object:
        return self.values[column].value


async def site_values(
    session: AsyncSession,
    organization_id: str,
    *,
    inherited: bool = False,
    every_b2b_site: bool = False,
) -> list[SiteValues]:
    """The organization's values per site, ordered by site id.

    ``inherited=False``: its own values, one entry per site on which it sets any.
    ``inherited=True``: the values in effect, one entry per site on which it or an ancestor
    sets any (the vendor's ``allSites=false``: the sites of the current and parent accounts).
    ``every_b2b_site`` (with ``inherited``): one entry per B2B site, whether or not anything
    on the path sets a value there (the vendor's ``allSites=true``; null where nothing does).
    Unknown organization: 100108.
    """
    found = await repository.organizations_by_id(session, [organization_id])
    organization = found.get(organization_id)
    if organization is None:
        raise not_found(organization_id)
    chain = [organization.id, *reversed(organization.path)] if inherited else [organization.id]
    by_organization = await site_reads.site_properties_by_organization(session, chain)
    own = {
        (row.organization_id, row.site_id): row for rows in by_organization.values() for row in rows
    }
    site_ids = sorted({site_id for _, site_id in own})
    if every_b2b_site:
        b2b = [site for site in await site_reads.all_sites(session) if site.b2b]
        site_ids = sorted({*site_ids, *(site.id for site in b2b)})
    sites = await site_reads.sites_by_id(session, site_ids)
    values = {
        site_id: {
            column: derive_site_value(
                chain,
                {
                    org_id: getattr(row, column)
                    for org_id in chain
                    if (row := own.get((org_id, site_id))) is not None
                },
            )
            for column in SITE_COLUMNS
        }
        for site_id in site_ids
    }
    contract_ids = [
        contract_id
        for by_column in values.values()
        if isinstance(contract_id := by_column["contract_id"].value, str)
    ]
    contracts = await site_reads.contracts_by_id(session, contract_ids)
    return [
        SiteValues(
            site=sites[site_id],
            values=values[site_id],
            contract=_contract(values[site_id]["contract_id"], contracts),
        )
        for site_id in site_ids
        if site_id in sites and (sites[site_id].b2b or not every_b2b_site)
    ]


def _contract(
    contract_id: Inherited[object], contracts: dict[str, ContractView]
) -> ContractView | None:
    return contracts.get(contract_id.value) if isinstance(contract_id.value, str) else None


async def site_properties_with_contracts(
    session: AsyncSession, keys: Iterable[tuple[str, str]]
) -> tuple[dict[tuple[str, str], models.SiteOrganizationProperties], dict[str, ContractView]]:
    """:func:`site_reads.site_properties` and the views of the contracts they name, in one
    statement: a page that shows effective values and their contract costs one read, not two."""
    pairs = list(dict.fromkeys(keys))
    organization_ids = list({org for org, _ in pairs if "\x00" not in org})
    site_ids = list({site for _, site in pairs if "\x00" not in site})
    if not organization_ids or not site_ids:
        return {}, {}
    table, contract = models.SiteOrganizationProperties, models.Contract
    catalog, group, terms = models.Catalog, models.PriceListGroup, models.ContractTerms
    rows = await session.execute(
        select(table, contract, catalog.display_name, group.display_name, terms.terms)
        .outerjoin(contract, contract.id == table.contract_id)
        .outerjoin(catalog, catalog.id == contract.catalog_id)
        .outerjoin(group, group.id == contract.price_list_group_id)
        .outerjoin(terms, terms.id == contract.terms_id)
        # = ANY(array): one bound array, not one bound value per id expanded into IN (...)
        # at every execution (a page of 100 organizations names about 450 on their chains).
        .where(
            table.organization_id == any_(literal(organization_ids, ARRAY(String))),
            table.site_id == any_(literal(site_ids, ARRAY(String))),
        )
    )
    wanted = set(pairs)
    found: dict[tuple[str, str], models.SiteOrganizationProperties] = {}
    views: dict[str, ContractView] = {}
    for row, bought, catalog_name, group_name, terms_text in rows:
        if (row.organization_id, row.site_id) in wanted:
            found[(row.organization_id, row.site_id)] = row
        if bought is not None:
            views[bought.id] = ContractView.of(bought, catalog_name, group_name, terms_text)
    return found, views
