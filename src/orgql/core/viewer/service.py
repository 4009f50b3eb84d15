"""The signed-in shopper's own view (docs/storefront.md; DOMAIN.md, "The people of an
account").

- **profile**: the active profile their token names (core.access.identities); none when it
  names none, or an inactive one (an inactive contact counts for nothing).
- **accounts**: the organizations that active profile is a member of, as the membership
  rule of core.access.permissions has it (its own memberships, and the organizations below
  one whose roles apply to divisions), ordered by name; each with the shopper's view of it
  (a deactivated account: INACTIVE, its contract and payment values withheld): the first
  MAX_ACCOUNTS of them (a storefront's account switcher), and whether there are more
  (``Viewer.truncated``).
- **roles** in each account, and what they allow: core.access.permissions.standings.
- **the current account** (the one they buy for, :func:`current`): the one chosen (by the
  transport: an argument, else a header), else the profile's parent organization; only ever
  one of their accounts, listed or not (a shopper may belong to more than MAX_ACCOUNTS),
  and an account they do not belong to is answered as a missing one (None).
- **their registration requests** (:func:`organization_requests`).

The profile and the accounts are one statement, the roles one more; nothing is read for a
shopper whose token names no profile. The current account costs no statement when it is
listed, or when the list is whole; one more only for an id not listed in a truncated list
(the membership rule, core.organizations.membership, asked of that one id).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from orgql.core.access import checks, permissions
from orgql.core.access.permissions import Standing
from orgql.core.access.principals import Principal
from orgql.core.common.emails import same_email
from orgql.core.common.paging import MAX_PAGE_SIZE
from orgql.core.common.validation import is_storable_text
from orgql.core.organizations import membership
from orgql.db import models, request_models

#: The most accounts one shopper is shown (a storefront's account switcher).
MAX_ACCOUNTS = MAX_PAGE_SIZE
#: The most registration requests one shopper is shown, the newest first.
MAX_OWN_REQUESTS = 20


@dataclass(frozen=True)
class Account:
    """One of the shopper's accounts, and how they see it (core.access.checks.View)."""

    organization: models.Organization
    view: checks.View


@dataclass(frozen=True)
class Viewer:
    #: The shopper's active profile (None: their token names none, or an inactive one).
    profile: models.Profile | None
    #: Their accounts, by name: the first MAX_ACCOUNTS.
    accounts: list[Account]
    #: Whether they have more accounts than those listed.
    truncated: bool = False

    def account(self, organization_id: str) -> Account | None:
        """One of their listed accounts by id; None for any other id, existing or not (an
        account of theirs past MAX_ACCOUNTS too: :func:`current` reads that one)."""
        return next((a for a in self.accounts if a.organization.id == organization_id), None)

    def choice(self, chosen: str | None) -> str | None:
        """The id of the account they buy for: ``chosen`` (None: not chosen), else their
        profile's parent organization (None: neither)."""
        if chosen is not None:
            return chosen
        return self.profile.parent_organization_id if self.profile else None


NOBODY = Viewer(profile=None, accounts=[])


async def load(session: AsyncSession, principal: Principal) -> Viewer:
    """The shopper's profile and accounts: one statement (none for a token naming no
    profile). Their accounts are those of the membership rule of core.access.permissions:
    the organizations their active profile is a member of, and every organization below one
    of those whose roles apply to divisions."""
    subject = principal.subject if principal.is_shopper else None
    if not subject or not is_storable_text(subject):
        return NOBODY
    profile, member = models.Profile, models.OrganizationMember
    org, lender = models.Organization, aliased(models.Organization)
    direct = select(member.organization_id).where(member.profile_id == subject)
    lenders = (
        select(func.array_agg(lender.id))
        .where(lender.id.in_(direct), lender.roles_apply_to_divisions)
        .scalar_subquery()
    )
    rows = (
        await session.execute(
            select(profile, org)
            .outerjoin(org, or_(org.id.in_(direct), org.path.overlap(lenders)))
            .where(profile.id == subject, profile.active.is_(True))
            .order_by(org.name_key, org.id)
            .limit(MAX_ACCOUNTS + 1)  # one more: whether the list is whole
        )
    ).all()
    if not rows:
        return NOBODY
    accounts = [
        Account(row, checks.listed_view(principal, row)) for _, row in rows if row is not None
    ]
    return Viewer(
        profile=rows[0][0],
        accounts=accounts[:MAX_ACCOUNTS],
        truncated=len(accounts) > MAX_ACCOUNTS,
    )


async def current(
    session: AsyncSession, principal: Principal, viewer: Viewer, chosen: str | None
) -> Account | None:
    """The account the shopper buys for (:meth:`Viewer.choice`), if it is one of theirs;
    None for any other id, existing or not, exactly as for a missing one.

    No statement when it is listed, or when the list is whole (an id not listed is then
    none of theirs); else one: the membership rule (core.organizations.membership, that of
    core.access.permissions and of every read) asked of that one id, so that an account
    past the first MAX_ACCOUNTS by name is theirs as much as the first."""
    wanted = viewer.choice(chosen)
    if wanted is None:
        return None
    listed = viewer.account(wanted)
    if listed is not None or not viewer.truncated or viewer.profile is None:
        return listed
    if not is_storable_text(wanted):
        return None
    org = models.Organization
    row = await session.scalar(
        select(org).where(org.id == wanted, membership.member_of_one(org, viewer.profile.id))
    )
    return Account(row, checks.listed_view(principal, row)) if row is not None else None


async def standing(session: AsyncSession, viewer: Viewer, organization_id: str) -> Standing | None:
    """The shopper's standing in one account of theirs, listed or not (:func:`current`
    answers those past MAX_ACCOUNTS): one statement; None for an account not theirs."""
    if viewer.profile is None:
        return None
    found = await permissions.standings(session, viewer.profile.id, [organization_id])
    return found.get(organization_id)


async def standings(session: AsyncSession, viewer: Viewer) -> dict[str, Standing]:
    """The shopper's standing in each of their accounts: the roles they hold there (their
    own and those lent from above) and what those allow (core.access.permissions); one
    statement, none without accounts."""
    if viewer.profile is None or not viewer.accounts:
        return {}
    ids = [account.organization.id for account in viewer.accounts]
    return await permissions.standings(session, viewer.profile.id, ids)


async def organization_requests(
    session: AsyncSession, principal: Principal
) -> list[request_models.OrganizationRequest]:
    """The shopper's own registration requests, newest first, at most MAX_OWN_REQUESTS (one
    statement): those linked to their active profile, or submitted with its email or with
    the email their identity provider verified (compared as the database compares emails,
    ``lower(btrim(email))``, in the same letters: core.common.emails.same_email), so
    that a shopper follows a request before its approval creates their profile.
    Nobody else's, whatever its status."""
    if not principal.is_shopper:
        return []
    request, profile = request_models.OrganizationRequest, models.Profile
    conditions: list[ColumnElement[bool]] = []
    subject = principal.subject
    if subject and is_storable_text(subject):
        active = (profile.id == subject, profile.active.is_(True))
        mine = select(profile.id).where(*active)
        # Its email in the same letters (emails.same_email); none (NULL) matches nothing.
        my_email = select(profile.email).where(*active).scalar_subquery()
        conditions += [
            request.profile_id.in_(mine),
            same_email(request.profile_email, request.profile_email_key, my_email),
        ]
    if principal.email and is_storable_text(principal.email):
        conditions.append(
            same_email(request.profile_email, request.profile_email_key, principal.email)
        )
    if not conditions:
        return []
    rows = await session.scalars(
        select(request)
        .where(or_(*conditions))
        .order_by(request.created_at.desc(), request.id.desc())
        .limit(MAX_OWN_REQUESTS)
    )
    return list(rows)
