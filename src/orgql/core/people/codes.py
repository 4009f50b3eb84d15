"""Error codes of the people operations (contacts, their organizations, their roles).

The vendor's pages in spec/ name one profile code, 22002 (an invalid profile id in
``members``): it answers an unknown contact here. A second contact with an email already
taken has no code in spec/; orgql answers 22003 (409), beside it. The last approver rule
is the vendor's 100083.
"""

from __future__ import annotations

from orgql.core.common.errors import Codes


class PeopleCodes:
    INVALID_INPUT = Codes.INVALID_INPUT  # 100002
    VALUE_TOO_LONG = Codes.VALUE_TOO_LONG  # 00004
    ORGANIZATION_NOT_FOUND = Codes.ORGANIZATION_NOT_FOUND  # 100001
    PROFILE_NOT_FOUND = Codes.PROFILE_INVALID  # 22002
    EMAIL_EXISTS = "22003"
    LAST_APPROVER = Codes.NO_ACTIVE_APPROVER  # 100083
