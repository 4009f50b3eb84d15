"""What a shopper may do in an account, by the roles they hold there: one rule, in the core.

DOMAIN.md, "The people of an account":

- a member reads the account (every role, and none: :data:`Permission.READ_ACCOUNT`);
- an ``admin`` manages the account's contacts and their roles (``MANAGE_CONTACTS``), and its
  approval settings on a site where the account delegates them (``MANAGE_APPROVALS``: the
  ``delegateApprovalManagement`` value in effect on that site is true);
- an ``accountAddressManager`` manages the account's addresses;
- a ``profileAddressManager`` manages their own (the profile's) addresses;
- ``buyer`` and ``approver`` read (buying and approving orders are not served by orgql).

Roles are held per organization. An organization whose ``roles_apply_to_divisions`` is set
lends its members and their roles to every organization below it (commercetools' "explicit
and from parent" associate mode, set here on the parent; off by default): an admin of a
parent acts in its divisions. An inactive contact counts for nothing. A deactivated account
is read, never managed.

The merchant admin (an admin access token) may do everything. One statement answers a
shopper's standing in any number of accounts (:func:`standings`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from sqlalchemy import String, any_, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from orgql.core.access.principals import Principal
from orgql.core.common.errors import ErrorKind, OrgqlError, quoted
from orgql.core.common.validation import is_storable_text
from orgql.core.inheritance.rules import derive_site_value
from orgql.core.organizations import membership
from orgql.core.organizations import service as organizations
from orgql.core.people.roles import RoleFunction
from orgql.core.sites import repository as site_reads
from orgql.db import models

#: The code of a refusal for want of a role (GraphQL: a top-level error with this
#: ``extensions.code``, like the other authorisation errors; REST: 403).
FORBIDDEN = "FORBIDDEN"


class Permission(Enum):
    """What a shopper may do in one account (the values are the GraphQL enum's words)."""

    READ_ACCOUNT = "readAccount"
    MANAGE_CONTACTS = "manageContacts"
    MANAGE_APPROVALS = "manageApprovals"
    MANAGE_ACCOUNT_ADDRESSES = "manageAccountAddresses"
    MANAGE_OWN_ADDRESSES = "manageOwnAddresses"


#: What each role allows, besides reading (which membership alone allows). The one table.
GRANTED_BY_ROLE: dict[RoleFunction, frozenset[Permission]] = {
    RoleFunction.ADMIN: frozenset({Permission.MANAGE_CONTACTS, Permission.MANAGE_APPROVALS}),
    RoleFunction.BUYER: frozenset(),
    RoleFunction.APPROVER: frozenset(),
    RoleFunction.ACCOUNT_ADDRESS_MANAGER: frozenset({Permission.MANAGE_ACCOUNT_ADDRESSES}),
    RoleFunction.PROFILE_ADDRESS_MANAGER: frozenset({Permission.MANAGE_OWN_ADDRESSES}),
}


@dataclass(frozen=True)
class Standing:
    """A shopper's standing in one account they are a member of (directly or from above)."""

    organization_id: str
    #: Whether the account is active (a deactivated account is read, never managed).
    active: bool
    #: The role functions they hold there, their own and those lent from above.
    roles: frozenset[str]

    @property
    def permissions(self) -> frozenset[Permission]:
        return permissions_of(self.roles) if self.active else frozenset({Permission.READ_ACCOUNT})


def permissions_of(roles: frozenset[str]) -> frozenset[Permission]:
    """What a member holding ``roles`` may do in an active account (MANAGE_APPROVALS: on the
    sites where the account delegates approval management, which :func:`require` checks)."""
    granted = {Permission.READ_ACCOUNT}
    for function in roles:
        granted |= GRANTED_BY_ROLE.get(RoleFunction(function), frozenset())
    return frozenset(granted)


async def standings(
    session: AsyncSession, profile_id: str, organization_ids: Sequence[str], *, lock: bool = False
) -> dict[str, Standing]:
    """The standing of an active profile in each of ``organization_ids`` it is a member of
    (an account it is not a member of is absent): one statement (a read's), or that
    statement after :func:`_hold`'s locks (``lock``: the guard of a mutation).

    A profile is a member of an account when it is a member of it, or of an ancestor whose
    roles apply to divisions (core.organizations.membership, the rule of every read too); it
    holds there its roles of that account and of those ancestors, those of an active one:
    a deactivated lender's members still read its divisions, and manage nothing there.
    """
    wanted = [i for i in dict.fromkeys(organization_ids) if is_storable_text(i)]
    if not wanted or not is_storable_text(profile_id):
        return {}
    if lock:
        await _hold(session, profile_id, wanted)
    target = models.Organization
    mine = membership.sources(profile_id).subquery()
    role, held = models.RelativeRole, models.ProfileRole
    # Roles of an active organization only: a deactivated account is never managed, neither
    # itself nor, through the roles it lends, the divisions below it.
    lender = aliased(models.Organization, name="lender")
    roles_held = (
        select(role.organization_id, role.function)
        .join(held, held.role_id == role.id)
        .join(lender, lender.id == role.organization_id)
        .where(held.profile_id == profile_id, lender.active.is_(True))
        .subquery()
    )
    rows = await session.execute(
        select(target.id, target.active, roles_held.c.function)
        .select_from(target)
        .join(
            mine,
            membership.reaches(mine.c.organization_id, mine.c.roles_apply_to_divisions, target),
        )
        .outerjoin(roles_held, roles_held.c.organization_id == mine.c.organization_id)
        .where(target.id == any_(literal(wanted, ARRAY(String))))
    )
    active: dict[str, bool] = {}
    roles: dict[str, set[str]] = {}
    for organization_id, is_active, function in rows:
        active[organization_id] = is_active
        found = roles.setdefault(organization_id, set())
        if function is not None:
            found.add(function)
    return {
        organization_id: Standing(organization_id, active[organization_id], frozenset(found))
        for organization_id, found in roles.items()
    }


async def _hold(session: AsyncSession, profile_id: str, organization_ids: list[str]) -> None:
    """Lock, until the mutation's transaction ends, every row :func:`standings` reads for the
    profile in these organizations, before it reads them: a revocation (of a role, a
    membership, the profile's activity, an account's activity, a lender's
    ``roles_apply_to_divisions``, a move that takes the account from under its lender)
    commits before this, and the read sees it, or waits until the mutation has ended. Under
    READ COMMITTED each statement reads what is committed when it starts: the read that
    follows the locks sees the rows as they are locked.

    - the profile's row, FOR SHARE (its ``active``; a plain UPDATE of it waits too);
    - its memberships and role assignments, FOR KEY SHARE (they are only ever deleted);
    - the organizations the rule reads: the profile's own organizations on the accounts'
      paths (each one's ``roles_apply_to_divisions`` and ``active``), FOR SHARE, then the
      accounts themselves (``active``, ``path``), FOR NO KEY UPDATE. Not FOR SHARE: the
      mutation then writes or locks the account's row itself (an address's organization, the
      approver rule's lock, the members' version, the site values), and two mutations of one
      account that both held it shared would each wait for the other to let go (a deadlock,
      one answered 503); this way the second waits at its check. It still lets foreign keys
      to the account (FOR KEY SHARE: a new member, a new address) through.
    (The relative roles' rows are not locked: an organization's five roles are created with
    it and go only with it, its row locked.)

    The order is the one every write of the people of an account keeps (core.people:
    grants.revoke, memberships.remove, contacts.update_contact, memberships.lock_leaving): a
    contact's row before any organization's, and organizations in id order, ancestors (the
    lenders) before the accounts below them, as a move locks them. So an admin's revocation,
    which locks the revoked contact's row first, waits at that row, holding no organization
    this check wants. What is left is a real conflict: two shoppers each changing the other's
    contact, each relying on their own standing, or one check whose accounts' ids interleave
    with another's lenders; PostgreSQL breaks such a cycle (40P01) and the request is answered
    503 with Retry-After, as a lock waited on past ORGQL_DB_LOCK_TIMEOUT_SECONDS is (55P03);
    the retry reads what the other committed.
    """
    profile, member, held = models.Profile, models.OrganizationMember, models.ProfileRole
    await session.execute(
        select(profile.id).where(profile.id == profile_id).with_for_update(read=True)
    )
    sources = set(
        await session.scalars(
            select(member.organization_id)
            .where(member.profile_id == profile_id)
            .order_by(member.organization_id)
            .with_for_update(read=True, key_share=True)
        )
    )
    await session.execute(
        select(held.role_id)
        .where(held.profile_id == profile_id)
        .order_by(held.role_id)
        .with_for_update(read=True, key_share=True)
    )
    if not sources:
        return
    org = models.Organization
    paths = dict(
        (await session.execute(select(org.id, org.path).where(org.id.in_(organization_ids)))).all()
    )
    # Only the accounts the profile may reach: an account of strangers is not held, nor a
    # division of a source that lends nothing (its members are not members there). Whether
    # a lender lends is read as it is locked; one that is asked for itself counts as lending
    # (it is locked harder below, and its ``roles_apply_to_divisions`` with it).
    candidates = sorted(
        i for i, path in paths.items() if i in sources or sources.intersection(path)
    )
    lenders = await _lock_lenders(session, sources, candidates, paths, {})
    reached = [
        i
        for i in candidates
        if i in sources or any(lenders.get(s, s in candidates) for s in paths[i] if s in sources)
    ]
    locked = dict(
        (
            await session.execute(
                select(org.id, org.path)
                .where(org.id.in_(reached))
                .order_by(org.id)
                .with_for_update(key_share=True)
            )
        ).all()
    )
    # A move that committed between the paths' read and the accounts' locks: its new lenders.
    await _lock_lenders(session, sources, reached, locked, lenders)


async def _lock_lenders(
    session: AsyncSession,
    sources: set[str],
    reached: list[str],
    paths: dict[str, list[str]],
    locked: dict[str, bool],
) -> dict[str, bool]:
    """Lock FOR SHARE, in id order, the ``sources`` on the paths of the ``reached`` accounts
    not locked yet (but those accounts: :func:`_hold` locks them harder); all of them locked,
    each with whether it lends (its ``roles_apply_to_divisions``, as locked)."""
    on_paths = {source for i in reached for source in paths.get(i, ()) if source in sources}
    new = sorted(on_paths.difference(reached, locked))
    if not new:
        return locked
    org = models.Organization
    rows = await session.execute(
        select(org.id, org.roles_apply_to_divisions)
        .where(org.id.in_(new))
        .order_by(org.id)
        .with_for_update(read=True)
    )
    return {**locked, **dict(rows.all())}


def forbidden(permission: Permission, organization_id: str) -> OrgqlError:
    return OrgqlError(
        FORBIDDEN,
        f"Your roles in organization {quoted(organization_id)} do not allow this"
        f" ({_NEEDS[permission]})",
        None,
        ErrorKind.FORBIDDEN,
    )


_NEEDS = {
    Permission.READ_ACCOUNT: "membership of the account",
    Permission.MANAGE_CONTACTS: "the admin role",
    Permission.MANAGE_APPROVALS: (
        "the admin role, on a site where the account delegates approval management"
    ),
    Permission.MANAGE_ACCOUNT_ADDRESSES: "the accountAddressManager role",
    Permission.MANAGE_OWN_ADDRESSES: "the profileAddressManager role",
}


async def require(
    session: AsyncSession,
    principal: Principal,
    organization_id: str,
    permission: Permission,
    *,
    lock: bool,
    site_id: str | None = None,
) -> None:
    """Return if ``principal`` may do ``permission`` in the organization (on ``site_id``, for
    MANAGE_APPROVALS); else raise: 100001 exactly as for a missing id when the caller may not
    even read the organization, FORBIDDEN when they may read it but not do this. ``lock``: a
    mutation's guard, whose standing holds until its transaction ends (:func:`_hold`)."""
    if principal.is_admin:
        return
    standing = await member_standing(session, principal, organization_id, lock=lock)
    await require_of(session, standing, permission, site_id=site_id)


async def member_standing(
    session: AsyncSession, principal: Principal, organization_id: str, *, lock: bool
) -> Standing:
    """A shopper's standing in the organization (``lock``: as :func:`require`'s); 100001
    exactly as for a missing id when they are not a member (they may not even read it)."""
    subject = principal.subject if principal.is_shopper else None
    found = await standings(session, subject, [organization_id], lock=lock) if subject else {}
    standing = found.get(organization_id)
    if standing is None:
        raise organizations.not_found(organization_id)  # the very answer of a missing id
    return standing


async def require_of(
    session: AsyncSession,
    standing: Standing,
    permission: Permission,
    *,
    site_id: str | None = None,
) -> None:
    """:func:`require`'s check on a standing already read: FORBIDDEN unless it allows
    ``permission`` (on ``site_id``, for MANAGE_APPROVALS)."""
    organization_id = standing.organization_id
    if permission not in standing.permissions:
        raise forbidden(permission, organization_id)
    if permission is Permission.MANAGE_APPROVALS and not (
        site_id is not None and await delegates_approvals(session, organization_id, site_id)
    ):
        raise forbidden(permission, organization_id)


async def delegates_approvals(session: AsyncSession, organization_id: str, site_id: str) -> bool:
    """Whether the ``delegateApprovalManagement`` value in effect for the organization on the
    site is true (its own, else its nearest ancestor's on that site)."""
    organization = await organizations.get(session, organization_id)
    chain = [organization.id, *reversed(organization.path)]
    own = await site_reads.site_properties(session, [(org_id, site_id) for org_id in chain])
    values = {org_id: row.delegate_approval_management for (org_id, _), row in own.items()}
    return derive_site_value(chain, values).value is True
