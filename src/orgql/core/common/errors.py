"""Errors the core raises, each with its OCC error code.

The core says *what* went wrong (``kind``); transports decide how to show it (HTTP status,
GraphQL ``userErrors``). No HTTP status lives here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum

#: How many characters of a caller's value a message quotes: an id of a megabyte is not
#: answered back whole (:func:`quoted`).
QUOTED_CHARACTERS = 80


def quoted(value: object) -> str:
    """A caller's value as a message quotes it: the ``repr`` of a text's first
    :data:`QUOTED_CHARACTERS` characters (of any other value, its ``repr`` cut to as many),
    and ``...`` after it when it was longer."""
    if not isinstance(value, str):
        shown = repr(value)
        return shown if len(shown) <= QUOTED_CHARACTERS else f"{shown[:QUOTED_CHARACTERS]}..."
    if len(value) <= QUOTED_CHARACTERS:
        return repr(value)
    return f"{value[:QUOTED_CHARACTERS]!r}..."


#: The most characters an error's ``field`` (its path: REST's ``o:errorPath``, a userError's
#: ``field``) holds. Every path of our own making is held whole, a client matches it against
#: the key it is about: the longest names a dynamic property the operator defined, whose id
#: may have 254 characters (core.reference.data), and even one named below the longest prefix
#: of our own names (``siteOrganizationProperties[999].properties.dynamicProperties.``, 61)
#: would be 315. One ending in a key the caller made up (an unknown property) is cut to its
#: first characters, as :func:`quoted` does: a body of a thousand keys of a kilobyte is
#: answered with at most :data:`MAX_DETAILS` paths of this many, about 20 KB, not at its size.
FIELD_CHARACTERS = 400


def bounded_field(field: str | None) -> str | None:
    """``field`` as an error holds it: past :data:`FIELD_CHARACTERS`, its first characters
    and ``...``, that many in all (so a path cut short, extended and cut again, stays so)."""
    if field is None or len(field) <= FIELD_CHARACTERS:
        return field
    return f"{field[: FIELD_CHARACTERS - 3]}..."


class ErrorKind(Enum):
    INVALID = "invalid"  # the input breaks a rule
    NOT_FOUND = "not_found"  # the thing addressed does not exist
    CONFLICT = "conflict"  # the input clashes with existing state (duplicate name, ...)
    STALE = "stale"  # the caller's expected version is not the current one
    INTERNAL = "internal"  # our fault; the caller's data is untouched
    FORBIDDEN = "forbidden"  # the caller may see the thing but lacks the role to do this


@dataclass(frozen=True)
class ErrorDetail:
    code: str
    message: str
    #: Where the problem is (``bounded_field``: whoever builds the path, from whatever keys).
    field: str | None = None
    #: How many problems this detail counts instead of listing them: :meth:`OrgqlError.
    #: from_details`'s "and N more problems" (N), 0 for a problem of its own. A detail reworded
    #: with ``dataclasses.replace`` keeps it, so an error's details wrapped again (in another
    #: API's codes and paths) are counted, not cut again as if the count were one problem.
    more: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "field", bounded_field(self.field))


@dataclass
class OrgqlError(Exception):
    """A failure the caller can act on. ``details`` holds every problem found, first first."""

    code: str
    message: str
    field: str | None = None
    kind: ErrorKind = ErrorKind.INVALID
    details: list[ErrorDetail] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.message)
        self.field = bounded_field(self.field)
        if not self.details:
            self.details = [ErrorDetail(self.code, self.message, self.field)]

    @classmethod
    def from_details(cls, details: list[ErrorDetail], kind: ErrorKind) -> OrgqlError:
        """One error for every problem found; past :data:`MAX_DETAILS` of them, the first
        ones and a count of the rest (an answer stays small however bad the input). The
        details may hold another error's (reworded): its count of the rest is added to this
        one's, whatever code and path the rewording gave it."""
        listed = [detail for detail in details if not detail.more]
        first = (listed or details)[0]
        shown = listed[:MAX_DETAILS]
        rest = len(listed) - len(shown) + sum(detail.more for detail in details)
        if rest:
            shown.append(ErrorDetail(first.code, f"and {rest} more problems", None, more=rest))
        return cls(first.code, first.message, first.field, kind, shown)


#: The most problems one error lists (:meth:`OrgqlError.from_details`).
MAX_DETAILS = 50


class Codes:
    """OCC error codes used by the core (see spec/ for their meaning)."""

    VALUE_TOO_LONG = "00004"
    ORGANIZATION_NOT_FOUND = "100001"
    INVALID_INPUT = "100002"
    NAME_EMPTY = "100003"
    NAME_EXISTS = "100005"
    CREATE_FAILED = "100006"
    LOGO_NOT_FOUND = "100052"
    INVALID_BILLING_ADDRESS = "100053"
    INVALID_SHIPPING_ADDRESS = "100054"
    CATALOG_INVALID = "100064"
    CATALOG_REQUIRED = "100073"
    PRICE_LIST_GROUP_REQUIRED = "100074"
    EXTERNAL_REFERENCE_INVALID = "100075"
    PRICE_LIST_GROUP_INVALID = "20187"
    TAX_EXEMPTION_CODE_INVALID = "100104"
    PAYMENT_METHODS_INVALID = "100118"
    SHIPPING_METHODS_INVALID = "100119"
    USE_ALL_PAYMENT_METHODS_INVALID = "100120"
    USE_ALL_SHIPPING_METHODS_INVALID = "100121"
    PROFILE_INVALID = "22002"
    DELEGATION_NOT_ENABLED = "100082"
    NO_ACTIVE_APPROVER = "100083"
    APPROVAL_DELEGATED = "100086"
    SITE_PROPERTIES_READ_FAILED = "100105"
    SITE_PROPERTIES_ORGANIZATION_NOT_FOUND = "100108"
    SITE_NOT_B2B = "100109"
    SITE_PROPERTIES_INVALID = "100110"
    SITE_PROPERTIES_UPDATE_FAILED = "100111"
    SELF_SERVICE_PORTAL_DISABLED = "58001"
    FINANCIAL_SYNC_FAILED = "100193"
    #: No OCC code exists (the vendor's PUT has no optimistic locking): like the shim's
    #: routing failures, the HTTP status is the code.
    VERSION_CONFLICT = "412"
    #: orgql's own (no OCC code): the database cancelled a statement that waited for a lock
    #: or ran past its statement timeout; answered 503 with Retry-After, on both transports.
    STATEMENT_TIMEOUT = "STATEMENT_TIMEOUT"


def invalid(code: str, message: str, field: str | None = None) -> ErrorDetail:
    return ErrorDetail(code, message, field)
