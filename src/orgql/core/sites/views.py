"""Reading an organization's per-site values: its own, or those in effect (inherited).

Rule (DOMAIN.md, "Derived values"): within one site, each value is the organization's own,
else its parent's effective value on that site, recursively to the root; null when nothing
on the path sets it. Reading costs a constant number of statements whatever the depth: the
ancestors come from the organization's stored path, their rows in one batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import Boolean, String, any_, bindparam, literal, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.validation import is_storable_text
from orgql.core.inheritance.fields import SITE_COLUMNS
from orgql.core.inheritance.rules import Inherited, derive_site_value
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
    if not is_storable_text(organization_id):  # PostgreSQL text cannot hold it: no such id
        raise not_found(organization_id)
    row = (
        await session.execute(
            _SITE_VALUES, {"id": organization_id, "inherited": inherited, "every": every_b2b_site}
        )
    ).one()
    if row.path is None:
        raise not_found(organization_id)
    chain = [organization_id, *reversed(orjson.loads(row.path))] if inherited else [organization_id]
    own: dict[tuple[str, str], dict[str, Any]] = {}
    contracts: dict[str, ContractView] = {}
    for found in orjson.loads(row.site_rows or "[]"):
        limit = found["order_price_limit"]
        found["order_price_limit"] = Decimal(limit) if limit is not None else None
        own[(found["organization_id"], found["site_id"])] = found
        if found["contract_id"] is not None:
            contracts[found["contract_id"]] = _contract_view(found)
    sites = {
        site["id"]: models.Site(**site)  # transient: read, never added to the session
        for site in orjson.loads(row.sites or "[]")
    }
    site_ids = sorted({site_id for _, site_id in own})
    if every_b2b_site:
        site_ids = sorted({*site_ids, *(site.id for site in sites.values() if site.b2b)})
    values = {
        site_id: {
            column: derive_site_value(
                chain,
                {
                    org_id: found[column]
                    for org_id in chain
                    if (found := own.get((org_id, site_id))) is not None
                },
            )
            for column in SITE_COLUMNS
        }
        for site_id in site_ids
    }
    return [
        SiteValues(
            site=sites[site_id],
            values=values[site_id],
            contract=_contract(values[site_id]["contract_id"], contracts),
        )
        for site_id in site_ids
        if site_id in sites and (sites[site_id].b2b or not every_b2b_site)
    ]


#: The organization's path, the own site rows of it (and with ``inherited`` of its
#: ancestors) with the contracts they name, and the sites of those rows (and with ``every``
#: every B2B site): one statement, each part one JSON aggregate.
_SITE_VALUES = text(
    f"""
WITH target AS (SELECT id, path FROM organizations WHERE id = :id),
own AS (
    SELECT s.*, c.display_name, c.description, c.catalog_id, cat.display_name AS catalog_name,
           c.price_list_group_id, plg.display_name AS price_list_group_name, c.start_date,
           c.end_date, c.external_contract_reference, c.terms_id, t.terms, c.creation_date
      FROM site_organization_properties s
      LEFT JOIN contracts c ON c.id = s.contract_id
      LEFT JOIN catalogs cat ON cat.id = c.catalog_id
      LEFT JOIN price_list_groups plg ON plg.id = c.price_list_group_id
      LEFT JOIN contract_terms t ON t.id = c.terms_id
     WHERE s.organization_id = ANY(ARRAY(
               SELECT id FROM target
               UNION ALL SELECT unnest(path) FROM target WHERE :inherited))
)
SELECT (SELECT to_json(path)::text FROM target) AS path,
       (SELECT json_agg(json_build_object(
            'organization_id', o.organization_id, 'site_id', o.site_id,
            {", ".join(f"'{c}', o.{c}" for c in SITE_COLUMNS if c != "order_price_limit")},
            'order_price_limit', o.order_price_limit::text,
            'display_name', o.display_name, 'description', o.description,
            'catalog_id', o.catalog_id, 'catalog_name', o.catalog_name,
            'price_list_group_id', o.price_list_group_id,
            'price_list_group_name', o.price_list_group_name, 'start_date', o.start_date,
            'end_date', o.end_date, 'external_contract_reference', o.external_contract_reference,
            'terms_id', o.terms_id, 'terms', o.terms, 'creation_date', o.creation_date))
          FROM own o)::text AS site_rows,
       (SELECT json_agg(json_build_object(
            'id', s.id, 'name', s.name, 'production_url', s.production_url,
            'enabled', s.enabled, 'b2b', s.b2b))
          FROM sites s
         WHERE s.id IN (SELECT site_id FROM own) OR (:every AND s.b2b))::text AS sites
"""
).bindparams(
    bindparam("id", type_=String),
    bindparam("inherited", type_=Boolean),
    bindparam("every", type_=Boolean),
)


def _contract_view(row: dict[str, Any]) -> ContractView:
    def moment(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value) if value is not None else None

    creation = moment(row["creation_date"])
    assert creation is not None
    return ContractView(
        id=row["contract_id"],
        display_name=row["display_name"],
        description=row["description"],
        catalog_id=row["catalog_id"],
        catalog_name=row["catalog_name"],
        price_list_group_id=row["price_list_group_id"],
        price_list_group_name=row["price_list_group_name"],
        start_date=moment(row["start_date"]),
        end_date=moment(row["end_date"]),
        external_contract_reference=row["external_contract_reference"],
        terms_id=row["terms_id"],
        terms=row["terms"],
        creation_date=creation,
    )


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
