"""Per-request DataLoaders, one per kind of read, each over one batch repository function.

A page of N organizations resolves ancestors, derived values, addresses and site values with
a constant number of statements: every resolver asks its loader, and strawberry gathers the
sibling resolvers so their keys meet in one batch.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from orgql.core import repository
from orgql.core.repository import ContractView
from orgql.db import models

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: Runs a read with the request's session (serialised: one session, concurrent resolvers).
SessionRunner = Callable[[Callable[[AsyncSession], Awaitable[Any]]], Awaitable[Any]]

SiteKey = tuple[str, str]  # (organization id, site id)


def _mapped(
    run: SessionRunner,
    fetch: Callable[[AsyncSession, list[K]], Awaitable[dict[K, V]]],
    default: Callable[[], V | None] = lambda: None,
) -> DataLoader[K, V | None]:
    async def load(keys: list[K]) -> Sequence[V | None]:
        found = await run(lambda session: fetch(session, keys))
        return [found.get(key, default()) for key in keys]

    return DataLoader(load_fn=load)


@dataclass
class Loaders:
    organization_by_id: DataLoader[str, models.Organization | None]
    address_by_id: DataLoader[str, models.Address | None]
    addresses_by_organization: DataLoader[str, list[models.Address] | None]
    site_properties_by_key: DataLoader[SiteKey, models.SiteOrganizationProperties | None]
    site_properties_by_organization: DataLoader[str, list[models.SiteOrganizationProperties] | None]
    contract_by_id: DataLoader[str, ContractView | None]
    roles_by_organization: DataLoader[str, list[models.RelativeRole] | None]
    members_by_organization: DataLoader[str, list[models.Profile] | None]
    site_by_id: DataLoader[str, models.Site | None]


def make_loaders(run: SessionRunner) -> Loaders:
    r = run  # the same runner serves every loader; each batch is one statement
    return Loaders(
        organization_by_id=_mapped(r, repository.organizations_by_id),
        address_by_id=_mapped(r, repository.addresses_by_id),
        addresses_by_organization=_mapped(r, repository.addresses_by_organization, list),
        site_properties_by_key=_mapped(r, repository.site_properties),
        site_properties_by_organization=_mapped(
            r,
            repository.site_properties_by_organization,
            list,
        ),
        contract_by_id=_mapped(r, repository.contracts_by_id),
        roles_by_organization=_mapped(r, repository.roles_by_organization, list),
        members_by_organization=_mapped(r, repository.members_by_organization, list),
        site_by_id=_mapped(r, repository.sites_by_id),
    )
