"""Where a webhook delivery stands: the one declaration of the vocabulary. The database check
(``db/event_models.py``) and the GraphQL enum are derived from it, and
``tests/webhooks/test_delivery_status_vocabulary.py`` holds them to it."""

from enum import StrEnum


class DeliveryStatus(StrEnum):
    #: Not delivered yet (a retry may be due).
    PENDING = "pending"
    #: Answered with a 2xx.
    DELIVERED = "delivered"
    #: Given up after the last attempt.
    FAILED = "failed"
