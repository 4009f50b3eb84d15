"""The profiles list's ``sort`` keys (core.common.sorting: ``key[:asc|desc]``, comma
separated, 100002 at ``sort`` for an unknown key), declared once here."""

from __future__ import annotations

from orgql.core.common import sorting
from orgql.core.common.sorting import SortKey

#: OCC key -> column of the profiles a list may be sorted by. An email sorts as it is
#: compared: trimmed, in lower case (core.common.emails).
SORT_KEYS = {
    "id": "id",
    "repositoryId": "id",
    "email": "email_key",
    "firstName": "first_name",
    "lastName": "last_name",
    "customerContactId": "customer_contact_id",
    "partyId": "party_id",
    "partyNumber": "party_number",
    "active": "active",
}


def parse_sort(raw: str | None) -> list[SortKey]:
    """The profiles' keys ``raw`` names, in order; empty when absent or blank."""
    return sorting.parse_sort(raw, SORT_KEYS)
