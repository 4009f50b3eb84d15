"""OCC error codes of the organization request endpoints (statuses: :mod:`.statuses`)."""

from __future__ import annotations

from orgql.core.common.errors import Codes


class RequestCodes:
    """OCC error codes of the organization request endpoints."""

    VALUE_TOO_LONG = Codes.VALUE_TOO_LONG  # 00004
    NOT_FOUND = "101000"  # Invalid Organization Request ID
    INVALID_INPUT = "101001"  # Invalid Input for organization request
    INVALID_STATUS = "101007"  # status given is not review or moreInfoNeeded
    FINAL = "101008"  # already approved or rejected
    REGISTRATION_DISABLED = "101013"
    PROFILE_GONE_STATUS = "101014"  # requester's profile deleted: only rejection is possible
    SUBMIT_FAILED = "101015"  # There was a problem creating your account
    PROFILE_GONE = "101017"  # requester's profile deleted: operation not allowed
    ORGANIZATION_NAME_EMPTY = "100012"
    ORGANIZATION_NAME_EXISTS = "100014"
    DUNS_INVALID = "100023"
    ADDRESS_TYPE_UNKNOWN = "180104"  # Invalid address type ID {0}
    ADDRESS_TYPE_INVALID = "180120"  # Invalid address type value
    ADDRESS_TYPE_ID_REQUIRED = "100204"  # Id is required for types
