"""Which errors reach GraphQL callers. Allow-list: GraphQL's own syntax and validation errors
and the errors we raise on purpose pass through; anything else is masked, and logged with a
reference the caller can quote to find the log line."""

from __future__ import annotations

import logging
import re
import sys
import uuid
from collections.abc import Callable, Iterator, Mapping

from graphql import GraphQLError
from starlette.responses import Response
from strawberry.extensions import MaskErrors

from orgql.core.common.errors import ErrorDetail, ErrorKind, OrgqlError
from orgql.edge_errors import graphql_error_response
from orgql.graphql.committed_fields import committed_field
from orgql.graphql.types import UserError
from orgql.idempotency import claims as idempotency_claims
from orgql.observability.database import expected_failure, note_failure, telling_commits
from orgql.observability.requests import retry_later_error

logger = logging.getLogger("orgql.graphql")


Named = Callable[[ErrorDetail], ErrorDetail]


def public_error(error: OrgqlError, named: Named | None = None) -> GraphQLError:
    """A core error for the top-level ``errors`` list (queries; mutations use userErrors),
    its field named as the GraphQL arguments do (``named``: :func:`user_errors_of`)."""
    detail = ErrorDetail(error.code, error.message, error.field)
    if named is not None:
        detail = named(detail)
    return GraphQLError(detail.message, extensions={"code": error.code, "field": detail.field})


_INDEX = re.compile(r"\[\d+\]")


def argument_paths(table: Mapping[str, str | None]) -> Named:
    """A mutation's ``named`` (:func:`user_errors_of`) from a table of the core's error
    paths, which name the REST body's keys (``[]`` for any index), to the paths of the
    mutation's arguments: with ``{"roles[].relativeTo.id": "roles[].organizationId"}``,
    ``roles[2].relativeTo.id`` is ``roles[2].organizationId``. A path not in the table is
    named as the arguments name it already; one whose target is None names no argument (a
    refusal of what is stored, not of an input: its field null). (The messages are the
    core's: where one would say a REST key, the mutation gives the core its own name for it,
    as the people parsers take, core.common.validation.InputNames.)"""

    def named(detail: ErrorDetail) -> ErrorDetail:
        if detail.field is None:
            return detail
        key = _INDEX.sub("[]", detail.field)
        if key not in table:
            return detail
        target = table[key]
        if target is None:
            return ErrorDetail(detail.code, detail.message, None)
        indexes = iter(_INDEX.findall(detail.field))
        field = re.sub(r"\[\]", lambda _: next(indexes), target)
        return ErrorDetail(detail.code, detail.message, field)

    return named


def site_argument(site: object, named: Named | None = None) -> Named:
    """``named`` (or no renaming) for a mutation with a ``site`` argument: the core names the
    site it was given ``x-ccsite`` (the REST header); given by the argument (``site`` not
    None) it is ``site``, as the reads name it (graphql.organizations.reads); taken from the
    header, ``x-ccsite`` still."""
    header = argument_paths({"x-ccsite": "site"} if site is not None else {})

    def both(detail: ErrorDetail) -> ErrorDetail:
        return header(named(detail) if named is not None else detail)

    return both


def user_errors_of(error: OrgqlError, named: Named | None = None) -> list[UserError]:
    """A mutation's refusal as its payload's ``userErrors``: every problem of the input, its
    field named as the GraphQL input names it (``named``: the core names fields as the REST
    bodies do; :func:`argument_paths`). Every mutation turns the core's errors into
    userErrors here.

    What is no problem of the input is never a userError: a refusal for want of a role
    (FORBIDDEN) and our own failure (INTERNAL) are raised as top-level errors, the
    mutation's field null (nothing changed), their field named alike."""
    if error.kind in (ErrorKind.FORBIDDEN, ErrorKind.INTERNAL):
        raise public_error(error, named) from None
    details = error.details if named is None else [named(detail) for detail in error.details]
    return [UserError.from_detail(detail) for detail in details]


def unexpected_error_response() -> Response:
    """The exception being handled, raised outside any resolver (so no masking saw it): logged
    under a reference, answered as a GraphQL error body with that reference. A lost database
    (a direct read's, graphql.execution.direct) is marked, so that the answer becomes a 503,
    and logged as a warning without a traceback (expected_failure). After a mutation of the
    request committed, the message says so (observability.database.telling_commits)."""
    error = sys.exc_info()[1]
    expected = None
    if error is not None:
        note_failure(error)
        expected = expected_failure(error)
    reference = uuid.uuid4().hex[:16]
    if expected is not None:
        logger.warning("error (reference %s) outside execution: %s", reference, expected)
    else:
        logger.error("unexpected error (reference %s) outside execution", reference, exc_info=True)
    message = telling_commits(f"Unexpected error (reference {reference}).")
    return graphql_error_response(500, message, "internal", reference=reference)


def is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError | OrgqlError)


class MaskUnexpectedErrors(MaskErrors):
    """One instance per operation (strawberry builds the extensions of each)."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message="Unexpected error.")
        #: Whether an expected failure of this operation was logged: its other fields,
        #: failed the same way (the pool exhausted), add a debug line each, not a warning.
        self._warned = False

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request = getattr(self.execution_context.context, "request", None)
        if request is not None:  # not an answer an Idempotency-Key keeps
            idempotency_claims.note_unexpected(request.scope)
        reference = uuid.uuid4().hex[:16]
        original = error.original_error
        expected = expected_failure(original) if original is not None else None
        # Not a bug: logged without a traceback, the field's error the 503's message and code.
        if expected is not None:
            level = logging.DEBUG if self._warned else logging.WARNING
            self._warned = True
            logger.log(level, "error (reference %s) at %s: %s", reference, error.path, expected)
            masked = _retry_later(error, reference)
        else:
            logger.error(
                "unexpected error (reference %s) at %s", reference, error.path, exc_info=original
            )
            masked = GraphQLError(
                message=f"Unexpected error (reference {reference}).",
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                extensions={"code": "internal", "reference": reference},
            )
        if committed_field(self.execution_context.context, error.path):
            return _committed(masked)
        return masked

    def on_operation(self) -> Iterator[None]:
        # The fields committed are this operation's (an HTTP batch's share the context).
        committed = getattr(self.execution_context.context, "committed_fields", None)
        if committed is not None:
            committed.clear()
        yield from super().on_operation()


#: Said by the error of a field whose mutation committed before the error (its payload's
#: read failed): sent again, it would be made twice.
COMMITTED_FIELD = (
    "This field's change was committed before the failure: do not send it again; read the"
    " current state instead."
)


def _committed(error: GraphQLError) -> GraphQLError:
    """``error`` of a mutation field that committed its change before it (graphql.
    committed_fields): ``extensions.committed`` true, and the message says so."""
    return GraphQLError(
        message=f"{error.message} {COMMITTED_FIELD}",
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={**(error.extensions or {}), "committed": True},
    )


def _retry_later(error: GraphQLError, reference: str) -> GraphQLError:
    """The field's error when the database failed it: the message and code of the 503 that
    answers the HTTP path (``unavailable``, ``STATEMENT_TIMEOUT``; observability.requests),
    and the reference of its log line. Seen where no 503 replaces the answer: over
    WebSocket, which has no status, and over HTTP when a mutation field of the request
    committed (observability.database.note_commit): the answer reports what was done, each
    failed field null with this error. Elsewhere the request middleware's 503 replaces it."""
    assert error.original_error is not None
    retry = retry_later_error(error.original_error)
    assert retry is not None  # an expected failure (observability.database.expected_failure)
    message, code = retry
    return GraphQLError(
        message=message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": code, "reference": reference},
    )
