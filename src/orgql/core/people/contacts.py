"""Contacts (profiles): create, read, look up, update, deactivate.

DOMAIN.md, "The people of an account": a contact has one parent organization and any number
of secondary organizations, and is a member of each; email is unique compared
case-insensitively (the database's unique key on ``lower(btrim(email))``, so of two
concurrent creates with one email exactly one succeeds); an inactive contact counts for
nothing, so deactivating the last active approver of an organization that requires approval
is refused (100083, :mod:`approvers`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from orgql.core.access import permissions
from orgql.core.access.principals import Principal
from orgql.core.common.errors import ErrorKind, OrgqlError, quoted
from orgql.core.common.ids import next_ids
from orgql.core.common.paging import DEFAULT_LIST_LIMIT, limit_problem, offset_problem
from orgql.core.common.sorting import SortKey
from orgql.core.common.validation import (
    REST_NAMES,
    InputNames,
    Problems,
    is_storable_text,
    read_bool,
)
from orgql.core.events import outbox as events
from orgql.core.people import approvers, authority, repository
from orgql.core.people import input as people_input
from orgql.core.people.codes import PeopleCodes
from orgql.core.people.events import membership
from orgql.core.people.input import CONTACT_COLUMNS
from orgql.core.people.roles import RoleFunction
from orgql.db import models

_KEYS = {column: key for key, column in CONTACT_COLUMNS.items()} | {"receive_email": "receiveEmail"}


def not_found(profile_id: str) -> OrgqlError:
    return OrgqlError(
        PeopleCodes.PROFILE_NOT_FOUND,
        f"Profile {quoted(profile_id)} does not exist",
        "id",
        ErrorKind.NOT_FOUND,
    )


def email_taken(field: str = "email") -> OrgqlError:
    return OrgqlError(
        PeopleCodes.EMAIL_EXISTS,
        "Another profile has this email address",
        field,
        ErrorKind.CONFLICT,
    )


async def get(session: AsyncSession, profile_id: str, *, lock: bool = False) -> models.Profile:
    found = await repository.profile(session, profile_id, lock=lock)
    if found is None:
        raise not_found(profile_id)
    return found


async def check_organizations(session: AsyncSession, ids: list[str], fields: list[str]) -> None:
    """Every id names an organization (100001, 400: the body names them); ``fields`` are
    the ids' places in the body."""
    names = await repository.organization_names(session, ids)
    problems = Problems()
    for org, field in zip(ids, fields, strict=True):
        if org not in names:
            message = f"Organization {quoted(org)} does not exist"
            problems.add(PeopleCodes.ORGANIZATION_NOT_FOUND, message, field)
    problems.raise_if_any()


async def require_organization(session: AsyncSession, organization_id: str) -> None:
    """The organization an operation addresses exists (100001, 404 on its ``id``)."""
    names = await repository.organization_names(session, [organization_id])
    if organization_id not in names:
        raise OrgqlError(
            PeopleCodes.ORGANIZATION_NOT_FOUND,
            f"Organization {quoted(organization_id)} does not exist",
            "id",
            ErrorKind.NOT_FOUND,
        )


async def create(
    session: AsyncSession,
    document: Mapping[str, object],
    *,
    principal: Principal,
    names: InputNames = REST_NAMES,
) -> models.Profile:
    """Create the contact ``document`` (createProfile's body), a member of its parent and
    secondary organizations. A shopper: with MANAGE_CONTACTS in each of them, and a parent
    (a contact of no account is the merchant's), decided on the organizations before the
    rest of the input is read: one who may not learns nothing of its rules. (The merchant's
    input is read first, as it always was.) ``names``: what the caller's input calls the
    organizations (core.common.validation.InputNames)."""
    new = people_input.parse_new_contact(document, names) if principal.is_admin else None
    parent, secondary = (
        (new.parent_id, new.secondary_ids)
        if new is not None
        else people_input.parse_contact_organizations(document, names)
    )
    organizations = [*([parent] if parent else []), *secondary]
    fields = [
        *(["parentOrganization.id"] if parent else []),
        *(f"secondaryOrganizations[{i}].id" for i in range(len(secondary))),
    ]
    await authority.check_organizations(session, principal, organizations, fields)
    await authority.require_in(session, principal, organizations, fields)
    if not principal.is_admin and parent is None:
        message = "A contact you create needs a parent organization whose contacts you manage"
        raise OrgqlError(permissions.FORBIDDEN, message, None, ErrorKind.FORBIDDEN)
    new = new or people_input.parse_new_contact(document, names)
    (profile_id,) = await next_ids(session, 1)
    values = {"receive_email": False, **new.columns}
    try:
        async with session.begin_nested():
            await session.execute(
                insert(models.Profile).values(
                    id=profile_id, active=True, parent_organization_id=new.parent_id, **values
                )
            )
    except IntegrityError:
        raise email_taken() from None
    session.add_all(
        models.OrganizationMember(organization_id=org, profile_id=profile_id)
        for org in organizations
    )
    found = await get(session, profile_id)
    await events.emit_many(
        session,
        [
            events.Event(
                events.EventType.CONTACT_CREATED,
                new.parent_id,
                {"id": profile_id, "parentOrganizationId": new.parent_id},
            ),
            *(membership(True, org, profile_id) for org in organizations),
        ],
    )
    return found


#: A contact's values that reach every account it is a member of (how tokens name it; whether
#: it counts at all; the updateProfile body's keys): a shopper changes them only as an admin
#: of each (core.people.authority).
_OWN_ACCOUNTS_ONLY = frozenset({"email", "customerContactId", "active"})


async def update_contact(
    session: AsyncSession,
    profile_id: str,
    document: Mapping[str, object],
    *,
    principal: Principal,
) -> models.Profile:
    """Change the contact's values the ``document`` (updateProfile's body) gives; ``active``
    false deactivates it (refused for the last active approver of an organization that
    requires approval), true reactivates it. A shopper: with MANAGE_CONTACTS in the
    contact's parent organization, never deactivating themselves
    (core.people.authority.not_yourself), decided before the input is read: one who may not
    learns nothing of its rules. (The merchant's input is read first, as it always was.) The
    email and name rules judge an email or name the document changes, once the stored ones
    are known (core.common.emails, core.common.characters): a contact stored before the
    rules takes every other change."""
    columns = people_input.parse_contact_changes(document) if principal.is_admin else None
    profile = await authority.locked_contact(session, principal, profile_id)
    if read_bool(document, "active", None, Problems()) is False:  # its problems: parsed below
        authority.not_yourself(principal, profile.id)
    everywhere = not _OWN_ACCOUNTS_ONLY.isdisjoint(document)
    await authority.require_contact(session, principal, profile, everywhere=everywhere)
    columns = columns if columns is not None else people_input.parse_contact_changes(document)
    people_input.check_stored_changes(columns, profile)
    changed = {c: v for c, v in columns.items() if getattr(profile, c) != v}
    if changed.get("active") is False:
        held = await repository.held_roles(session, [profile.id])
        leaving = {
            r.organization_id: {profile.id} for r in held if r.function == RoleFunction.APPROVER
        }
        await approvers.keep_an_approver(session, leaving, "active")
    if not changed:
        return profile
    try:
        async with session.begin_nested():
            await session.execute(
                update(models.Profile).where(models.Profile.id == profile.id).values(**changed)
            )
    except IntegrityError:
        raise email_taken() from None
    for column, value in changed.items():
        set_committed_value(profile, column, value)
    organization = profile.parent_organization_id
    found: list[events.Event] = []
    keys = sorted(_KEYS[c] for c in changed if c in _KEYS)
    if keys:
        data = {"id": profile.id, "changed": keys}
        found.append(events.Event(events.EventType.CONTACT_UPDATED, organization, data))
    if "active" in changed:
        kind = (
            events.EventType.CONTACT_REACTIVATED
            if changed["active"]
            else events.EventType.CONTACT_DEACTIVATED
        )
        found.append(events.Event(kind, organization, {"id": profile.id}))
    await events.emit_many(session, found)
    return profile


async def list_page(
    session: AsyncSession,
    *,
    email: str | None = None,
    customer_contact_id: str | None = None,
    limit: int = DEFAULT_LIST_LIMIT,
    offset: int = 0,
    sort: Sequence[SortKey] = (),
) -> tuple[list[models.Profile], int]:
    """A page of contacts ordered by ``sort`` (core.people.sorting) then id, looked up by
    email (compared case-insensitively) or external contact id or both; and how many match.
    Bounds: 100002."""
    problems = Problems()
    if (problem := limit_problem(limit)) is not None:
        problems.add(PeopleCodes.INVALID_INPUT, problem, "limit")
    if (problem := offset_problem(offset)) is not None:
        problems.add(PeopleCodes.INVALID_INPUT, problem, "offset")
    for name, value in (("email", email), ("customerContactId", customer_contact_id)):
        if value is not None and (len(value) > 254 or not is_storable_text(value)):
            problems.add(PeopleCodes.INVALID_INPUT, f"{name} is not a valid {name}", name)
    problems.raise_if_any()
    return await repository.profiles(
        session,
        email=email,
        customer_contact_id=customer_contact_id,
        limit=limit,
        offset=offset,
        sort=sort,
    )
