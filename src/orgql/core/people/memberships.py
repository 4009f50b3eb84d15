"""A contact's organizations: its parent and its secondary organizations, and an
organization's members (the vendor's appendSecondaryOrganizations,
removeSecondaryOrganizations, replaceSecondaryOrganizations, updateParentOrganization).

A contact is a member of its parent and of each secondary organization. A membership that
ends takes the roles held in that organization with it, so it is refused when it would take
the last active approver of an organization that requires approval (100083). Changing the
parent keeps the old parent as a secondary organization, roles included, and a secondary
organization that becomes the parent keeps its roles (as the vendor documents it). Writes of
one contact serialize on its row lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.access import permissions
from orgql.core.access.principals import Principal
from orgql.core.common.errors import OrgqlError, quoted
from orgql.core.common.validation import Problems, is_storable_text
from orgql.core.events import outbox as events
from orgql.core.people import approvers, authority, contacts, repository
from orgql.core.people.codes import PeopleCodes
from orgql.core.people.events import membership, role
from orgql.core.people.roles import RoleFunction
from orgql.db import models

_MEMBER, _HELD = models.OrganizationMember, models.ProfileRole
Pair = tuple[str, str]  # (organization id, profile id)


async def add(session: AsyncSession, pairs: Iterable[Pair]) -> list[events.Event]:
    """Make each contact a member of each organization (a membership that exists stays);
    the events of those that are new."""
    rows = [{"organization_id": org, "profile_id": profile} for org, profile in pairs]
    if not rows:
        return []
    added = await session.execute(
        insert(_MEMBER)
        .values(rows)
        .on_conflict_do_nothing()
        .returning(_MEMBER.organization_id, _MEMBER.profile_id)
    )
    return [
        membership(True, org, profile)
        for org, profile in sorted((org, profile) for org, profile in added)
    ]


async def remove(
    session: AsyncSession, pairs: Sequence[Pair], field: str | None
) -> list[events.Event]:
    """End these memberships and the roles held through them; refused (100083) when they
    take an organization's last active approver. Events: each role revoked, then each
    membership removed."""
    if not pairs:
        return []
    profiles = sorted({profile for _, profile in pairs})
    held = [
        r
        for r in await repository.held_roles(session, profiles)
        if (r.organization_id, r.profile_id) in set(pairs)
    ]
    leaving: dict[str, set[str]] = {}
    for r in held:
        if r.function == RoleFunction.APPROVER:
            leaving.setdefault(r.organization_id, set()).add(r.profile_id)
    await approvers.keep_an_approver(session, leaving, field)
    if held:
        await session.execute(
            delete(_HELD).where(
                tuple_(_HELD.profile_id, _HELD.role_id).in_(
                    [(r.profile_id, r.role_id) for r in held]
                )
            )
        )
    removed = await session.execute(
        delete(_MEMBER)
        .where(tuple_(_MEMBER.organization_id, _MEMBER.profile_id).in_(list(pairs)))
        .returning(_MEMBER.organization_id, _MEMBER.profile_id)
    )
    return [
        *(role(False, r.organization_id, r.profile_id, r.function, r.role_id) for r in held),
        *(
            membership(False, org, profile)
            for org, profile in sorted((org, profile) for org, profile in removed)
        ),
    ]


async def joined(
    session: AsyncSession, organization_id: str, profile_ids: Sequence[str]
) -> list[events.Event]:
    """The events of contacts made members of a new organization (createOrganization's
    ``members``, an approved request's requester); a contact without a parent organization
    gets this one as its parent."""
    profile = models.Profile
    adopted = await session.scalars(
        update(profile)
        .where(profile.id.in_(profile_ids), profile.parent_organization_id.is_(None))
        .values(parent_organization_id=organization_id)
        .returning(profile.id)
        .execution_options(synchronize_session=False)
    )
    kind = events.EventType.CONTACT_PARENT_ORGANIZATION_CHANGED
    return [
        *(membership(True, organization_id, profile_id) for profile_id in profile_ids),
        *(
            events.Event(
                kind,
                organization_id,
                {"id": p, "fromOrganizationId": None, "toOrganizationId": organization_id},
            )
            for p in sorted(adopted)
        ),
    ]


async def _secondary(session: AsyncSession, profile: models.Profile) -> list[str]:
    members = await repository.memberships(session, [profile.id])
    return [org for org in members.get(profile.id, []) if org != profile.parent_organization_id]


def _fields(key: str, count: int) -> list[str]:
    return [f"{key}[{index}].id" for index in range(count)]


async def append_secondary(
    session: AsyncSession, profile_id: str, ids: list[str], *, principal: Principal
) -> list[str]:
    """Add secondary organizations (one the contact is already a member of stays as it is).
    A shopper: with MANAGE_CONTACTS in each organization added."""
    profile = await authority.locked_contact(session, principal, profile_id)
    await authority.require_contact(session, principal, profile, manage=False)
    fields = _fields("secondaryOrganizations", len(ids))
    await authority.check_organizations(session, principal, ids, fields)
    await authority.require_in(session, principal, ids, fields)
    await events.emit_many(session, await add(session, [(org, profile.id) for org in ids]))
    return ids


async def remove_secondary(
    session: AsyncSession, profile_id: str, ids: list[str], *, principal: Principal
) -> list[str]:
    """Remove secondary organizations, with the roles held in them. Each must be one
    (100002): the parent is changed by :func:`update_parent`, not removed. A shopper: with
    MANAGE_CONTACTS in each organization removed."""
    profile = await authority.locked_contact(session, principal, profile_id)
    await authority.require_contact(session, principal, profile, manage=False)
    await authority.require_in(session, principal, ids, _fields("secondaryOrganizations", len(ids)))
    current = set(await _secondary(session, profile))
    problems = Problems()
    for org, field in zip(ids, _fields("secondaryOrganizations", len(ids)), strict=True):
        if org == profile.parent_organization_id:
            message = (
                f"Organization {org!r} is the profile's parent organization, not a secondary one"
            )
            problems.add(PeopleCodes.INVALID_INPUT, message, field)
        elif org not in current:
            message = f"Organization {quoted(org)} is not a secondary organization of the profile"
            problems.add(PeopleCodes.INVALID_INPUT, message, field)
    problems.raise_if_any()
    found = await remove(session, [(org, profile.id) for org in ids], "secondaryOrganizations")
    await events.emit_many(session, found)
    return ids


async def replace_secondary(
    session: AsyncSession, profile_id: str, ids: list[str], *, principal: Principal
) -> list[str]:
    """Make ``ids`` the contact's secondary organizations: the others are removed (with their
    roles), the new ones added; the parent, if listed, stays the parent.

    A shopper replaces the contact's memberships in the accounts they are a member of, as
    the contact is shown to them (core.people.views.shown_to): each organization named must
    be one of those (else 100001, exactly as a missing one: naming one of the contact's
    other accounts tells nothing), with MANAGE_CONTACTS in each added or removed; a
    membership in an account they are not a member of is out of their reach, left as it
    is and named by no answer (docs/roles.md, "Refusals")."""
    profile = await authority.locked_contact(session, principal, profile_id)
    await authority.require_contact(session, principal, profile, manage=False)
    fields = _fields("secondaryOrganizations", len(ids))
    await authority.check_organizations(session, principal, ids, fields)
    await authority.require_in(session, principal, ids, fields, permissions.Permission.READ_ACCOUNT)
    wanted = [org for org in ids if org != profile.parent_organization_id]
    current = await authority.within_reach(session, principal, await _secondary(session, profile))
    gone = [(org, profile.id) for org in current if org not in wanted]
    added = [(org, field) for org, field in zip(ids, fields, strict=True) if org in wanted]
    added = [(org, field) for org, field in added if org not in current]
    changed = [*added, *((org, "secondaryOrganizations") for org, _ in gone)]
    await authority.require_in(
        session, principal, [org for org, _ in changed], [field for _, field in changed]
    )
    found = await remove(session, gone, "secondaryOrganizations")
    found += await add(session, [(org, profile.id) for org, _ in added])
    await events.emit_many(session, found)
    return wanted


async def update_parent(
    session: AsyncSession, profile_id: str, organization_id: str, *, principal: Principal
) -> str:
    """Make the organization the contact's parent; the old parent stays a secondary
    organization with its roles. A shopper: with MANAGE_CONTACTS in the old parent and the
    new one."""
    profile = await authority.locked_contact(session, principal, profile_id)
    await authority.require_contact(session, principal, profile)
    field = ["parentOrganization.id"]
    await authority.check_organizations(session, principal, [organization_id], field)
    await authority.require_in(session, principal, [organization_id], ["parentOrganization.id"])
    before = profile.parent_organization_id
    if before == organization_id:
        return organization_id
    found = await add(session, [(organization_id, profile.id)])
    await session.execute(
        update(models.Profile)
        .where(models.Profile.id == profile.id)
        .values(parent_organization_id=organization_id)
    )
    data = {"id": profile.id, "fromOrganizationId": before, "toOrganizationId": organization_id}
    changed = events.Event(
        events.EventType.CONTACT_PARENT_ORGANIZATION_CHANGED, organization_id, data
    )
    await events.emit_many(session, [*found, changed])
    return organization_id


async def lock_leaving(
    session: AsyncSession, organization_id: str, profile_ids: Sequence[str]
) -> None:
    """Lock the rows of the organization's members that ``profile_ids`` leaves out, in id
    order. Every write of one contact locks its row before any organization's, so a caller
    that locks the organization's row before :func:`replace_members` (an update of the
    organization with its ``members``) calls this first: else it and a concurrent
    revocation of a leaving contact's role each wait for the other's lock (a deadlock)."""
    if is_storable_text(organization_id):
        await _lock_leaving(session, organization_id, profile_ids)


async def _lock_leaving(
    session: AsyncSession, organization_id: str, profile_ids: Sequence[str]
) -> tuple[set[str], list[str]]:
    """The organization's members, and those of them ``profile_ids`` leaves out, locked."""
    current = set(
        await session.scalars(
            select(_MEMBER.profile_id).where(_MEMBER.organization_id == organization_id)
        )
    )
    gone = sorted(current - set(profile_ids))
    await session.execute(
        select(models.Profile.id)
        .where(models.Profile.id.in_(gone))
        .order_by(models.Profile.id)
        .with_for_update()
    )
    return current, gone


async def refuse_changed_in_dry_run(
    session: AsyncSession, organization_id: str, profile_ids: Sequence[str]
) -> None:
    """An update's ``members`` in a dry run: the organization's members already, whatever
    their order (a full-object PUT sends back what GET shows), else 100002 at ``members``:
    a dry run does not try a change of members."""
    current = await session.scalars(
        select(_MEMBER.profile_id).where(_MEMBER.organization_id == organization_id)
    )
    if set(current) != set(profile_ids):
        message = "members cannot be changed in a dry run"
        raise OrgqlError(PeopleCodes.INVALID_INPUT, message, "members")


async def replace_members(
    session: AsyncSession, organization_id: str, profile_ids: list[str], *, principal: Principal
) -> list[str]:
    """Make ``profile_ids`` the organization's members (an organization's ``members``): the
    others' memberships end, with their roles here (100083 for the last approver); a contact
    whose parent it was has no parent afterwards. Unknown profiles: 22002. A change makes a
    new version of the organization. A shopper: with MANAGE_CONTACTS in the organization,
    adding only contacts they may see (another is answered as unknown)."""
    await contacts.require_organization(session, organization_id)
    # A shopper who may not is refused before anything is locked: a stranger's call must
    # neither wait for the account's transactions (a 503 where a missing id answers 100001
    # would tell it exists) nor make them wait for it.
    await authority.require_in(session, principal, [organization_id], ["id"], lock=False)
    # The leaving contacts' rows before the shopper's standing locks the organization's
    # (core.access.permissions._hold): a contact's row before any organization's, as a
    # revocation of a leaving contact's role takes them. Then the check again, holding.
    current, gone = await _lock_leaving(session, organization_id, profile_ids)
    await authority.require_in(session, principal, [organization_id], ["id"])
    existing = set(
        await session.scalars(select(models.Profile.id).where(models.Profile.id.in_(profile_ids)))
    )
    existing -= await authority.unseen_contacts(session, principal, sorted(existing), current)
    problems = Problems()
    for index, profile_id in enumerate(profile_ids):
        if profile_id not in existing:
            message = f"Profile {quoted(profile_id)} does not exist"
            problems.add(PeopleCodes.PROFILE_NOT_FOUND, message, f"members[{index}]")
    problems.raise_if_any()
    found = await remove(session, [(organization_id, p) for p in gone], "members")
    orphaned = await session.scalars(
        update(models.Profile)
        .where(
            models.Profile.id.in_(gone), models.Profile.parent_organization_id == organization_id
        )
        .values(parent_organization_id=None)
        .returning(models.Profile.id)
    )
    for profile_id in sorted(orphaned):
        data = {"id": profile_id, "fromOrganizationId": organization_id, "toOrganizationId": None}
        kind = events.EventType.CONTACT_PARENT_ORGANIZATION_CHANGED
        found.append(events.Event(kind, organization_id, data))
    found += await add(session, [(organization_id, p) for p in profile_ids if p not in current])
    if found:
        # The members are part of what the organization shows: a new version (ETag).
        org = models.Organization
        await session.execute(
            update(org)
            .where(org.id == organization_id)
            .values(version=org.version + 1)
            .execution_options(synchronize_session=False)
        )
    await events.emit_many(session, found)
    return profile_ids
