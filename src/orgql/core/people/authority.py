"""Who may change an account's people: the role rule (core.access.permissions) applied to
contacts, memberships and roles, before anything is written.

DOMAIN.md, "The people of an account": an account's admin manages its contacts and their
roles (``MANAGE_CONTACTS``), in its divisions too where the account's roles apply to them;
the merchant admin manages all of them. For a shopper:

- an organization they are not a member of is answered exactly as one that does not exist
  (100001 on the field that names it), a contact none of whose organizations they are a
  member of exactly as a contact that does not exist (22002);
- an organization they are a member of without the role is refused: FORBIDDEN (403), an
  authorisation error, not one of the input;
- a deactivated account is read, never managed; an inactive shopper counts for nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.access import permissions
from orgql.core.access.principals import Principal
from orgql.core.common.errors import ErrorKind, OrgqlError, quoted
from orgql.core.common.validation import Problems
from orgql.core.people import contacts, repository
from orgql.core.people.codes import PeopleCodes
from orgql.db import models


async def _standings(
    session: AsyncSession,
    principal: Principal,
    organization_ids: Sequence[str],
    *,
    lock: bool = True,
) -> dict[str, permissions.Standing]:
    subject = principal.subject if principal.is_shopper else None
    if not subject:
        return {}
    # Every caller is a mutation's guard: the standing holds until its transaction ends
    # (but a look first, ``lock`` false, that refuses before anything else is locked).
    return await permissions.standings(session, subject, organization_ids, lock=lock)


async def check_organizations(
    session: AsyncSession, principal: Principal, ids: list[str], fields: list[str]
) -> None:
    """Every id names an organization (100001): for the merchant admin. A shopper's are
    checked by :func:`require_in`, which answers one that does not exist and one they are
    not a member of alike, in one pass (reporting the missing ones first would tell which
    of the others exist)."""
    if principal.is_admin:
        await contacts.check_organizations(session, ids, fields)


async def require_in(
    session: AsyncSession,
    principal: Principal,
    organization_ids: Sequence[str],
    fields: Sequence[str],
    permission: permissions.Permission | None = None,
    *,
    lock: bool = True,
) -> None:
    """``permission`` in each organization (``fields``: where the input names each); one
    statement. Every unknown-to-the-caller one is reported first, as a missing id would be.
    ``lock`` false: a look that holds nothing, for a mutation that must lock other rows
    before its standing's (it then checks again, locking)."""
    if principal.is_admin or not organization_ids:
        return
    wanted = permission or permissions.Permission.MANAGE_CONTACTS
    found = await _standings(session, principal, organization_ids, lock=lock)
    problems = Problems()
    for organization_id, field in zip(organization_ids, fields, strict=True):
        if organization_id not in found:
            message = f"Organization {quoted(organization_id)} does not exist"
            problems.add(PeopleCodes.ORGANIZATION_NOT_FOUND, message, field)
    problems.raise_if_any()
    for organization_id in organization_ids:
        if wanted not in found[organization_id].permissions:
            raise permissions.forbidden(wanted, organization_id)


async def within_reach(
    session: AsyncSession, principal: Principal, organization_ids: Sequence[str]
) -> list[str]:
    """Those of ``organization_ids`` the caller is a member of (all of them: the merchant
    admin), in their order; their standing held until the transaction ends. A change that
    takes a contact's memberships as a whole (replaceSecondaryOrganizations) reaches these
    alone: the others are of accounts the caller may not see, which no answer names."""
    if principal.is_admin:
        return list(organization_ids)
    found = await _standings(session, principal, organization_ids)
    return [organization_id for organization_id in organization_ids if organization_id in found]


async def locked_contact(
    session: AsyncSession, principal: Principal, profile_id: str
) -> models.Profile:
    """The contact a change addresses, its row locked until the transaction ends (22002:
    none). A shopper who may not see it is answered as for a missing contact first, before
    its row is locked: a stranger's call neither waits for the contact's own transactions
    (a 503 where a missing id answers 22002 at once would tell that it exists and is busy)
    nor makes them wait. The caller then checks the standing again, holding it."""
    if not principal.is_admin:
        seen = await contacts.get(session, profile_id)
        await require_contact(session, principal, seen, manage=False, lock=False)
    return await contacts.get(session, profile_id, lock=True)


async def require_contact(
    session: AsyncSession,
    principal: Principal,
    profile: models.Profile,
    *,
    manage: bool = True,
    everywhere: bool = False,
    lock: bool = True,
) -> None:
    """The caller may see the contact (is a member of one of its organizations; else 22002,
    as for a missing contact) and, with ``manage``, has MANAGE_CONTACTS in its parent
    organization (else FORBIDDEN; a contact without a parent is the merchant's alone).

    With ``everywhere`` (a change that follows the contact into every account it is a member
    of: its email or customerContactId, which name it to the identity provider's tokens, and
    whether it is active), MANAGE_CONTACTS in each of its organizations: else an admin of the
    parent would set a contact's email to their own and sign in as them, with their roles in
    an account the admin does not manage (or lock them out of it, or reactivate them there).
    ``lock`` false: a look that holds nothing (:func:`locked_contact`)."""
    if principal.is_admin:
        return
    organizations = (await repository.memberships(session, [profile.id])).get(profile.id, [])
    parent = profile.parent_organization_id
    wanted = sorted({*organizations, *([parent] if parent else [])})
    found = await _standings(session, principal, wanted, lock=lock)
    if not found:
        raise contacts.not_found(profile.id)
    if not manage:
        return
    manage_contacts = permissions.Permission.MANAGE_CONTACTS
    if parent is None:
        message = f"Profile {profile.id!r} has no parent organization: the merchant manages it"
        raise OrgqlError(permissions.FORBIDDEN, message, None, ErrorKind.FORBIDDEN)
    standing = found.get(parent)
    if standing is None:  # a parent of an account the caller may not see: not named
        message = f"Profile {profile.id!r} belongs to an account whose contacts you do not manage"
        raise OrgqlError(permissions.FORBIDDEN, message, None, ErrorKind.FORBIDDEN)
    if manage_contacts not in standing.permissions:
        raise permissions.forbidden(manage_contacts, parent)
    if everywhere and any(
        manage_contacts not in (found[org].permissions if org in found else ())
        for org in organizations
    ):
        message = (
            f"Profile {profile.id!r} is a member of accounts whose contacts you do not manage:"
            " its email, customerContactId and activity are theirs too"
        )
        raise OrgqlError(permissions.FORBIDDEN, message, None, ErrorKind.FORBIDDEN)


async def unseen_contacts(
    session: AsyncSession,
    principal: Principal,
    profile_ids: Sequence[str],
    known: Collection[str] = (),
) -> set[str]:
    """Those of ``profile_ids`` (but the ``known`` ones) the caller may not see: none of their
    organizations is one the caller is a member of. The caller answers them exactly as
    missing contacts (22002), in the same pass as the missing ones, so that an answer tells
    nothing of whether a stranger exists: an admin may not pull a stranger into their
    account."""
    wanted = [p for p in dict.fromkeys(profile_ids) if p not in known]
    if principal.is_admin or not wanted:
        return set()
    memberships = await repository.memberships(session, wanted)
    organizations = sorted({org for orgs in memberships.values() for org in orgs})
    found = await _standings(session, principal, organizations)
    return {p for p in wanted if not any(org in found for org in memberships.get(p, []))}


def not_yourself(principal: Principal, profile_id: str) -> None:
    """A shopper may not deactivate themselves: it would end their own access at once, with
    no way back from the storefront (an inactive contact counts for nothing, so not even
    their own reactivation is theirs to ask), and could leave the account with no admin.
    Another admin of the account, or the merchant, deactivates them."""
    if principal.is_shopper and principal.subject == profile_id:
        raise OrgqlError(
            permissions.FORBIDDEN,
            "You cannot deactivate yourself: ask another admin of the account",
            None,
            ErrorKind.FORBIDDEN,
        )
