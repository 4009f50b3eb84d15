"""Batch reads of the sites domain: sites, the per-site values of organizations and the
contracts they name. Like :mod:`orgql.core.organizations.repository`, every function takes
many keys and costs one SQL statement."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

# Distinct keys without those PostgreSQL cannot store: one rule for every batch read.
from orgql.core.common.ids import distinct_keys
from orgql.core.people.approvers import active_approvers
from orgql.db import models


@dataclass(frozen=True)
class ContractView:
    id: str
    display_name: str
    description: str | None
    catalog_id: str
    catalog_name: str
    price_list_group_id: str
    price_list_group_name: str
    start_date: datetime | None
    end_date: datetime | None
    external_contract_reference: str | None
    terms_id: str | None
    terms: str | None
    creation_date: datetime

    @classmethod
    def of(
        cls,
        row: models.Contract,
        catalog_name: str,
        group_name: str,
        terms_text: str | None,
    ) -> ContractView:
        """A contract row with the names it refers to (joined by the caller's query)."""
        return cls(
            id=row.id,
            display_name=row.display_name,
            description=row.description,
            catalog_id=row.catalog_id,
            catalog_name=catalog_name,
            price_list_group_id=row.price_list_group_id,
            price_list_group_name=group_name,
            start_date=row.start_date,
            end_date=row.end_date,
            external_contract_reference=row.external_contract_reference,
            terms_id=row.terms_id,
            terms=terms_text,
            creation_date=row.creation_date,
        )


async def site_properties(
    session: AsyncSession, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], models.SiteOrganizationProperties]:
    """Own per-site values for (organization id, site id) pairs."""
    pairs = list(dict.fromkeys(keys))
    if not pairs:
        return {}
    table = models.SiteOrganizationProperties
    organization_ids = distinct_keys(org for org, _ in pairs)
    site_ids = distinct_keys(site for _, site in pairs)
    rows = await session.scalars(
        select(table).where(
            table.organization_id.in_(organization_ids), table.site_id.in_(site_ids)
        )
    )
    wanted = set(pairs)
    return {
        (row.organization_id, row.site_id): row
        for row in rows
        if (row.organization_id, row.site_id) in wanted
    }


async def site_properties_by_organization(
    session: AsyncSession, organization_ids: Iterable[str]
) -> dict[str, list[models.SiteOrganizationProperties]]:
    keys = distinct_keys(organization_ids)
    result: dict[str, list[models.SiteOrganizationProperties]] = defaultdict(list)
    if keys:
        table = models.SiteOrganizationProperties
        rows = await session.scalars(
            select(table).where(table.organization_id.in_(keys)).order_by(table.site_id)
        )
        for row in rows:
            result[row.organization_id].append(row)
    return result


async def contracts_by_id(session: AsyncSession, ids: Iterable[str]) -> dict[str, ContractView]:
    keys = distinct_keys(ids)
    if not keys:
        return {}
    contract, catalog, group, terms = (
        models.Contract,
        models.Catalog,
        models.PriceListGroup,
        models.ContractTerms,
    )
    rows = await session.execute(
        select(
            contract,
            catalog.display_name,
            group.display_name,
            terms.terms,
        )
        .join(catalog, catalog.id == contract.catalog_id)
        .join(group, group.id == contract.price_list_group_id)
        .outerjoin(terms, terms.id == contract.terms_id)
        .where(contract.id.in_(keys))
    )
    return {
        row.id: ContractView.of(row, catalog_name, group_name, terms_text)
        for row, catalog_name, group_name, terms_text in rows
    }


async def sites_with_values(
    session: AsyncSession, site_ids: Iterable[str], organization_ids: Sequence[str]
) -> tuple[dict[str, models.Site], dict[tuple[str, str], models.SiteOrganizationProperties], int]:
    """In one statement: the sites of ``site_ids`` that exist, the own values of
    ``organization_ids`` on them (by organization and site), and how many active approvers
    the first of ``organization_ids`` has (0 when no site exists)."""
    keys = distinct_keys(site_ids)
    if not keys:
        return {}, {}, 0
    site, own = models.Site, models.SiteOrganizationProperties
    approvers = active_approvers(organization_ids[0]).scalar_subquery()
    rows = await session.execute(
        select(site, own, approvers)
        .outerjoin(
            own,
            and_(own.site_id == site.id, own.organization_id.in_(distinct_keys(organization_ids))),
        )
        .where(site.id.in_(keys))
    )
    sites: dict[str, models.Site] = {}
    values: dict[tuple[str, str], models.SiteOrganizationProperties] = {}
    count = 0
    for found, value, approver_count in rows:
        sites[found.id] = found
        count = int(approver_count or 0)
        if value is not None:
            values[(value.organization_id, value.site_id)] = value
    return sites, values, count


async def sites_by_id(session: AsyncSession, ids: Iterable[str]) -> dict[str, models.Site]:
    keys = distinct_keys(ids)
    if not keys:
        return {}
    rows = await session.scalars(select(models.Site).where(models.Site.id.in_(keys)))
    return {row.id: row for row in rows}


async def default_site(session: AsyncSession) -> models.Site | None:
    return await session.scalar(select(models.Site).where(models.Site.is_default.is_(True)))


async def all_sites(session: AsyncSession) -> list[models.Site]:
    return list(await session.scalars(select(models.Site).order_by(models.Site.id)))


#: The contract in effect for each (active organization, site): the one set nearest the
#: organization on its path (itself last on ``path || id``, so the highest position wins).
_EFFECTIVE_CONTRACTS = text(
    """
    SELECT DISTINCT ON (o.id, p.site_id) p.contract_id
    FROM organizations AS o
    JOIN site_organization_properties AS p
      ON p.organization_id = ANY(o.path || o.id) AND p.contract_id IS NOT NULL
    WHERE o.id = ANY(CAST(:ids AS text[])) AND o.active
    ORDER BY o.id, p.site_id, array_position(o.path || o.id, p.organization_id) DESC
    """
)


async def effective_contract_ids(
    session: AsyncSession, organization_ids: Iterable[str]
) -> set[str]:
    """The contracts in effect on any site for the active ones of these organizations."""
    keys = distinct_keys(organization_ids)
    if not keys:
        return set()
    return set(await session.scalars(_EFFECTIVE_CONTRACTS, {"ids": keys}))


async def reference_names(
    session: AsyncSession,
    model: type[models.Catalog] | type[models.PriceListGroup],
    ids: Iterable[str],
) -> dict[str, str]:
    """The display names of the catalogs (or price list groups) with these ids."""
    keys = distinct_keys(ids)
    if not keys:
        return {}
    rows = await session.execute(select(model.id, model.display_name).where(model.id.in_(keys)))
    names: dict[str, str] = {str(row[0]): str(row[1]) for row in rows}
    return names
