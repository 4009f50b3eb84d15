"""The organizations list's ``sort`` keys (core.common.sorting: ``key[:asc|desc]``, comma
separated, 100002 at ``sort`` for an unknown key), declared once here."""

from __future__ import annotations

from orgql.core.common import sorting
from orgql.core.common.sorting import MAX_SORT_KEYS, SortKey

__all__ = ["MAX_SORT_KEYS", "SORT_KEYS", "SortKey", "parse_sort"]

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


def parse_sort(raw: str | None) -> list[SortKey]:
    """The organizations' keys ``raw`` names, in order; empty when absent or blank."""
    return sorting.parse_sort(raw, SORT_KEYS)
