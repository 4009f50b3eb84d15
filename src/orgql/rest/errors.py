"""Failures in the OCC ``errorModel`` shape.

Only the core's own :class:`OrgqlError` reaches the caller with its message (an allow-list);
anything else becomes a generic 500 whose error id is logged with the traceback.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping

from starlette.responses import JSONResponse
from starlette.types import Scope

from orgql.core.common.errors import Codes, ErrorDetail, ErrorKind, OrgqlError
from orgql.observability.database import expected_failure, note_failure
from orgql.rest.shapes import ErrorEntry, ErrorModel

logger = logging.getLogger("orgql.rest")

STATUS_BY_KIND = {
    ErrorKind.INVALID: 400,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.STALE: 412,
    ErrorKind.INTERNAL: 500,
}

#: Transport failures that no OCC code names carry their HTTP status as ``errorCode``.
ROUTE_NOT_FOUND = "404"
METHOD_NOT_ALLOWED = "405"
INTERNAL_ERROR = "500"

MESSAGES = {
    404: "No such resource",
    405: "Method not allowed on this resource",
}


def _entry(detail: ErrorDetail, status: int) -> ErrorEntry:
    entry: ErrorEntry = {
        "errorCode": detail.code,
        "message": detail.message,
        "status": str(status),
    }
    if detail.field is not None:
        entry["o:errorPath"] = detail.field
    return entry


def error_model(err: OrgqlError, status: int | None = None) -> ErrorModel:
    status = status or STATUS_BY_KIND[err.kind]
    first = _entry(ErrorDetail(err.code, err.message, err.field), status)
    return {**first, "errors": [_entry(detail, status) for detail in err.details]}


def error_response(
    err: OrgqlError, status: int | None = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    status = status or STATUS_BY_KIND[err.kind]
    return JSONResponse(error_model(err, status), status_code=status, headers=headers)


def bad_request(message: str, field: str | None = None) -> OrgqlError:
    """The request itself is unusable (malformed JSON, bad query parameter): 100002."""
    return OrgqlError(Codes.INVALID_INPUT, message, field)


def routing_error(status: int) -> OrgqlError:
    """A routing failure: an unknown path (404) or method (405). Answered by
    edge_errors.routing_refusal, in the shape of the path asked."""
    code = (
        ROUTE_NOT_FOUND if status == 404 else METHOD_NOT_ALLOWED if status == 405 else str(status)
    )
    message = MESSAGES.get(status, "Request failed")
    kind = ErrorKind.NOT_FOUND if status == 404 else ErrorKind.INVALID
    return OrgqlError(code, message, None, kind)


def internal_error_response(
    where: str, code: str = INTERNAL_ERROR, *, expected: str | None = None
) -> JSONResponse:
    """Log the exception being handled under a fresh id; answer with the id only.

    ``expected``: why it is not a bug (observability.database.expected_failure: the database
    is unavailable, or cancelled a statement that waited too long): logged as one warning
    with that reason, without the traceback."""
    error_id = uuid.uuid4().hex
    if expected is not None:
        logger.warning("error %s in %s: %s", error_id, where, expected)
    else:
        logger.exception("unhandled error %s in %s", error_id, where)
    err = OrgqlError(
        code,
        f"An internal error occurred; quote error id {error_id} when reporting it",
        None,
        ErrorKind.INTERNAL,
    )
    return error_response(err)


QUERY_NOT_UTF8 = "the query string is not UTF-8"


def unreadable_query(scope: Scope) -> OrgqlError | None:
    """The refusal (400, 100002) of an HTTP request whose raw query string is not UTF-8 (a
    client that sent a byte such as 0xFF unencoded); None for any other. Its URL cannot be
    written (the self links, ``request.url``, a trailing slash's redirect): it was a 500.
    Answered at the edge for every path, in the path's shape (edge_errors). A query string
    percent-encoded, as clients send it, is ASCII, and checked at once."""
    query_string: bytes = scope.get("query_string", b"")
    if query_string.isascii():
        return None
    try:
        query_string.decode()
    except UnicodeDecodeError:
        return bad_request(QUERY_NOT_UTF8)
    return None


def unexpected_error_response(
    where: str, error: BaseException, code: str = INTERNAL_ERROR
) -> JSONResponse:
    """``error``, which no allow-list let speak, as a 500 with a logged error id. A lost
    database, or a statement it cancelled, is noted on the request (observability.database),
    whose middleware answers it as a 503 (docs/operations.md, "Health"), and logged as one
    warning without a traceback."""
    note_failure(error)
    return internal_error_response(where, code, expected=expected_failure(error))
