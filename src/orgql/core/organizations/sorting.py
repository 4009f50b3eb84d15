"""The organizations list's ``sort``: ``key[:asc|desc]`` separated by commas (the vendor's
``sort=name:asc``). Keys are declared once here; an unknown key or direction is the caller's
error (100002, field ``sort``), never ignored. The id always breaks ties, so pages are
stable."""

from __future__ import annotations

from dataclasses import dataclass

from orgql.core.common.errors import Codes, OrgqlError

#: OCC key -> column of the organizations a list may be sorted by.
SORT_KEYS = {
    "id": "id",
    "repositoryId": "id",
    "name": "name",
    "type": "type",
    "customerType": "customer_type",
    "active": "active",
    "dunsNumber": "duns_number",
    "uniqueId": "unique_id",
    "externalOrganizationId": "external_organization_id",
    "partyNumber": "party_number",
}
#: The most keys one sort may name.
MAX_SORT_KEYS = 5
_MAX_LENGTH = 300


@dataclass(frozen=True)
class SortKey:
    key: str  # a key of SORT_KEYS
    descending: bool = False

    @property
    def column(self) -> str:
        return SORT_KEYS[self.key]


def _refused(message: str) -> OrgqlError:
    return OrgqlError(Codes.INVALID_INPUT, f"sort: {message}", "sort")


def parse_sort(raw: str | None) -> list[SortKey]:
    """The keys ``raw`` names, in order; empty when absent or blank."""
    if raw is None or not raw.strip():
        return []
    if len(raw) > _MAX_LENGTH:
        raise _refused(f"at most {_MAX_LENGTH} characters are allowed")
    parts = [part.strip() for part in raw.split(",")]
    if len(parts) > MAX_SORT_KEYS:
        raise _refused(f"at most {MAX_SORT_KEYS} keys are allowed")
    keys: list[SortKey] = []
    for part in parts:
        key, _, direction = part.partition(":")
        key, direction = key.strip(), direction.strip().lower() or "asc"
        if key not in SORT_KEYS:
            known = ", ".join(SORT_KEYS)
            raise _refused(f"unknown key {key[:60]!r}; known: {known}")
        if direction not in ("asc", "desc"):
            raise _refused(f"{key} must be followed by :asc or :desc, not {direction[:20]!r}")
        if any(existing.column == SORT_KEYS[key] for existing in keys):
            raise _refused(f"{key} is named twice")
        keys.append(SortKey(key, direction == "desc"))
    return keys
