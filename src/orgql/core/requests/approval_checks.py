"""What an approval would store, judged by today's rules: a request stored before a rule may
hold a value the rule refuses (an email, a name with an invisible character), and approving
it as it is would put that value into organizations or profiles. The approval is refused
(101001 at the value's path, as when it is submitted) and changes nothing: the admin
corrects the request with an update, then approves."""

from __future__ import annotations

from collections.abc import Mapping

from orgql.core.common.characters import invisible_problem
from orgql.core.common.emails import email_problem
from orgql.core.common.validation import Problems
from orgql.core.requests.codes import RequestCodes


def check_draft_name(draft: Mapping[str, object]) -> None:
    """The name of the organization the draft becomes (core.common.characters)."""
    name = draft.get("name")
    problems = Problems()
    if isinstance(name, str):
        _judge(invisible_problem("name", name.strip()), "organization.name", problems)
    problems.raise_if_any()


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
        field = path.partition(".")[2]
        hint = f"correct the request's {field} (update {path}) before approving it"
        problems.add(RequestCodes.INVALID_INPUT, f"{problem}; {hint}", path)
