"""Whole-organization snapshots for callers that want everything at once (the REST shim).

GraphQL resolves the same pieces lazily through DataLoaders over the same repository
functions; both apply the rules of :mod:`inheritance`. Building views for N organizations
costs a constant number of statements (one per kind of row), whatever N and the depth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.inheritance import fields
from orgql.core.inheritance.rules import (
    Inherited,
    ancestors_root_first,
    chain_of,
    derive_all,
    derive_site_value,
)
from orgql.core.organizations import repository
from orgql.core.sites import repository as site_reads
from orgql.core.sites.repository import ContractView
from orgql.db import models

#: The per-site values, by attribute of :class:`models.SiteOrganizationProperties`.
SITE_COLUMNS = fields.SITE_COLUMNS


@dataclass
class OrganizationView:
    organization: models.Organization
    ancestors: list[models.Organization]  # root first, direct parent last
    derived: dict[str, Inherited[object]]
    addresses: list[models.Address]
    addresses_by_id: dict[str, models.Address]  # own and derived default addresses
    site_id: str | None
    own_site_properties: models.SiteOrganizationProperties | None
    effective_site_properties: dict[str, Inherited[object]]
    contracts: dict[str, ContractView]
    roles: list[models.RelativeRole]
    members: list[models.Profile]
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def parent(self) -> models.Organization | None:
        return self.ancestors[-1] if self.ancestors else None

    def address(self, address_id: object) -> models.Address | None:
        return self.addresses_by_id.get(address_id) if isinstance(address_id, str) else None

    def derived_address(self, column: str) -> models.Address | None:
        return self.address(self.derived[column].value)

    @property
    def contract(self) -> ContractView | None:
        own = self.own_site_properties
        return self.contracts.get(own.contract_id) if own and own.contract_id else None

    @property
    def derived_contract(self) -> ContractView | None:
        contract_id = self.effective_site_properties["contract_id"].value
        return self.contracts.get(contract_id) if isinstance(contract_id, str) else None


async def load_views(
    session: AsyncSession, organizations: Sequence[models.Organization], site_id: str | None
) -> list[OrganizationView]:
    """Views of ``organizations`` with site-specific values for the site ``site_id`` (None:
    no site). Only its id is read: a caller that knows it reads no site row for it."""
    if not organizations:
        return []
    by_id = {org.id: org for org in organizations}
    missing = {a for org in organizations for a in org.path if a not in by_id}
    by_id.update(await repository.organizations_by_id(session, missing))
    chains = {org.id: chain_of(org, by_id) for org in organizations}
    derived = {org_id: derive_all(chain) for org_id, chain in chains.items()}

    own_ids = [org.id for org in organizations]
    secondary = await repository.addresses_by_organization(session, own_ids)
    default_address_ids = {
        value.value
        for values in derived.values()
        for column in ("billing_address_id", "shipping_address_id")
        if isinstance(value := values[column], Inherited) and isinstance(value.value, str)
    }
    known = {a.id: a for addresses in secondary.values() for a in addresses}
    known.update(await repository.addresses_by_id(session, default_address_ids - set(known)))

    site_rows: dict[tuple[str, str], models.SiteOrganizationProperties] = {}
    if site_id is not None:
        site_rows = await site_reads.site_properties(
            session, [(org_id, site_id) for chain in chains.values() for org_id in _ids(chain)]
        )
    effective: dict[str, dict[str, Inherited[object]]] = {}
    for org_id, chain in chains.items():
        effective[org_id] = {
            column: derive_site_value(
                _ids(chain),
                {
                    member: getattr(row, column)
                    for member in _ids(chain)
                    if (row := site_rows.get((member, site_id))) is not None
                }
                if site_id is not None
                else {},
            )
            for column in SITE_COLUMNS
        }
    contract_ids = {
        value
        for org_id in own_ids
        for value in (
            effective[org_id]["contract_id"].value,
            getattr(
                site_rows.get((org_id, site_id)) if site_id is not None else None,
                "contract_id",
                None,
            ),
        )
        if isinstance(value, str)
    }
    contracts = await site_reads.contracts_by_id(session, contract_ids)
    roles = await repository.roles_by_organization(session, own_ids)
    members = await repository.members_by_organization(session, own_ids)
    return [
        OrganizationView(
            organization=org,
            ancestors=ancestors_root_first(org, by_id),
            derived=derived[org.id],
            addresses=secondary.get(org.id, []),
            addresses_by_id=known,
            site_id=site_id,
            own_site_properties=site_rows.get((org.id, site_id)) if site_id is not None else None,
            effective_site_properties=effective[org.id],
            contracts=contracts,
            roles=roles.get(org.id, []),
            members=members.get(org.id, []),
        )
        for org in organizations
    ]


def _ids(chain: Sequence[models.Organization]) -> list[str]:
    return [org.id for org in chain]
