"""Organization requests (self-registration): submit, update, approve, reject.

Rules of createOrganizationRequest.txt, updateOrganizationRequests.txt and DOMAIN.md
("Registration requests"). Services flush and never commit. Update, approve and reject lock
the request row first (``SELECT ... FOR UPDATE``): concurrent decisions on one request run one
after the other, and each sees the status the previous one committed, so a request is approved
at most once and approved / rejected stay final.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from sqlalchemy import func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.emails import same_email
from orgql.core.common.errors import Codes, ErrorKind, OrgqlError
from orgql.core.common.ids import next_ids
from orgql.core.common.names import text_key
from orgql.core.common.validation import Problems
from orgql.core.events import outbox as events
from orgql.core.organizations import repository
from orgql.core.organizations import service as organizations
from orgql.core.people.contacts import email_taken
from orgql.core.people.events import role as role_event
from orgql.core.people.roles import RoleFunction
from orgql.core.requests import reads
from orgql.core.requests.approval_checks import check_new_profile, draft_organization
from orgql.core.requests.codes import RequestCodes
from orgql.core.requests.draft import DraftAddress, draft_type_ids, request_detail
from orgql.core.requests.input import parse_changes, parse_decision, parse_submission
from orgql.core.requests.statuses import RequestStatus
from orgql.db import models, request_models

#: What the storefront is told when the site hides whether an email is registered.
EMAIL_CHECK_MESSAGE = (
    "Once registration has successfully completed, you'll receive account activation details"
    " in your registration email's inbox."
)

#: The relative roles the requester gets in the organization their request creates.
REQUESTER_ROLES = (RoleFunction.ADMIN, RoleFunction.BUYER)


@dataclass(frozen=True)
class Submitted:
    """The answer to a submission: the id, or with the email check on only the message."""

    id: str | None
    message: str | None


async def submit(
    session: AsyncSession, document: Mapping[str, object], *, site_id: str | None = None
) -> Submitted:
    """A storefront registration: status ``review`` on the ``x-ccsite`` site (else the default
    site). 101013 when the site takes no registration requests: registration requests turned
    off, the site not enabled (a storefront that is not live takes no shoppers), or not B2B.

    A profile with the request's email is linked now, but the answer and the statements run
    are the same whether or not one exists; with ``enableProfileRegistrationEmailCheck`` on,
    the answer is only a message, so it cannot reveal whether the email is registered."""
    site = await _site(session, site_id)
    if not site.registration_requests_enabled or not site.enabled or not site.b2b:
        raise OrgqlError(
            RequestCodes.REGISTRATION_DISABLED,
            "Registration request cannot be processed because the ability to submit"
            " registration requests for business accounts is disabled.",
            None,
        )
    submission = parse_submission(document)
    problems = Problems()
    await _check_address_types(session, submission.draft, problems)
    problems.raise_if_any()
    email = submission.columns["profile_email"]
    assert isinstance(email, str)
    profile_id = await _profile_id_by_email(session, email)
    (request_id,) = await next_ids(session, 1)
    row = request_models.OrganizationRequest(
        id=request_id,
        site_id=site.id,
        organization_draft=submission.draft,
        profile_id=profile_id,
        profile_linked=profile_id is not None,
        **submission.columns,
    )
    session.add(row)
    await session.flush()
    await events.emit(
        session,
        type=events.EventType.ORGANIZATION_REQUEST_SUBMITTED,
        organization_id=None,
        data={"requestId": request_id, "siteId": site.id, "organizationName": _draft_name(row)},
    )
    if site.enable_profile_registration_email_check:
        return Submitted(id=None, message=EMAIL_CHECK_MESSAGE)
    return Submitted(id=request_id, message=None)


async def update(
    session: AsyncSession, request_id: str, document: Mapping[str, object]
) -> request_models.OrganizationRequest:
    """An admin's change while the request is in review or moreInfoNeeded (101008 once
    approved or rejected). If the requester's profile was deleted, only rejection remains:
    a status change is 101014, any other change 101017. A changed email links the profile
    with that email (core.common.emails: in the same letters), if any. A new draft
    organization name must be free (100014). A status that changes (review <->
    moreInfoNeeded) emits ``organizationRequest.statusChanged``: the requester waits on it as
    on a decision."""
    row = await reads.locked_open(session, request_id)
    if _profile_gone(row):
        if "status" in document:
            raise _profile_gone_error(
                RequestCodes.PROFILE_GONE_STATUS,
                "Cannot update the status of this registration request to any value except"
                ' "Rejected", because the requester\'s profile no longer exists',
            )
        raise _profile_gone_error(
            RequestCodes.PROFILE_GONE,
            "This operation is not allowed as requester's profile no longer exists.",
        )
    changes = parse_changes(document, row)
    problems = Problems()
    if changes.draft is not None:
        await _check_address_types(session, changes.draft, problems)
    problems.raise_if_any()
    if changes.draft is not None and changes.organization_name_changed:
        name = changes.draft["name"]
        assert isinstance(name, str)
        await _check_organization_name_free(session, name)
    email = changes.email
    if email is not None and not await _same_email(session, row.profile_email, email):
        profile_id = await _profile_id_by_email(session, email)
        row.profile_id, row.profile_linked = profile_id, profile_id is not None
    for column, value in changes.columns.items():
        setattr(row, column, value)
    if changes.draft is not None:
        row.organization_draft = changes.draft
    before = row.status
    if changes.status is not None:
        row.status = changes.status
    row.updated_at = func.now()
    await session.flush()
    if row.status != before:
        await events.emit(
            session,
            type=events.EventType.ORGANIZATION_REQUEST_STATUS_CHANGED,
            organization_id=None,
            data={"requestId": row.id, "fromStatus": str(before), "toStatus": str(row.status)},
        )
    await session.refresh(row)
    return row


async def approve(
    session: AsyncSession, request_id: str, document: Mapping[str, object]
) -> request_models.OrganizationRequest:
    """Create the organization from the draft (createOrganization's rules and path, with its
    addresses and their types; ``partyNumber`` if given), create the profile or link the one
    with the request's email, make it a member with the admin and buyer roles, record both
    ids and approverComments: status ``approved``, final. A new profile's email must follow
    the email rule, and the organization's and a new profile's names the name rule
    (101001: a request stored before them is corrected with an update first)."""
    row = await reads.locked_open(session, request_id)
    decision = parse_decision(document, approving=True)
    if _profile_gone(row):
        raise _profile_gone_error(
            RequestCodes.PROFILE_GONE,
            "This operation is not allowed as requester's profile no longer exists.",
        )
    new, draft_addresses = draft_organization(row.organization_draft, decision.party_number)
    problems = Problems()
    await _check_address_types(session, row.organization_draft, problems)
    problems.raise_if_any()
    profile_id, created = (
        (row.profile_id, False) if row.profile_id else await _profile_for(session, row)
    )
    if created:  # told before the membership and parent events organizations.create emits
        contact = {"id": profile_id, "parentOrganizationId": None}
        await events.emit_many(
            session, [events.Event(events.EventType.CONTACT_CREATED, None, contact)]
        )
    try:
        organization = await organizations.create(
            session, replace(new, member_ids=[profile_id]), site_id=row.site_id
        )
    except OrgqlError as error:
        raise _organization_error(error, new.name) from None
    await _tag_addresses(session, organization.id, draft_addresses)
    roles = await repository.roles_by_organization(session, [organization.id])
    granted = [role for role in roles[organization.id] if role.function in REQUESTER_ROLES]
    session.add_all(models.ProfileRole(profile_id=profile_id, role_id=r.id) for r in granted)
    row.status = RequestStatus.APPROVED
    row.organization_id = organization.id
    row.profile_id, row.profile_linked = profile_id, True
    row.approver_comments = decision.approver_comments
    row.updated_at = func.now()
    await session.flush()
    data = {"requestId": row.id, "organizationId": organization.id, "profileId": profile_id}
    await events.emit_many(
        session,
        [
            *(role_event(True, organization.id, profile_id, r.function, r.id) for r in granted),
            events.Event(events.EventType.ORGANIZATION_REQUEST_APPROVED, organization.id, data),
        ],
    )
    await session.refresh(row)
    return row


async def reject(
    session: AsyncSession, request_id: str, document: Mapping[str, object]
) -> request_models.OrganizationRequest:
    """Status ``rejected`` with approverComments, final. Possible whatever became of the
    requester's profile."""
    row = await reads.locked_open(session, request_id)
    decision = parse_decision(document, approving=False)
    row.status = RequestStatus.REJECTED
    row.approver_comments = decision.approver_comments
    row.updated_at = func.now()
    await session.flush()
    await events.emit(
        session,
        type=events.EventType.ORGANIZATION_REQUEST_REJECTED,
        organization_id=None,
        data={"requestId": row.id, "organizationName": _draft_name(row)},
    )
    await session.refresh(row)
    return row


# ---------------------------------------------------------------- pieces


async def _site(session: AsyncSession, site_id: str | None) -> models.Site:
    try:
        site = await organizations.resolve_site(session, site_id, field="x-ccsite")
    except OrgqlError as error:
        raise OrgqlError(RequestCodes.INVALID_INPUT, error.message, error.field) from None
    if site is None:
        raise OrgqlError(
            RequestCodes.INVALID_INPUT, "no site: name one in x-ccsite or configure a default"
        )
    return site


def _draft_name(row: request_models.OrganizationRequest) -> object:
    draft = row.organization_draft
    return draft.get("name") if isinstance(draft, dict) else None


def _profile_gone(row: request_models.OrganizationRequest) -> bool:
    return row.profile_linked and row.profile_id is None


def _profile_gone_error(code: str, message: str) -> OrgqlError:
    return OrgqlError(code, message, "profile", ErrorKind.CONFLICT)


async def _profile_id_by_email(session: AsyncSession, email: str) -> str | None:
    """The profile with ``email`` in any case of the same letters (core.common.emails): a
    look-alike (``bob@\u0130bm.com`` beside bob@ibm.com) is nobody's."""
    profile = models.Profile
    return await session.scalar(
        select(profile.id).where(same_email(profile.email, profile.email_key, email))
    )


async def _same_email(session: AsyncSession, email: str, other: str) -> bool:
    """Whether ``other`` is ``email`` as core.common.emails compares them (the database's
    letters, not Python's: they differ on a final sigma and a dotted capital I)."""
    return bool(await session.scalar(select(same_email(literal(email), text_key(email), other))))


async def _profile_for(
    session: AsyncSession, row: request_models.OrganizationRequest
) -> tuple[str, bool]:
    """The profile with the request's email (compared case-insensitively, in the same letters),
    created from the draft profile if there is none (then True). Concurrent approvals of two
    requests with one email create one profile: the insert yields to the unique email key. A
    profile that holds the key with other letters (a look-alike address: core.common.emails)
    is another person's: the approval is refused (22003), never linked to it. A request
    stored before the email or the name rule whose values break them creates no profile
    (core.requests.approval_checks)."""
    profile_id = await _profile_id_by_email(session, row.profile_email)
    if profile_id is not None:
        return profile_id, False
    email = row.profile_email.strip()  # as every path that takes an email stores it
    check_new_profile(email, row.profile_first_name, row.profile_last_name)
    (new_id,) = await next_ids(session, 1)
    inserted: str | None = await session.scalar(
        insert(models.Profile)
        .values(
            id=new_id,
            email=email,
            first_name=row.profile_first_name,
            last_name=row.profile_last_name,
            customer_contact_id=row.profile_customer_contact_id,
            party_id=row.profile_party_id,
            party_number=row.profile_party_number,
            receive_email=bool(row.profile_receive_email),
            active=True,
        )
        .on_conflict_do_nothing(constraint="uq_profiles_email_key")
        .returning(models.Profile.id)
    )
    if inserted is not None:
        return inserted, True
    existing = await _profile_id_by_email(session, row.profile_email)
    if existing is None:  # the key is taken by a look-alike (the conflicting row is committed)
        raise email_taken("profile.email")
    return existing, False


async def _check_address_types(
    session: AsyncSession, draft: Mapping[str, object], problems: Problems
) -> None:
    """Every address type a draft names must exist (180104)."""
    wanted = draft_type_ids(draft)
    found = await repository.existing_ids(
        session,
        request_models.AddressType.id,
        list(dict.fromkeys(type_id for type_id, _ in wanted)),
    )
    for type_id, path in wanted:
        if type_id not in found:
            problems.add(
                RequestCodes.ADDRESS_TYPE_UNKNOWN, f"Invalid address type ID {type_id}", path
            )


async def _check_organization_name_free(session: AsyncSession, name: str) -> None:
    if await organizations.name_taken(session, name):
        raise _name_taken(name)


def _name_taken(name: str) -> OrgqlError:
    return OrgqlError(
        RequestCodes.ORGANIZATION_NAME_EXISTS,
        f"An organization named {name!r} already exists",
        "organization.name",
        ErrorKind.CONFLICT,
    )


def _organization_error(error: OrgqlError, name: str) -> OrgqlError:
    """The organization service's refusal in the request API's words."""
    if error.code == Codes.NAME_EXISTS:
        return _name_taken(name)
    if error.kind is ErrorKind.INTERNAL:
        return error
    details = [request_detail(detail) for detail in error.details]
    return OrgqlError.from_details(details, error.kind)


async def _tag_addresses(
    session: AsyncSession, organization_id: str, draft_addresses: list[DraftAddress]
) -> None:
    """Give the created addresses what createOrganization does not carry: their external ids
    and address types. Address types (nicknames) are unique within the organization."""
    if not any(a.external_address_id or a.type_ids for a in draft_addresses):
        return
    created = await repository.addresses_by_organization(session, [organization_id])
    by_type = {(row.address_type or "").lower(): row for row in created[organization_id]}
    for draft in draft_addresses:
        address = by_type[draft.address_type.lower()]
        address.external_address_id = draft.external_address_id
        session.add_all(
            request_models.AddressTypeLink(address_id=address.id, address_type_id=type_id)
            for type_id in draft.type_ids
        )
    await session.flush()
