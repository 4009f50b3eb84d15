"""``node(id)`` and ``nodes(ids)``: refetching any object by its global id
(graphql.global_ids), as Relay and normalised client caches do.

Who may read what is the rule of the type's own query: sites are public; an organization,
as ``organization(id)`` answers it (a shopper: their accounts, an ancestor never by id); a
profile or a customer account or an address through an organization the caller may read (a
shopper: one of their accounts), and so an organization's role (RelativeRole); a profile's
address, an admin any, a shopper their own; a contract, a catalog or a price list group, for
a shopper, when in effect on one of their active accounts (core.access.refetch); requests,
address types, contacts, a role with its holders (OrganizationalRole) and webhooks, admins
only. What the caller may not read is null, exactly as an id that names nothing: a shopper
learns nothing from it. A caller with no valid token gets UNAUTHENTICATED for any type but a
site, as from the type's own query. A value that is no global id is a top-level error with
code 100002 (never a 500).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.access import checks as access
from orgql.core.access import refetch
from orgql.core.access.checks import EVERYTHING
from orgql.core.addresses import profile_addresses
from orgql.core.common.errors import Codes, OrgqlError
from orgql.core.events import webhooks
from orgql.core.financial import repository as financial_reads
from orgql.core.people import repository as people_reads
from orgql.core.people.views import load_views
from orgql.graphql.context import Info
from orgql.graphql.errors import public_error
from orgql.graphql.events.operations import WebhookSubscription
from orgql.graphql.financial.operations import CustomerAccount
from orgql.graphql.global_ids import MAX_NODES, GlobalRef, Node, decode
from orgql.graphql.organizations.types import Organization
from orgql.graphql.people.types import Contact, OrganizationalRole
from orgql.graphql.requests.types import AddressType, OrganizationRequest
from orgql.graphql.types import (
    Address,
    Catalog,
    Contract,
    PriceListGroup,
    Profile,
    ProfileAddress,
    RelativeRole,
    Site,
)

R = TypeVar("R")

#: Types anyone may read (``sites`` takes no token).
PUBLIC_TYPES = frozenset({"Site"})
#: Types only admins read (their queries are admin operations).
ADMIN_TYPES = frozenset(
    {"OrganizationRequest", "AddressType", "WebhookSubscription", "Contact", "OrganizationalRole"}
)


def _global(value: str, argument: str) -> GlobalRef:
    """The decoded global id, else a 100002 error naming the argument."""
    ref = value if isinstance(value, GlobalRef) else decode(value)
    if ref is None:
        shown = value if len(value) <= 40 else f"{value[:40]}…"
        raise public_error(
            OrgqlError(Codes.INVALID_INPUT, f"{shown!r} is not a global id", argument)
        )
    return ref


async def _fetch(info: Info, refs: Sequence[GlobalRef]) -> list[Node | None]:
    """The objects ``refs`` name, in order, null where none or not readable; one batch per
    type asked for."""
    context = info.context
    principal = context.principal
    signed_in = principal.is_admin or principal.is_shopper
    if not signed_in and any(ref.type_name not in PUBLIC_TYPES for ref in refs):
        raise GraphQLError(
            principal.problem or "an access token is required",
            extensions={"code": "UNAUTHENTICATED"},
        )
    wanted: dict[str, list[str]] = defaultdict(list)
    for ref in refs:
        if principal.is_admin or ref.type_name not in ADMIN_TYPES:
            wanted[ref.type_name].append(ref.vendor_id)
    found: dict[tuple[str, str], Node] = {}
    for type_name, ids in wanted.items():
        for vendor_id, node in (await _READERS[type_name](info, ids)).items():
            found[type_name, vendor_id] = node
    return [found.get((ref.type_name, ref.vendor_id)) for ref in refs]


async def _organizations(info: Info, ids: list[str]) -> dict[str, Any]:
    seen = await info.context.access()
    readable = [i for i in ids if seen.may_read(i) or seen.lenders]
    rows = await info.context.loaders.organization_by_id.load_many(readable)
    return {
        row.id: Organization.from_row(row, context=info.context, view=seen.view(row))
        for row in rows
        if row is not None and seen.may_read(row.id, row.path)
    }


async def _profiles(info: Info, ids: list[str]) -> dict[str, Any]:
    rows = await info.context.loaders.profile_by_id.load_many(ids)
    if not info.context.principal.is_admin:  # a member of one of the shopper's accounts
        memberships = await info.context.run(lambda session: people_reads.memberships(session, ids))
        seen = await info.context.access()
        readable = await _readable_organizations(info, seen, memberships.values())
        allowed = {i for i in ids if not readable.isdisjoint(memberships.get(i, ()))}
        rows = [row for row in rows if row is not None and row.id in allowed]
    return {row.id: Profile.from_row(row) for row in rows if row is not None}


async def _profile_addresses(info: Info, ids: list[str]) -> dict[str, Any]:
    principal = info.context.principal
    rows = await info.context.run(
        lambda session: profile_addresses.addresses_by_id(session, principal, ids)
    )
    return {i: ProfileAddress.from_row(row) for i, row in rows.items()}


async def _customer_accounts(info: Info, ids: list[str]) -> dict[str, Any]:
    rows = await info.context.run(
        lambda session: financial_reads.customer_accounts_by_id(session, ids)
    )
    seen = await info.context.access()
    organizations = [row.organization_id for row in rows.values()]
    readable = await _readable_organizations(info, seen, [organizations])
    return {
        i: CustomerAccount.from_row(row)
        for i, row in rows.items()
        if row.organization_id in readable
    }


async def _readable_organizations(
    info: Info, seen: access.Access, groups: Iterable[Iterable[str]]
) -> set[str]:
    """Which of the organizations in ``groups`` the caller may read (their paths read, in
    one batch, only when the caller has lending memberships: core.access.checks)."""
    ids = {i for group in groups for i in group}
    if seen.everything or not seen.lenders:
        return {i for i in ids if seen.may_read(i)}
    rows = await info.context.loaders.organization_by_id.load_many(sorted(ids))
    return {row.id for row in rows if row is not None and seen.may_read(row.id, row.path)}


async def _sites(info: Info, ids: list[str]) -> dict[str, Any]:
    rows = await info.context.loaders.site_by_id.load_many(ids)
    return {row.id: Site.from_row(row) for row in rows if row is not None}


async def _requests(info: Info, ids: list[str]) -> dict[str, Any]:
    rows = await info.context.loaders.organization_request_by_id.load_many(ids)
    return {row.id: OrganizationRequest.from_row(row) for row in rows if row is not None}


async def _address_types(info: Info, ids: list[str]) -> dict[str, Any]:
    rows = await info.context.loaders.address_type_by_id.load_many(ids)
    return {
        row.id: AddressType(
            repository_id=strawberry.ID(row.id),
            display_name=row.display_name,
        )
        for row in rows
        if row is not None
    }


async def _webhooks(info: Info, ids: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for subscription_id in ids:  # admins only, a bounded few: one read each
        try:
            row = await info.context.run(partial(webhooks.get, subscription_id=subscription_id))
        except OrgqlError:  # not a UUID, or none with it: nothing
            continue
        found[subscription_id] = WebhookSubscription.from_row(row)
    return found


def _refetched(
    read: Callable[[AsyncSession, access.Access, list[str]], Awaitable[Mapping[str, R]]],
    build: Callable[[str, R], Any],
) -> Callable[[Info, list[str]], Awaitable[dict[str, Any]]]:
    """The reader of a type whose rule is a core.access.refetch function: what ``read`` finds
    the caller may read, each built by ``build`` from its id and row."""

    async def reader(info: Info, ids: list[str]) -> dict[str, Any]:
        seen = await info.context.access()
        found = await info.context.run(lambda session: read(session, seen, ids))
        return {i: build(i, row) for i, row in found.items()}

    return reader


_addresses = _refetched(refetch.addresses, lambda _, row: Address.from_row(row))
_contracts = _refetched(refetch.contracts, lambda _, view: Contract.from_view(view))
_catalogs = _refetched(
    refetch.catalogs,
    lambda i, r: Catalog(repository_id=strawberry.ID(i), display_name=r.display_name),
)
_price_list_groups = _refetched(
    refetch.price_list_groups,
    lambda i, r: PriceListGroup(repository_id=strawberry.ID(i), display_name=r.display_name),
)
_relative_roles = _refetched(
    refetch.roles,
    lambda i, row: RelativeRole(repository_id=strawberry.ID(i), function=row.function),
)


async def _contacts(info: Info, ids: list[str]) -> dict[str, Any]:
    rows = [row for row in await info.context.loaders.profile_by_id.load_many(ids) if row]
    views = await info.context.run(lambda session: load_views(session, rows))
    return {view.profile.id: Contact.of(view) for view in views}


async def _organizational_roles(info: Info, ids: list[str]) -> dict[str, Any]:
    async def read(session: AsyncSession) -> dict[str, Any]:  # admins only
        rows = await refetch.roles(session, EVERYTHING, ids)
        holders = await people_reads.holders_by_role(session, list(rows))
        return {i: OrganizationalRole.of(row, holders[i]) for i, row in rows.items()}

    return await info.context.run(read)


_READERS = {
    "RelativeRole": _relative_roles,
    "OrganizationalRole": _organizational_roles,
    "Address": _addresses,
    "Contract": _contracts,
    "Catalog": _catalogs,
    "PriceListGroup": _price_list_groups,
    "Contact": _contacts,
    "Organization": _organizations,
    "Profile": _profiles,
    "ProfileAddress": _profile_addresses,
    "CustomerAccount": _customer_accounts,
    "Site": _sites,
    "OrganizationRequest": _requests,
    "AddressType": _address_types,
    "WebhookSubscription": _webhooks,
}


@strawberry.type
class NodeQueries:
    @strawberry.field(
        description="The object with this global id; null if there is none or the caller may"
        " not read it (as the type's own query answers)."
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return (await _fetch(info, [_global(id, "id")]))[0]

    @strawberry.field(
        description=f"The objects with these global ids, in order (at most {MAX_NODES}); null"
        " for each there is none of, or the caller may not read."
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > MAX_NODES:
            raise public_error(
                OrgqlError(Codes.INVALID_INPUT, f"ids holds at most {MAX_NODES} ids", "ids")
            )
        return await _fetch(info, [_global(i, "ids") for i in ids])
