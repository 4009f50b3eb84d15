"""How the Organization type's fields read: the chain, derived and per-site values, through
the request's live loaders or, in a point-in-time read, through the loaders of its instant."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry

from orgql.core.common.errors import Codes, OrgqlError
from orgql.core.inheritance.rules import Inherited, derive, derive_site_value
from orgql.core.organizations.service import unknown_site
from orgql.db import models
from orgql.graphql.context import Info
from orgql.graphql.errors import public_error
from orgql.graphql.loaders import Loaders
from orgql.graphql.organizations.breadcrumbs import refuse_breadcrumb
from orgql.graphql.organizations.columns import OrganizationColumns
from orgql.graphql.types import Address

T = TypeVar("T")


def loaders_of(organization: OrganizationColumns) -> Loaders:
    """Live loaders, or those of the instant of a point-in-time read (not for a shopper's
    breadcrumb: what loads is refused on it)."""
    refuse_breadcrumb(organization.row)
    return organization.context.loaders_at(organization.as_of)


def not_historical(organization: OrganizationColumns, field: str) -> None:
    """Fields without history are refused in a point-in-time read rather than answered
    with today's values under yesterday's organization."""
    if organization.as_of is not None:
        raise public_error(
            OrgqlError(
                Codes.INVALID_INPUT,
                f"{field} is not available in a point-in-time read (asOf)",
                field,
            )
        )


async def chain(organization: OrganizationColumns) -> list[models.Organization]:
    """The organization's row and its ancestors, nearest first: one batched load for a page."""
    refuse_breadcrumb(organization.row)
    row = organization.row
    found = await loaders_of(organization).chain_by_id.load(row.id)
    # The row itself is always loaded (primed by pages, or read by id) before its fields.
    return found if found is not None else [row]


def with_chain(
    organization: OrganizationColumns, compute: Callable[[list[models.Organization]], T]
) -> T | Awaitable[T]:
    """``compute`` over the organization's chain: at once when the chain came with the row
    (pages and ancestors: a sync resolver, no task, no loader round), else after the batched
    load. graphql-core awaits a resolver's result only when it is awaitable."""
    if organization.chain is not None:
        return compute(organization.chain)
    refuse_breadcrumb(organization.row)  # a breadcrumb comes without its chain

    async def later() -> T:
        return compute(await chain(organization))

    return later()


async def derived_async(organization: OrganizationColumns, column: str) -> Any:
    return derive(await chain(organization), column).value


def derived(organization: OrganizationColumns, column: str) -> Any:
    if column in organization.withheld:
        return None
    return with_chain(organization, lambda found: derive(found, column).value)


async def site_id_of(info: Info, site: strawberry.ID | None) -> str | None:
    """The site of site-specific values: the argument, else the x-ccsite header, else the
    default site. A site that does not exist is the caller's error, not a silent null."""
    if site is None and info.context.site_header is None:
        default = await info.context.default_site()
        return default.id if default else None
    site_id, where = (
        (str(site), "site") if site is not None else (info.context.site_header, "x-ccsite")
    )
    assert site_id is not None
    if await info.context.loaders.site_by_id.load(site_id) is None:
        raise public_error(unknown_site(site_id, where))
    return site_id


async def site_rows(
    organization: OrganizationColumns, site_id: str
) -> tuple[list[str], list[models.SiteOrganizationProperties | None]]:
    """The ids of the organization's chain and each one's own row on ``site_id`` (None where
    it has none): one load per chain, a page's in one batch."""
    ids = [org.id for org in organization.chain or await chain(organization)]
    rows = await loaders_of(organization).site_properties_of_chain.load((tuple(ids), site_id))
    return ids, rows


async def effective_site_value(
    organization: OrganizationColumns, site_id: str, column: str
) -> Inherited[Any]:
    """The per-site value inherited along the chain within ``site_id``."""
    ids, rows = await site_rows(organization, site_id)
    own = {org_id: getattr(r, column) for org_id, r in zip(ids, rows, strict=True) if r}
    return derive_site_value(ids, own)


async def own_site_value(
    info: Info, organization: OrganizationColumns, site: strawberry.ID | None, column: str
) -> Any:
    refuse_breadcrumb(organization.row)
    site_id = await site_id_of(info, site)
    if site_id is None or column in organization.withheld:
        return None
    # Read along the chain like the inherited value (the extra keys cost nothing: one batch),
    # so that own and inherited values of a page share one batch of site properties and
    # one of contracts instead of taking a batch each.
    effective = await effective_site_value(organization, site_id, column)
    return effective.value if effective.source_id == organization.row.id else None


async def address(organization: OrganizationColumns, address_id: object) -> Address | None:
    if not isinstance(address_id, str):
        return None
    return Address.from_row(await loaders_of(organization).address_by_id.load(address_id))


async def address_type(organization: OrganizationColumns, address_id: object) -> str | None:
    if not isinstance(address_id, str):
        return None
    row = await loaders_of(organization).address_by_id.load(address_id)
    return row.address_type if row else None
