"""Where an organization request stands (updateOrganizationRequests.txt, DOMAIN.md
"Registration requests"): the one declaration of the vocabulary. The database check
(``db/request_models.py``), the GraphQL enum and the REST schema are derived from it, and
``tests/requests/test_status_vocabulary.py`` holds them to it."""

from enum import StrEnum


class RequestStatus(StrEnum):
    """A request's status; the values are the OCC words, stored as they are."""

    REVIEW = "review"
    MORE_INFO_NEEDED = "moreInfoNeeded"
    APPROVED = "approved"
    REJECTED = "rejected"


#: The statuses an update may set; approving or rejecting is a decision of its own.
OPEN_STATUSES = (RequestStatus.REVIEW, RequestStatus.MORE_INFO_NEEDED)
#: Approved and rejected requests never change again.
FINAL_STATUSES = (RequestStatus.APPROVED, RequestStatus.REJECTED)
