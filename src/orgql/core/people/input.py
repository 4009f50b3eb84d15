"""Contact input, as the REST body and the GraphQL input both spell it (OCC keys).

``firstName``, ``lastName`` (no invisible character: core.common.characters), ``email``
(required on create; unique, compared case-insensitively after trimming),
``customerContactId`` (the external contact id), ``partyId``, ``partyNumber``,
``receiveEmail`` (a boolean, or the vendor's "yes" / "no"), ``active`` (update only: false
deactivates), ``parentOrganization`` ``{id}`` and ``secondaryOrganizations`` ``[{id}]``
(create only; afterwards their own operations).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from orgql.core.common.characters import check_seen, invisible_problem
from orgql.core.common.emails import changed_email_problem, email_problem
from orgql.core.common.validation import (
    REST_NAMES,
    InputNames,
    Problems,
    bare_id_problem,
    column_length,
    join,
    read_bool,
    read_ids,
    read_list,
    read_reference,
    read_str,
    unknown_keys,
)
from orgql.core.people.codes import PeopleCodes
from orgql.core.people.roles import RoleFunction
from orgql.db import models

#: OCC key -> profile column of the contact's own values.
CONTACT_COLUMNS = {
    "firstName": "first_name",
    "lastName": "last_name",
    "email": "email",
    "customerContactId": "customer_contact_id",
    "partyId": "party_id",
    "partyNumber": "party_number",
}
_CREATE_KEYS = frozenset(
    [*CONTACT_COLUMNS, "receiveEmail", "parentOrganization", "secondaryOrganizations"]
)
_UPDATE_KEYS = frozenset([*CONTACT_COLUMNS, "receiveEmail", "active"])
#: The contact's names: a person reads them (core.common.characters).
_NAMES = {"firstName": "first_name", "lastName": "last_name"}
_TABLE = models.Profile.__table__


@dataclass(frozen=True)
class NewContact:
    columns: dict[str, object]
    parent_id: str | None = None
    secondary_ids: list[str] = field(default_factory=list)


def _columns(doc: Mapping[str, object], problems: Problems, *, creating: bool) -> dict[str, object]:
    columns: dict[str, object] = {}
    for key, column in CONTACT_COLUMNS.items():
        if key not in doc:
            continue
        required = PeopleCodes.INVALID_INPUT if key == "email" else None
        value = read_str(
            doc, key, None, problems, max_length=column_length(_TABLE, column), required=required
        )
        # An update's email and names are judged once the stored ones are known
        # (check_stored_changes).
        problem = None
        if creating and key == "email" and value:
            problem = email_problem(value)
        elif creating and key in _NAMES and value:
            problem = invisible_problem(key, value)
        if problem is not None:
            problems.add(PeopleCodes.INVALID_INPUT, problem, key)
        columns[column] = value
    if creating and "email" not in doc:
        problems.add(PeopleCodes.INVALID_INPUT, "email is required", "email")
    if "receiveEmail" in doc:
        columns["receive_email"] = read_receive_email(doc, problems)
    return columns


def read_receive_email(doc: Mapping[str, object], problems: Problems) -> bool:
    """``receiveEmail``: a boolean, or the vendor's "yes" / "no"; null is no."""
    value = doc.get("receiveEmail")
    if isinstance(value, str) and value.strip().lower() in ("yes", "no"):
        return value.strip().lower() == "yes"
    return bool(read_bool(doc, "receiveEmail", None, problems))


def parse_new_contact(doc: Mapping[str, object], names: InputNames = REST_NAMES) -> NewContact:
    """A createProfile body; every problem at once (100002, 00004)."""
    problems = Problems()
    unknown_keys(doc, _CREATE_KEYS, None, problems)
    columns = _columns(doc, problems, creating=True)
    parent, secondary = _organizations(doc, names, problems)
    problems.raise_if_any()
    return NewContact(columns, parent, secondary)


def parse_contact_organizations(
    doc: Mapping[str, object], names: InputNames = REST_NAMES
) -> tuple[str | None, list[str]]:
    """A createProfile body's parent and secondary organizations alone (100002 for a malformed
    reference): what a shopper's authority is checked on before the rest is read."""
    problems = Problems()
    found = _organizations(doc, names, problems)
    problems.raise_if_any()
    return found


def _organizations(
    doc: Mapping[str, object], names: InputNames, problems: Problems
) -> tuple[str | None, list[str]]:
    code = PeopleCodes.INVALID_INPUT
    parent = read_reference(
        doc, "parentOrganization", None, problems, code=code, name=names.get("parentOrganization")
    )
    secondary = read_ids(
        doc,
        "secondaryOrganizations",
        None,
        problems,
        code=code,
        name=names.get("secondaryOrganizations"),
    )
    return parent, [org for org in secondary or [] if org != parent]


def parse_contact_changes(doc: Mapping[str, object]) -> dict[str, object]:
    """An updateProfile body: the columns to change (a key left out is unchanged). Its email
    and names are judged by :func:`check_stored_changes`, once the stored ones are known."""
    problems = Problems()
    unknown_keys(doc, _UPDATE_KEYS, None, problems)
    columns = _columns(doc, problems, creating=False)
    if "active" in doc:
        active = read_bool(doc, "active", None, problems)
        if active is None:
            problems.add(PeopleCodes.INVALID_INPUT, "active must be true or false", "active")
        columns["active"] = active
    problems.raise_if_any()
    return columns


def check_stored_changes(columns: Mapping[str, object], stored: models.Profile) -> None:
    """The email rule (core.common.emails) and the name rule (core.common.characters) on the
    columns of :func:`parse_contact_changes` (100002 at the key), judged against the
    ``stored`` contact: one stored before the rules still takes every other change, with its
    email and names sent back as they are."""
    problems = Problems()
    email = columns.get("email")
    problem = changed_email_problem(email, stored.email) if isinstance(email, str) else None
    if problem is not None:
        problems.add(PeopleCodes.INVALID_INPUT, problem, "email")
    for key, column in _NAMES.items():
        value = columns.get(column)
        if isinstance(value, str):
            check_seen(key, value, getattr(stored, column), problems)
    problems.raise_if_any()


def parse_organization_ids(
    doc: Mapping[str, object], key: str, names: InputNames = REST_NAMES
) -> list[str]:
    """``{key: [{"id": ...}, ...]}`` (the secondary organizations operations, members);
    ``names``: what the caller's input calls ``key``, if not so (core.common.validation)."""
    name = names.get(key)
    problems = Problems()
    unknown_keys(doc, frozenset([key]), None, problems)
    if doc.get(key) is None:
        problems.add(PeopleCodes.INVALID_INPUT, f"{name or key} is required", name or key)
    ids = read_ids(doc, key, None, problems, code=PeopleCodes.INVALID_INPUT, name=name) or []
    problems.raise_if_any()
    return ids


def parse_parent(doc: Mapping[str, object], names: InputNames = REST_NAMES) -> str:
    """``{"parentOrganization": {"id": ...}}`` (updateParentOrganization); ``names``: what
    the caller's input calls it, if not so (core.common.validation)."""
    name = names.get("parentOrganization")
    problems = Problems()
    unknown_keys(doc, frozenset(["parentOrganization"]), None, problems)
    code = PeopleCodes.INVALID_INPUT
    parent = read_reference(doc, "parentOrganization", None, problems, code=code, name=name)
    if parent is None and not problems:
        problems.add(
            code, f"{name or 'parentOrganization'} is required", name or "parentOrganization"
        )
    problems.raise_if_any()
    assert parent is not None
    return parent


@dataclass(frozen=True)
class RoleRef:
    """One role of one organization: ``{"function": "approver", "relativeTo": {"id": ...}}``."""

    function: RoleFunction
    organization_id: str


#: The functions a role may name; a set of the OCC words (StrEnum members hash as them).
_FUNCTIONS = frozenset(RoleFunction)


def _read_function(
    item: Mapping[str, object], where: str, problems: Problems
) -> RoleFunction | None:
    """A role's ``function``: one of the five OCC words (100002 at ``function``); a value of
    another type (a list, an object) is refused before it is looked up."""
    function = item.get("function")
    if isinstance(function, str) and function in _FUNCTIONS:
        return RoleFunction(function)
    message = (
        "function is required"
        if function is None
        else f"function must be one of {', '.join(RoleFunction)}"
    )
    problems.add(PeopleCodes.INVALID_INPUT, message, join(where, "function"))
    return None


def _read_relative_to(
    item: Mapping[str, object], where: str, problems: Problems, name: str | None
) -> str | None:
    """A role's ``relativeTo``: ``{"id": ...}``, required (100002 at ``relativeTo``, or at
    ``relativeTo.id`` when the object names no id: ``{}`` names no organization here, unlike
    an optional reference where it means none). ``name``: what the caller's input calls the
    id, if not so (core.common.validation.InputNames)."""
    code, path = PeopleCodes.INVALID_INPUT, join(where, name or "relativeTo")
    value = item.get("relativeTo")
    if value is None:
        problems.add(code, f"{name or 'relativeTo'} is required", path)
        return None
    if isinstance(value, Mapping):
        ref = value.get("id", value.get("repositoryId"))
        if not isinstance(ref, str) or not ref.strip():
            if name:
                problems.add(code, bare_id_problem(name), path)
            else:
                problems.add(code, "relativeTo.id must be an organization id", join(path, "id"))
            return None
    return read_reference(item, "relativeTo", where, problems, code=code, name=name)


def parse_roles(doc: Mapping[str, object], names: InputNames = REST_NAMES) -> list[RoleRef]:
    """``{"roles": [{"function", "relativeTo": {"id"}}]}`` (addRoles, removeRoles): every
    malformed item at its path (100002). An empty list is no change (orgql's choice: the
    vendor documents no such operation), as an empty list of secondary organizations is."""
    problems = Problems()
    code = PeopleCodes.INVALID_INPUT
    unknown_keys(doc, frozenset(["roles"]), None, problems)
    items = read_list(doc, "roles", None, problems) or []
    if doc.get("roles") is None:
        problems.add(code, "roles is required", "roles")
    found: list[RoleRef] = []
    for index, item in enumerate(items):
        where = join("roles", index)
        if not isinstance(item, Mapping):
            problems.add(code, "a role must be an object", where)
            continue
        unknown_keys(item, frozenset(["function", "relativeTo"]), where, problems)
        function = _read_function(item, where, problems)
        organization = _read_relative_to(item, where, problems, names.get("relativeTo"))
        if function is not None and organization is not None:
            found.append(RoleRef(function, organization))
    problems.raise_if_any()
    return list(dict.fromkeys(found))
