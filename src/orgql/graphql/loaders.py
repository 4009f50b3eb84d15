"""Per-request DataLoaders, one per kind of read, each over one batch repository function.

A page of N organizations resolves ancestors, derived values, addresses and site values with
a constant number of statements: every resolver asks its loader, and strawberry gathers the
sibling resolvers so their keys meet in one batch.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from orgql.core.addresses import profile_addresses
from orgql.core.events import webhooks
from orgql.core.financial import repository as financial_reads
from orgql.core.financial.repository import AccountAddress
from orgql.core.history import point_in_time
from orgql.core.inheritance.rules import chain_of
from orgql.core.organizations import descendants, repository
from orgql.core.requests import reads as organization_request_reads
from orgql.core.sites import repository as site_reads
from orgql.core.sites import views as site_property_views
from orgql.core.sites.repository import ContractView
from orgql.db import financial_models, models, request_models

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: Runs a read with the request's session (serialised: one session, concurrent resolvers).
SessionRunner = Callable[[Callable[[AsyncSession], Awaitable[Any]]], Awaitable[Any]]

SiteKey = tuple[str, str]  # (organization id, site id)
ChainSiteKey = tuple[tuple[str, ...], str]  # (organization ids of a chain, site id)
ChildrenKey = tuple[str, int, str | None]  # (parent id, page size, after id)
#: (ancestor id, page size, after id, filter without its ancestor)
DescendantsKey = tuple[str, int, str | None, repository.OrganizationFilter]
DescendantCountKey = tuple[str, repository.OrganizationFilter]  # (ancestor id, filter)
DeliveriesKey = tuple[uuid.UUID, str | None, int]  # (subscription id, status, how many)


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
    #: An organization followed by its ancestors, nearest first.
    chain_by_id: DataLoader[str, list[models.Organization] | None]
    address_by_id: DataLoader[str, models.Address | None]
    addresses_by_organization: DataLoader[str, list[models.Address] | None]
    #: Own per-site values of each organization of a chain, in the chain's order.
    site_properties_of_chain: DataLoader[
        ChainSiteKey, list[models.SiteOrganizationProperties | None]
    ]
    site_properties_by_organization: DataLoader[str, list[models.SiteOrganizationProperties] | None]
    contract_by_id: DataLoader[str, ContractView | None]
    roles_by_organization: DataLoader[str, list[models.RelativeRole] | None]
    members_by_organization: DataLoader[str, list[models.Profile] | None]
    site_by_id: DataLoader[str, models.Site | None]
    children_page: DataLoader[ChildrenKey, repository.OrganizationPage]
    children_count: DataLoader[str, int | None]
    descendant_page: DataLoader[DescendantsKey, repository.OrganizationPage]
    descendant_count: DataLoader[DescendantCountKey, int]
    customer_accounts_by_organization: DataLoader[
        str, list[financial_models.CustomerAccount] | None
    ]
    addresses_by_customer_account: DataLoader[str, list[AccountAddress] | None]
    billing_addresses_by_organization: DataLoader[str, list[models.Address] | None]
    organization_request_by_id: DataLoader[str, request_models.OrganizationRequest | None]
    profile_by_id: DataLoader[str, models.Profile | None]
    address_type_by_id: DataLoader[str, request_models.AddressType | None]
    webhook_deliveries: DataLoader[DeliveriesKey, list[webhooks.DeliveryView]]
    #: A profile's own addresses (readable by whom: core.addresses.profile_addresses).
    addresses_by_profile: DataLoader[str, list[models.Address] | None]

    def clear(self) -> None:
        """Forget every cached value (the request is over)."""
        for loader in vars(self).values():
            loader.clear_all()
            loader.batch = None  # the last batch: its keys, futures and values


def _chains(
    organizations: DataLoader[str, models.Organization | None],
) -> DataLoader[str, list[models.Organization] | None]:
    """Chains through one loader, so that every organization of a page gets its chain at the
    same moment, roots and organizations whose ancestors are cached included.

    Awaiting ``organization_by_id`` directly, an organization resumes after zero, one or
    several event-loop turns depending on its depth and on what is cached; the loads it
    makes next (addresses, site values, contracts) then fall into different batches, and a
    page costs more statements the more varied it is."""

    async def load(ids: list[str]) -> Sequence[list[models.Organization] | None]:
        rows = await organizations.load_many(ids)
        wanted = list(dict.fromkeys(a for row in rows if row is not None for a in row.path))
        ancestors = await organizations.load_many(wanted)
        by_id = {a.id: a for a in ancestors if a is not None}
        return [chain_of(row, by_id) if row is not None else None for row in rows]

    return DataLoader(load_fn=load)


def _site_properties(
    run: SessionRunner, contracts: DataLoader[str, ContractView | None]
) -> DataLoader[ChainSiteKey, list[models.SiteOrganizationProperties | None]]:
    """Own per-site values along chains; the contracts they name come in the same statement
    and prime ``contracts``, so that effective values with their contract cost one batch,
    not two. Keyed by chain, not by organization: one load per organization of a page
    instead of one per organization of its chain."""

    async def load(
        keys: list[ChainSiteKey],
    ) -> Sequence[list[models.SiteOrganizationProperties | None]]:
        wanted = list(dict.fromkeys((org_id, site) for chain, site in keys for org_id in chain))
        rows, views = await run(
            lambda session: site_property_views.site_properties_with_contracts(session, wanted)
        )
        for contract_id, view in views.items():
            contracts.prime(contract_id, view)
        return [[rows.get((org_id, site)) for org_id in chain] for chain, site in keys]

    return DataLoader(load_fn=load)


def _site_properties_as_of(
    run: SessionRunner, as_of: datetime
) -> DataLoader[ChainSiteKey, list[models.SiteOrganizationProperties | None]]:
    """:func:`_site_properties` at the instant ``as_of``, from the history. The contracts
    the values name are read as they are now (a contract change writes a new contract), by
    the live ``contract_by_id`` loader in a batch of their own."""

    async def load(
        keys: list[ChainSiteKey],
    ) -> Sequence[list[models.SiteOrganizationProperties | None]]:
        wanted = list(dict.fromkeys((org_id, site) for chain, site in keys for org_id in chain))
        rows = await run(
            lambda session: point_in_time.site_properties_as_of(session, wanted, as_of)
        )
        return [[rows.get((org_id, site)) for org_id in chain] for chain, site in keys]

    return DataLoader(load_fn=load)


def _children_pages(run: SessionRunner) -> DataLoader[ChildrenKey, repository.OrganizationPage]:
    """Child pages of many parents: one statement per distinct (size, after) in the batch —
    in practice one, since sibling fields share their arguments."""

    async def load(keys: list[ChildrenKey]) -> Sequence[repository.OrganizationPage]:
        by_page: dict[tuple[int, str | None], list[str]] = {}
        for parent, size, after in keys:
            by_page.setdefault((size, after), []).append(parent)
        pages: dict[ChildrenKey, repository.OrganizationPage] = {}
        for (size, after), parents in by_page.items():

            async def fetch(
                session: AsyncSession,
                parents: list[str] = parents,
                size: int = size,
                after: str | None = after,
            ) -> dict[str, repository.OrganizationPage]:
                return await repository.children_pages(session, parents, limit=size, after_id=after)

            found = await run(fetch)
            pages.update({(parent, size, after): found[parent] for parent in parents})
        return [pages[key] for key in keys]

    return DataLoader(load_fn=load)


def _descendant_pages(
    run: SessionRunner,
) -> DataLoader[DescendantsKey, repository.OrganizationPage]:
    """Descendant pages of many ancestors: one statement per distinct (size, after, filter)
    in the batch; sibling fields share their arguments, so in practice one."""

    async def load(keys: list[DescendantsKey]) -> Sequence[repository.OrganizationPage]:
        groups: dict[tuple[int, str | None, repository.OrganizationFilter], list[str]] = {}
        for ancestor, size, after, where in keys:
            groups.setdefault((size, after, where), []).append(ancestor)
        pages: dict[DescendantsKey, repository.OrganizationPage] = {}
        for (size, after, where), ancestors in groups.items():

            async def fetch(
                session: AsyncSession,
                ancestors: list[str] = ancestors,
                size: int = size,
                after: str | None = after,
                where: repository.OrganizationFilter = where,
            ) -> dict[str, repository.OrganizationPage]:
                return await descendants.descendant_pages(
                    session, ancestors, where, limit=size, after_id=after
                )

            found = await run(fetch)
            pages.update({(a, size, after, where): found[a] for a in ancestors})
        return [pages[key] for key in keys]

    return DataLoader(load_fn=load)


def _descendant_counts(run: SessionRunner) -> DataLoader[DescendantCountKey, int]:
    """Descendant counts of many ancestors: one grouped COUNT per distinct filter."""

    async def load(keys: list[DescendantCountKey]) -> Sequence[int]:
        groups: dict[repository.OrganizationFilter, list[str]] = {}
        for ancestor, where in keys:
            groups.setdefault(where, []).append(ancestor)
        counts: dict[DescendantCountKey, int] = {}
        for where, ancestors in groups.items():

            async def fetch(
                session: AsyncSession,
                ancestors: list[str] = ancestors,
                where: repository.OrganizationFilter = where,
            ) -> dict[str, int]:
                return await descendants.descendant_counts(session, ancestors, where)

            found = await run(fetch)
            counts.update({(a, where): found.get(a, 0) for a in ancestors})
        return [counts[key] for key in keys]

    return DataLoader(load_fn=load)


def _webhook_deliveries(
    run: SessionRunner,
) -> DataLoader[DeliveriesKey, list[webhooks.DeliveryView]]:
    """The latest deliveries of many subscriptions: one statement per distinct (status,
    first) in the batch."""

    async def load(keys: list[DeliveriesKey]) -> Sequence[list[webhooks.DeliveryView]]:
        groups: dict[tuple[str | None, int], list[uuid.UUID]] = {}
        for subscription_id, status, first in keys:
            groups.setdefault((status, first), []).append(subscription_id)
        found: dict[DeliveriesKey, list[webhooks.DeliveryView]] = {}
        for (status, first), ids in groups.items():

            async def fetch(
                session: AsyncSession,
                ids: list[uuid.UUID] = ids,
                status: str | None = status,
                first: int = first,
            ) -> dict[uuid.UUID, list[webhooks.DeliveryView]]:
                return await webhooks.deliveries(session, ids, status=status, limit=first)

            views = await run(fetch)
            found.update({(key, status, first): views[key] for key in ids})
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)


def make_loaders(run: SessionRunner) -> Loaders:
    r = run  # the same runner serves every loader; each batch is one statement
    organization_by_id = _mapped(r, repository.organizations_by_id)
    contract_by_id = _mapped(r, site_reads.contracts_by_id)
    return Loaders(
        organization_by_id=organization_by_id,
        chain_by_id=_chains(organization_by_id),
        address_by_id=_mapped(r, repository.addresses_by_id),
        addresses_by_organization=_mapped(r, repository.addresses_by_organization, list),
        site_properties_of_chain=_site_properties(r, contract_by_id),
        site_properties_by_organization=_mapped(
            r,
            site_reads.site_properties_by_organization,
            list,
        ),
        contract_by_id=contract_by_id,
        roles_by_organization=_mapped(r, repository.roles_by_organization, list),
        members_by_organization=_mapped(r, repository.members_by_organization, list),
        site_by_id=_mapped(r, site_reads.sites_by_id),
        children_page=_children_pages(r),
        children_count=_mapped(r, repository.children_counts),
        descendant_page=_descendant_pages(r),
        descendant_count=_descendant_counts(r),
        customer_accounts_by_organization=_mapped(
            r, financial_reads.customer_accounts_by_organization, list
        ),
        addresses_by_customer_account=_mapped(
            r, financial_reads.addresses_by_customer_account, list
        ),
        billing_addresses_by_organization=_mapped(
            r, financial_reads.billing_addresses_by_organization, list
        ),
        organization_request_by_id=_mapped(r, organization_request_reads.requests_by_id),
        profile_by_id=_mapped(r, organization_request_reads.profiles_by_id),
        address_type_by_id=_mapped(r, organization_request_reads.address_types_by_id),
        webhook_deliveries=_webhook_deliveries(r),
        addresses_by_profile=_mapped(r, profile_addresses.addresses_by_profile, list),
    )


def make_loaders_as_of(run: SessionRunner, current: Loaders, as_of: datetime) -> Loaders:
    """Loaders reading organizations, addresses, site values and memberships as they were at
    ``as_of`` (core.history.point_in_time). Contracts (a change writes a new one), sites, roles and
    profiles are read as they are now, through the ``current`` loaders."""

    def at(
        fetch: Callable[[AsyncSession, list[K], datetime], Awaitable[dict[K, V]]],
    ) -> Callable[[AsyncSession, list[K]], Awaitable[dict[K, V]]]:
        return lambda session, keys: fetch(session, keys, as_of)

    r = run
    organization_by_id = _mapped(r, at(point_in_time.organizations_as_of))
    return replace(
        current,
        organization_by_id=organization_by_id,
        chain_by_id=_chains(organization_by_id),
        address_by_id=_mapped(r, at(point_in_time.addresses_as_of)),
        addresses_by_organization=_mapped(
            r, at(point_in_time.addresses_by_organization_as_of), list
        ),
        site_properties_of_chain=_site_properties_as_of(r, as_of),
        site_properties_by_organization=_mapped(
            r, at(point_in_time.site_properties_by_organization_as_of), list
        ),
        members_by_organization=_mapped(r, at(point_in_time.members_by_organization_as_of), list),
    )
