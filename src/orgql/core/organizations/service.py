"""Organizations: create, read one, list. Rules of createOrganization.txt and DOMAIN.md.

Services flush and never commit: the transport owns the unit of work, so a failed call
changes nothing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.errors import Codes, ErrorKind, OrgqlError, quoted
from orgql.core.common.names import text_key
from orgql.core.common.paging import Unreadable, limit_problem, offset_problem
from orgql.core.common.validation import (
    Problems,
    is_storable_text,
    unstorable_fields,
)
from orgql.core.events import outbox as events
from orgql.core.organizations import create_reads, references, repository
from orgql.core.organizations.input import NewOrganization
from orgql.core.organizations.site_input import SiteProperties
from orgql.core.organizations.sorting import SortKey
from orgql.core.people import memberships
from orgql.core.people.roles import ROLE_FUNCTIONS
from orgql.core.sites import contracts
from orgql.core.sites import repository as site_reads
from orgql.db import models

#: Levels of the deepest organization chain (a root is level 1): create and move refuse an
#: organization below it, so an organization has at most MAX_HIERARCHY_DEPTH - 1 ancestors
#: (GraphQL's cost counts ``ancestorOrganizations`` as that many).
MAX_HIERARCHY_DEPTH = 64


async def resolve_site(
    session: AsyncSession, site_id: str | None, *, field: str = "site"
) -> models.Site | None:
    """The named site, or the default site when ``site_id`` is None (None if there is none).

    An unknown ``site_id`` is the caller's error (100002); so is one PostgreSQL text cannot
    hold (a NUL, a lone surrogate), which names no site."""
    if site_id is None:
        return await site_reads.default_site(session)
    site = await session.get(models.Site, site_id) if is_storable_text(site_id) else None
    if site is None:
        raise unknown_site(site_id, field)
    return site


def unknown_site(site_id: str, field: str) -> OrgqlError:
    return OrgqlError(Codes.INVALID_INPUT, f"Site {quoted(site_id)} does not exist", field)


def not_found(organization_id: str) -> OrgqlError:
    return OrgqlError(
        Codes.ORGANIZATION_NOT_FOUND,
        f"Organization {quoted(organization_id)} does not exist",
        "id",
        ErrorKind.NOT_FOUND,
    )


async def get(session: AsyncSession, organization_id: str) -> models.Organization:
    found = await repository.organizations_by_id(session, [organization_id])
    organization = found.get(organization_id)
    if organization is None:
        raise not_found(organization_id)
    return organization


async def locked(session: AsyncSession, organization_id: str) -> models.Organization:
    """The organization, its row locked until the transaction ends, read afresh (the lock
    may have waited for another writer's commit)."""
    organization = None
    if is_storable_text(organization_id):
        organization = await session.scalar(
            select(models.Organization)
            .where(models.Organization.id == organization_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    if organization is None:
        raise not_found(organization_id)
    return organization


async def create(
    session: AsyncSession, new: NewOrganization, *, site_id: str | None = None
) -> models.Organization:
    """:func:`create_with_chain`'s organization."""
    return (await create_with_chain(session, new, site_id=site_id)).organization


@dataclass(frozen=True)
class Created:
    organization: models.Organization
    #: The organization and its ancestors, nearest first (read on the way: the reply's
    #: derived values and ancestors need not read them again).
    chain: list[models.Organization]
    #: The site its site-specific values went to (the one named, else the default; None:
    #: no site), found by the create's first statement: the reply reads no site row again.
    site_id: str | None


async def create_with_chain(
    session: AsyncSession, new: NewOrganization, *, site_id: str | None = None
) -> Created:
    """Create an organization with its addresses, roles, members and site properties.

    Site-specific values go to ``site_id`` (the ``x-ccsite`` header) or the default site.
    Every reference is checked; the database enforces the name's uniqueness as well, so of
    two concurrent creates of one name exactly one succeeds (100005 for the other). No
    move runs meanwhile (:mod:`move_lock`): the new organization's path, copied from its
    parent's, cannot be left behind by a concurrent move of an ancestor.
    """
    if site_id is not None and not is_storable_text(site_id):
        raise unknown_site(site_id, "x-ccsite")
    begun = await create_reads.begin(
        session,
        site_id=site_id,
        hold_off_moves=new.parent_id is not None,
        id_count=1 + len(ROLE_FUNCTIONS) + len(new.addresses),
    )
    if site_id is not None and begun.site_id is None:
        raise unknown_site(site_id, "x-ccsite")
    chain = await create_reads.parent_chain(session, new.parent_id) if new.parent_id else []
    problems = Problems()
    await check_references(session, new, problems, parent_chain=chain)
    if not new.site_properties.is_empty() and begun.site_id is None:
        problems.add(
            Codes.INVALID_INPUT,
            "no site to store site-specific properties on: name one or configure a default site",
            "x-ccsite",
        )
    problems.raise_if_any()
    # The name's uniqueness: the insert's unique index answers (integrity_error), as for two
    # concurrent creates of one name.

    ids = begun.ids
    organization_id, role_ids = ids[0], ids[1 : 1 + len(ROLE_FUNCTIONS)]
    address_ids = ids[1 + len(ROLE_FUNCTIONS) :]

    billing_id = new.billing_address_id
    shipping_id = new.shipping_address_id
    for address, address_id in zip(new.addresses, address_ids, strict=True):
        if address.default_billing:
            billing_id = address_id
        if address.default_shipping:
            shipping_id = address_id

    organization = models.Organization(
        id=organization_id,
        name=new.name,
        parent_id=new.parent_id,
        billing_address_id=billing_id,
        shipping_address_id=shipping_id,
        dynamic_properties=new.dynamic_properties,
        **new.columns,
    )
    session.add(organization)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise integrity_error(exc, new.name) from None

    session.add_all(
        models.Address(
            id=address_id,
            organization_id=organization_id,
            address_type=address.address_type,
            **address.fields,
        )
        for address, address_id in zip(new.addresses, address_ids, strict=True)
    )
    session.add_all(
        models.RelativeRole(id=role_id, organization_id=organization_id, function=function)
        for role_id, function in zip(role_ids, ROLE_FUNCTIONS, strict=True)
    )
    session.add_all(
        models.OrganizationMember(organization_id=organization_id, profile_id=profile_id)
        for profile_id in new.member_ids
    )
    try:
        # _write_site_properties flushes too (contract terms before the contract).
        if begun.site_id is not None and not new.site_properties.is_empty():
            await _write_site_properties(
                session, organization_id, begun.site_id, new.site_properties
            )
        await session.flush()
    except IntegrityError as exc:
        raise integrity_error(exc, new.name) from None
    data = {
        "id": organization_id,
        "name": organization.name,
        "parentOrganizationId": new.parent_id,
        "siteId": begun.site_id,
    }
    created = events.Event(events.EventType.ORGANIZATION_CREATED, organization_id, data)
    members = (
        await memberships.joined(session, organization_id, new.member_ids) if new.member_ids else []
    )
    await events.emit_many(session, [created, *members])
    return Created(organization, [organization, *chain], begun.site_id)


async def _write_site_properties(
    session: AsyncSession,
    organization_id: str,
    site_id: str,
    values: SiteProperties,
) -> None:
    contract_id = None
    if values.contract is not None:
        contract_id = await contracts.insert(session, values.contract)
    session.add(
        models.SiteOrganizationProperties(
            organization_id=organization_id,
            site_id=site_id,
            contract_id=contract_id,
            **values.values,
        )
    )


async def name_taken(session: AsyncSession, name: str, other_than: str | None = None) -> bool:
    """Whether an organization (other than ``other_than``) has ``name`` already: names
    compare case-insensitively after trimming (DOMAIN.md), as the unique index on
    ``name_key`` does."""
    org = models.Organization
    query = select(org.id).where(org.name_key == text_key(name))
    if other_than is not None:
        query = query.where(org.id != other_than)
    taken = await session.scalar(query.limit(1))
    return taken is not None


async def check_name_free(session: AsyncSession, name: str, other_than: str | None = None) -> None:
    if await name_taken(session, name, other_than):
        raise name_taken_error(name)


def too_deep(level: int) -> str:
    return (
        f"the organization would be at level {level} of its hierarchy; a hierarchy has at most"
        f" {MAX_HIERARCHY_DEPTH} levels"
    )


def inactive_parent(parent_id: str) -> str:
    """The message refusing a new child under a deactivated organization
    (docs/changing-accounts.md: a deactivated organization takes no new children)."""
    return f"Parent organization {parent_id!r} is deactivated: it takes no new children"


def name_taken_error(name: str) -> OrgqlError:
    return OrgqlError(
        Codes.NAME_EXISTS,
        f"An organization named {name!r} already exists",
        "name",
        ErrorKind.CONFLICT,
    )


def integrity_error(exc: IntegrityError, name: str) -> OrgqlError:
    """Map a constraint the database enforced to the error the caller can act on."""
    constraint = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)
    if constraint is None:
        match = re.search(r'constraint "([^"]+)"', str(exc.orig))
        constraint = match.group(1) if match else None
    if constraint == "uq_organizations_name_key":
        return name_taken_error(name)
    if constraint == "uq_addresses_org_type":
        # The database folds case a little differently from Python (e.g. "İ").
        return OrgqlError(
            Codes.INVALID_INPUT,
            "two secondary addresses have the same addressType",
            "secondaryAddresses",
        )
    if constraint == "ck_organizations_no_cycle":
        return OrgqlError(
            Codes.INVALID_INPUT, "An organization cannot be its own ancestor", "parentOrganization"
        )
    if constraint and constraint.startswith("fk_"):
        # A referenced row vanished between our check and the insert (a concurrent change).
        return OrgqlError(
            Codes.INVALID_INPUT, "A referenced item no longer exists; retry the request", None
        )
    return OrgqlError(
        Codes.CREATE_FAILED,
        "The organization could not be created",
        None,
        ErrorKind.INTERNAL,
    )


async def check_references(
    session: AsyncSession,
    new: NewOrganization,
    problems: Problems,
    *,
    parent_chain: list[models.Organization] | None = None,
) -> None:
    """Every id the input names must exist (one statement per kind of reference); the
    parent's from ``parent_chain``, read by the caller (:func:`create_reads.parent_chain`)."""
    parent: models.Organization | None = None
    if new.parent_id is not None:
        parent = parent_chain[0] if parent_chain else None
        if parent is None:
            problems.add(
                Codes.INVALID_INPUT,
                f"Parent organization {quoted(new.parent_id)} does not exist",
                "parentOrganization.id",
            )
        elif not parent.active:
            problems.add(Codes.INVALID_INPUT, inactive_parent(parent.id), "parentOrganization.id")
        elif len(parent.path) + 2 > MAX_HIERARCHY_DEPTH:
            level = len(parent.path) + 2
            problems.add(Codes.INVALID_INPUT, too_deep(level), "parentOrganization.id")

    await references.check_named_references(session, new, parent, problems)


async def list_page(
    session: AsyncSession,
    where: repository.OrganizationFilter,
    *,
    limit: int,
    after: str | Unreadable | None = None,
    offset: int = 0,
    with_ancestors: bool = False,
    sort: Sequence[SortKey] = (),
) -> repository.OrganizationPage:
    """A page of organizations ordered by id, after the id ``after`` (UNREADABLE: the
    caller's cursor could not be read, refused with the other problems).
    ``with_ancestors``: the page's ancestors come with it (``OrganizationPage.ancestors``)."""
    check_page(where, limit=limit, offset=offset, after=after)
    after_id = None if isinstance(after, Unreadable) else after
    page = functools.partial(repository.organization_page, session, where, sort=sort)
    return await page(limit=limit, after_id=after_id, offset=offset, with_ancestors=with_ancestors)


def check_page(
    where: repository.OrganizationFilter,
    *,
    limit: int,
    offset: int = 0,
    after: str | Unreadable | None = None,
) -> None:
    """A page's size, offset, cursor and filter text within bounds (100002 for each that is
    not), before anything is read."""
    problems = Problems()
    if (problem := limit_problem(limit)) is not None:
        problems.add(Codes.INVALID_INPUT, problem, "limit")
    if (problem := offset_problem(offset)) is not None:
        problems.add(Codes.INVALID_INPUT, problem, "offset")
    if isinstance(after, Unreadable):
        problems.add(Codes.INVALID_INPUT, "not a cursor of this API", "after")
    for field in unstorable_fields(where, "filter"):
        problems.add(Codes.INVALID_INPUT, f"{field} is not valid text", field)
    problems.raise_if_any()
