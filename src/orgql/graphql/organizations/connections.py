"""Relay-style connections of organizations with keyset cursors."""

from __future__ import annotations

import dataclasses

import strawberry

from orgql.core.access import checks as access
from orgql.core.common.errors import Codes, OrgqlError
from orgql.core.common.paging import DEFAULT_PAGE_SIZE, Unreadable, first_problem
from orgql.core.inheritance.rules import chain_of
from orgql.core.organizations import descendants, repository
from orgql.core.organizations import service as organizations
from orgql.db import models
from orgql.graphql import cursors
from orgql.graphql.context import Info
from orgql.graphql.errors import public_error
from orgql.graphql.organizations.filters import (
    DescendantsFilter,
    EffectiveSitePropertiesFilter,
    effective_to_core,
)
from orgql.graphql.organizations.types import Organization
from orgql.graphql.types import PageInfo


@strawberry.input(description="Conditions an organization must meet; all given ones apply.")
class OrganizationFilter:
    name_contains: str | None = strawberry.field(
        default=None, description="Substring of the name, case-insensitive."
    )
    parent_id: strawberry.ID | None = None
    roots_only: bool = strawberry.field(default=False, description="Only top-level organizations.")
    active: bool | None = None
    type: str | None = None
    customer_type: str | None = None
    effective: EffectiveSitePropertiesFilter | None = None
    external_organization_id: str | None = strawberry.field(
        default=None, description="Equal to the account's id in an external system."
    )
    unique_id: str | None = strawberry.field(default=None, description="Equal (own value).")
    duns_number: str | None = strawberry.field(default=None, description="Equal (own value).")
    party_number: str | None = strawberry.field(
        default=None, description="Equal: the account's party in customer data management."
    )

    async def to_core(self, info: Info) -> repository.OrganizationFilter:
        effective = await effective_to_core(self.effective, info)
        return repository.OrganizationFilter(
            name_contains=self.name_contains,
            parent_id=str(self.parent_id) if self.parent_id is not None else None,
            roots_only=self.roots_only,
            active=self.active,
            type=self.type,
            customer_type=self.customer_type,
            effective=effective,
            external_organization_id=self.external_organization_id,
            unique_id=self.unique_id,
            duns_number=self.duns_number,
            party_number=self.party_number,
        )


@strawberry.type
class OrganizationEdge:
    cursor: str
    node: Organization


@strawberry.type
class OrganizationConnection:
    where: strawberry.Private[repository.OrganizationFilter]
    edges: list[OrganizationEdge]
    page_info: PageInfo

    @strawberry.field(description="How many organizations match the filter (one COUNT query).")
    async def total_count(self, info: Info) -> int:
        where = self.where
        if where.ancestor_id is not None:
            # Descendants of a page's organizations: one grouped COUNT per distinct filter.
            key = (where.ancestor_id, dataclasses.replace(where, ancestor_id=None))
            return await info.context.loaders.descendant_count.load(key)
        if where == repository.OrganizationFilter(parent_id=where.parent_id) and where.parent_id:
            # Children of a page's organizations: one grouped COUNT for all of them.
            return await info.context.loaders.children_count.load(where.parent_id) or 0
        return await info.context.run(
            lambda session: repository.count_organizations(session, where)
        )


def _page_size(first: int | None) -> int:
    size = DEFAULT_PAGE_SIZE if first is None else first
    if (problem := first_problem(size)) is not None:
        raise public_error(OrgqlError(Codes.INVALID_INPUT, problem, "first"))
    return size


async def _connection(
    info: Info,
    where: repository.OrganizationFilter,
    page: repository.OrganizationPage,
    *,
    with_chains: bool,
) -> OrganizationConnection:
    loaders = info.context.loaders
    principal = info.context.principal
    for row in (*page.items, *page.ancestors):
        loaders.organization_by_id.prime(row.id, row)
    # The chains of the whole page now (its ancestors came with it, by their stored paths),
    # so that hierarchy and derived fields resolve synchronously. Child pages keep the lazy
    # path: their chains would start a batch of their own while sibling pages still load.
    chains: list[list[models.Organization] | None] = [None] * len(page.items)
    if with_chains:
        by_id = {row.id: row for row in (*page.ancestors, *page.items)}
        chains = [chain_of(row, by_id) for row in page.items]
        for row, chain in zip(page.items, chains, strict=True):
            loaders.chain_by_id.prime(row.id, chain)
    edges = [
        OrganizationEdge(
            cursor=cursors.organization_cursor(row.id),
            node=Organization.from_row(
                row, chain, context=info.context, view=access.listed_view(principal, row)
            ),
        )
        for row, chain in zip(page.items, chains, strict=True)
    ]
    return OrganizationConnection(
        where=where,
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None
        ),
    )


async def child_connection(
    info: Info, parent_id: str, first: int | None, after: str | None
) -> OrganizationConnection:
    """The children of one organization; the children of a whole page load in one batch."""
    size = _page_size(first)
    after_id = cursors.organization_after(after)
    if isinstance(after_id, Unreadable):
        raise public_error(OrgqlError(Codes.INVALID_INPUT, "not a cursor of this API", "after"))
    page = await info.context.loaders.children_page.load((parent_id, size, after_id))
    return await _connection(
        info, repository.OrganizationFilter(parent_id=parent_id), page, with_chains=False
    )


async def organization_connection(
    info: Info, first: int | None, after: str | None, where: OrganizationFilter | None
) -> OrganizationConnection:
    size = _page_size(first)
    core_filter = (
        await where.to_core(info) if where is not None else repository.OrganizationFilter()
    )
    core_filter = access.scoped_filter(info.context.principal, core_filter)
    try:
        page = await info.context.run(
            lambda session: organizations.list_page(
                session,
                core_filter,
                limit=size,
                after=cursors.organization_after(after),
                with_ancestors=True,
            )
        )
    except OrgqlError as error:
        raise public_error(error) from None
    return await _connection(info, core_filter, page, with_chains=True)


async def descendant_connection(
    info: Info,
    ancestor_id: str,
    first: int | None,
    after: str | None,
    where: DescendantsFilter | None,
) -> OrganizationConnection:
    """The descendants of one organization at any depth, ordered by id; the pages of a whole
    page of organizations load in one batch."""
    size = DEFAULT_PAGE_SIZE if first is None else first
    core_filter = (
        await where.to_core(info, ancestor_id)
        if where is not None
        else repository.OrganizationFilter(ancestor_id=ancestor_id)
    )
    try:
        after_id = descendants.check_page(size, cursors.organization_after(after), core_filter)
    except OrgqlError as error:
        raise public_error(error) from None
    key = (ancestor_id, size, after_id, dataclasses.replace(core_filter, ancestor_id=None))
    page = await info.context.loaders.descendant_page.load(key)
    return await _connection(info, core_filter, page, with_chains=False)
