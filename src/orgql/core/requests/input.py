"""Parse untrusted organization request documents (createOrganizationRequest.txt,
updateOrganizationRequests.txt, approve and reject) into typed inputs, with the request
API's error codes. The draft organization is parsed by :mod:`organization_request_draft`;
rules that need the database live in :mod:`organization_requests`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from orgql.core.common.characters import check_seen
from orgql.core.common.emails import changed_email_problem
from orgql.core.common.validation import Problems, column_length, join, read_bool, read_str
from orgql.core.requests.codes import RequestCodes
from orgql.core.requests.draft import is_blank, parse_draft, unknown_keys
from orgql.core.requests.statuses import OPEN_STATUSES, RequestStatus
from orgql.db import models, request_models

_PROFILE_FIELDS = {
    "email": "profile_email",
    "firstName": "profile_first_name",
    "lastName": "profile_last_name",
    "customerContactId": "profile_customer_contact_id",
    "partyId": "profile_party_id",
    "partyNumber": "profile_party_number",
}
_PROFILE_KEYS = frozenset([*_PROFILE_FIELDS, "receiveEmail"])
_REQUIRED_PROFILE_FIELDS = ("email", "firstName", "lastName")
#: The names a person reads (core.common.characters: no invisible character): the request's,
#: and the requester's in its profile.
_REQUEST_NAMES = {"name": "name"}
_PROFILE_NAMES = {"firstName": "profile_first_name", "lastName": "profile_last_name"}
_REQUEST_FIELDS = {
    "name": "name",
    "requesterComments": "requester_comments",
    "approverComments": "approver_comments",
    "relatedOrganizationName": "related_organization_name",
}
SUBMIT_KEYS = frozenset(
    ["name", "organization", "profile", "relatedOrganizationName", "requesterComments"]
)
UPDATE_KEYS = SUBMIT_KEYS | {"approverComments", "status"}

_REQUEST = request_models.OrganizationRequest.__table__
_ADDRESS_TYPE_ID_LENGTH = column_length(request_models.AddressType.__table__, "id")


@dataclass(frozen=True)
class Submission:
    """A validated createOrganizationRequest body: request and profile columns, the draft."""

    columns: dict[str, object]
    draft: dict[str, object]


@dataclass(frozen=True)
class Changes:
    """A validated update: columns to set, and the draft if the body changed it."""

    columns: dict[str, object] = field(default_factory=dict)
    draft: dict[str, object] | None = None
    status: RequestStatus | None = None
    organization_name_changed: bool = False

    @property
    def email(self) -> str | None:
        value = self.columns.get("profile_email")
        return value if isinstance(value, str) else None


def parse_submission(doc: Mapping[str, object]) -> Submission:
    """createOrganizationRequest: ``name`` and profile email, firstName, lastName required; the
    draft organization's name defaults to the request's name."""
    problems = Problems()
    unknown_keys(doc, SUBMIT_KEYS, None, problems)
    columns = _request_columns(doc, problems, require_name=True)
    if doc.get("profile") is None:
        problems.add(RequestCodes.INVALID_INPUT, "profile is required", "profile")
    profile = _object(doc, "profile", problems)
    if profile is not None:
        columns.update(_profile_columns(profile, problems))
    organization = _object(doc, "organization", problems) or {}
    given = dict(organization)
    if is_blank(given.get("name")) and isinstance(columns.get("name"), str):
        given["name"] = columns["name"]
    draft = parse_draft(given, problems)
    problems.raise_if_any()
    assert draft is not None
    return Submission(columns=columns, draft=draft)


def parse_changes(doc: Mapping[str, object], stored: request_models.OrganizationRequest) -> Changes:
    """updateOrganizationRequests: the keys given replace the ``stored`` request's; the draft
    organization is merged key by key (a list of addresses replaces the list) and the result
    must be a valid draft. Required values cannot be cleared. The email rule judges an email
    that changes the stored one (core.common.emails), the name rule a name that changes
    (the request's, the draft organization's, the requester's first and last name:
    core.common.characters): one stored before the rule, sent back as it is, is kept."""
    problems = Problems()
    unknown_keys(doc, UPDATE_KEYS, None, problems)
    columns = _request_columns(doc, problems, require_name="name" in doc, stored=stored)
    status: RequestStatus | None = None
    if "status" in doc:
        raw = doc["status"]
        if not isinstance(raw, str) or raw not in OPEN_STATUSES:
            problems.add(
                RequestCodes.INVALID_STATUS,
                "Invalid status for organization request. Allowed status are"
                f" [{', '.join(OPEN_STATUSES)}]; approve or reject instead",
                "status",
            )
        else:
            status = RequestStatus(raw)
    profile = _object(doc, "profile", problems)
    if profile is not None:
        columns.update(_profile_columns(profile, problems, stored=stored))
    draft: dict[str, object] | None = None
    organization = _object(doc, "organization", problems)
    if organization is not None:
        current = stored.organization_draft
        draft = parse_draft({**current, **organization}, problems, stored=current)
    problems.raise_if_any()
    return Changes(
        columns=columns,
        draft=draft,
        status=status,
        organization_name_changed=organization is not None and "name" in organization,
    )


@dataclass(frozen=True)
class Decision:
    """The body of approve / reject."""

    approver_comments: str | None
    party_number: str | None = None


def parse_decision(doc: Mapping[str, object], *, approving: bool) -> Decision:
    """approve takes approverComments and optionally partyNumber; reject approverComments."""
    problems = Problems()
    allowed = frozenset(["approverComments", "partyNumber"] if approving else ["approverComments"])
    unknown_keys(doc, allowed, None, problems)
    comments = _text(doc, "approverComments", None, problems, "approver_comments")
    party_number: str | None = None
    if approving:
        party_number = _text(
            doc,
            "partyNumber",
            None,
            problems,
            max_length=column_length(models.Organization.__table__, "party_number"),
        )
    problems.raise_if_any()
    return Decision(approver_comments=comments, party_number=party_number)


# ---------------------------------------------------------------- pieces


def _object(doc: Mapping[str, object], key: str, problems: Problems) -> Mapping[str, object] | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        problems.add(RequestCodes.INVALID_INPUT, f"{key} must be an object", key)
        return None
    return value


def _text(
    doc: Mapping[str, object],
    key: str,
    path: str | None,
    problems: Problems,
    column: str | None = None,
    *,
    max_length: int | None = None,
    required: bool = False,
) -> str | None:
    limit = column_length(_REQUEST, column) if column is not None else max_length
    return read_str(
        doc,
        key,
        path,
        problems,
        max_length=limit,
        code=RequestCodes.INVALID_INPUT,
        required=RequestCodes.INVALID_INPUT if required else None,
    )


def _request_columns(
    doc: Mapping[str, object],
    problems: Problems,
    *,
    require_name: bool,
    stored: request_models.OrganizationRequest | None = None,
) -> dict[str, object]:
    columns: dict[str, object] = {}
    for key, column in _REQUEST_FIELDS.items():
        if key not in doc and not (key == "name" and require_name):
            continue
        value = _text(doc, key, None, problems, column, required=key == "name" and require_name)
        if key != "name" or value is not None:
            columns[column] = value
    _check_names(columns, _REQUEST_NAMES, None, problems, stored)
    return columns


def _check_names(
    columns: Mapping[str, object],
    names: Mapping[str, str],
    path: str | None,
    problems: Problems,
    stored: request_models.OrganizationRequest | None,
) -> None:
    """The ``names`` (OCC key -> column) among ``columns`` hold no invisible character
    (core.common.characters; 101001 at the name's path), unless one is the ``stored``
    request's as it is (a request stored before the rule takes every other change)."""
    for key, column in names.items():
        value = columns.get(column)
        if isinstance(value, str):
            kept = getattr(stored, column) if stored is not None else None
            code = RequestCodes.INVALID_INPUT
            check_seen(key, value, kept, problems, path=join(path, key), code=code)


def _profile_columns(
    profile: Mapping[str, object],
    problems: Problems,
    *,
    stored: request_models.OrganizationRequest | None = None,
) -> dict[str, object]:
    """The draft profile: whole at submit, the fields given in an update (of the ``stored``
    request). Required fields must be given at submit and cannot be cleared; the email rule
    judges an email that is new (emails.changed_email_problem), the name rule a first or
    last name that is new (:func:`_check_names`)."""
    partial = stored is not None
    current_email = stored.profile_email if stored is not None else None
    unknown_keys(profile, _PROFILE_KEYS, "profile", problems)
    columns: dict[str, object] = {}
    raw_party_id = profile.get("partyId")
    if isinstance(raw_party_id, int) and not isinstance(raw_party_id, bool):
        profile = {**profile, "partyId": str(raw_party_id)}  # a number in the vendor's schema
    for key, column in _PROFILE_FIELDS.items():
        if partial and key not in profile:
            continue
        required = key in _REQUIRED_PROFILE_FIELDS
        value = _text(profile, key, "profile", problems, column, required=required)
        if value is not None or not required:
            columns[column] = value
    email = columns.get("profile_email")
    problem = changed_email_problem(email, current_email) if isinstance(email, str) else None
    if problem is not None:
        problems.add(RequestCodes.INVALID_INPUT, problem, "profile.email")
    _check_names(columns, _PROFILE_NAMES, "profile", problems, stored)
    if "receiveEmail" in profile:
        columns["profile_receive_email"] = _receive_email(profile, problems)
    return columns


def _receive_email(profile: Mapping[str, object], problems: Problems) -> bool | None:
    """``receiveEmail``: a boolean, or the vendor's "yes" / "no"."""
    value = profile.get("receiveEmail")
    if isinstance(value, str) and value.strip().lower() in ("yes", "no"):
        return value.strip().lower() == "yes"
    return read_bool(profile, "receiveEmail", "profile", problems, code=RequestCodes.INVALID_INPUT)
