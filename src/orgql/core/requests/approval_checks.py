"""What an approval would store, judged by today's rules: a request stored before a rule may
hold a value the rule refuses (an email, a name with an invisible character or a combining
mark first), and approving it as it is would put that value into organizations or profiles.
The approval is refused (101001 at the value's path, as when it is submitted) and changes
nothing: the admin corrects the request with an update, then approves.

The draft organization is judged once, by createOrganization's parser
(core.requests.draft.new_organization, whose name rule is core.common.characters'): a problem
with its name is told with how to correct the request."""

from __future__ import annotations

from collections.abc import Mapping

from orgql.core.common.characters import invisible_problem
from orgql.core.common.emails import email_problem
from orgql.core.common.errors import ErrorDetail, OrgqlError
from orgql.core.common.validation import Problems
from orgql.core.organizations.input import NewOrganization
from orgql.core.requests.codes import RequestCodes
from orgql.core.requests.draft import DraftAddress, new_organization

#: Where the draft organization's name is told (core.requests.draft.request_detail).
_DRAFT_NAME = "organization.name"


def draft_organization(
    draft: Mapping[str, object], party_number: str | None
) -> tuple[NewOrganization, list[DraftAddress]]:
    """The organization the draft becomes (:func:`new_organization`, ``partyNumber`` if
    given); its name's invalid-input problems (101001: a character the name rule refuses)
    end with the hint to correct the request first."""
    try:
        return new_organization(draft, party_number)
    except OrgqlError as error:
        details = [
            _hinted(detail)
            if (detail.field, detail.code) == (_DRAFT_NAME, RequestCodes.INVALID_INPUT)
            else detail
            for detail in error.details
        ]
        raise OrgqlError.from_details(details, error.kind) from None


def check_new_profile(email: str, first_name: str | None, last_name: str | None) -> None:
    """The email (trimmed) and names a new profile would get (core.common.emails,
    core.common.characters)."""
    problems = Problems()
    _judge(email_problem(email), "profile.email", problems)
    for key, value in (("firstName", first_name), ("lastName", last_name)):
        if value is not None:
            _judge(invisible_problem(key, value.strip()), f"profile.{key}", problems)
    problems.raise_if_any()


def _judge(problem: str | None, path: str, problems: Problems) -> None:
    if problem is not None:
        problems.add(RequestCodes.INVALID_INPUT, _with_hint(problem, path), path)


def _hinted(detail: ErrorDetail) -> ErrorDetail:
    assert detail.field is not None
    return ErrorDetail(detail.code, _with_hint(detail.message, detail.field), detail.field)


def _with_hint(problem: str, path: str) -> str:
    field = path.partition(".")[2]
    return f"{problem}; correct the request's {field} (update {path}) before approving it"
