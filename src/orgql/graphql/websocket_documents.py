"""The document of an operation over graphql-transport-ws (graphql.websocket): found in the
operation's own task, as graphql.persisted finds it over HTTP, and answered as the HTTP path
answers it when it is not to be had: the operation's ``error``, never a close. An automatic
persisted query sent with its text is registered as over HTTP, once it has answered data
(:func:`keep_document`)."""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from graphql import GraphQLError, get_operation_ast, parse
from strawberry.http import GraphQLRequestData

from orgql.edge_errors import BAD_REQUEST
from orgql.graphql.persisted import PersistedDocuments, Prepared, Refusal, unreadable

#: The error of a ``subscribe`` without a document (strawberry's words over HTTP).
MISSING_QUERY = "No GraphQL query found in the request"

#: The operation's document to register once it answers data (:func:`find_document` sets
#: it in the operation's own task, :func:`keep_document` reads it there).
_to_keep: ContextVar[Prepared | None] = ContextVar("orgql_ws_document_to_keep", default=None)


async def find_document(
    persisted: PersistedDocuments, sessionmaker: Any, data: GraphQLRequestData
) -> str | GraphQLError:
    """The document of the operation ``data`` asks for (a persisted one looked up in the
    database), or the error answering it: the persisted documents' refusal, the database's
    failure as the HTTP path's 503 words it, the document's syntax error, no operation of
    the name asked. Any other failure is raised: a bug. Awaited in the operation's own
    task: a document to register is kept for that task's :func:`keep_document`."""
    try:
        prepared = await persisted.prepare(sessionmaker, data)
    except Exception as failure:  # reading a persisted document failed
        return unreadable(failure)
    if isinstance(prepared, Refusal):
        return GraphQLError(prepared.message, extensions={"code": prepared.code})
    query = prepared.data.query
    unrunnable = _document_error(query, data.operation_name)
    if unrunnable is not None:
        return unrunnable
    assert query is not None  # else _document_error's MISSING_QUERY
    if prepared.register is not None:
        _to_keep.set(prepared)
    return query


async def keep_document(
    persisted: PersistedDocuments, sessionmaker: Any, message: Mapping[str, Any]
) -> None:
    """Register the document of this task's operation, an automatic persisted query sent
    with its text (:func:`find_document`), with the first ``next`` answering data, before
    it is sent, by the HTTP path's rule and function (PersistedDocuments.keep): a query's
    or mutation's answer, a subscription's first event with data. A hash-only ``subscribe``
    sent once that message is read finds the document, on any connection and process."""
    prepared = _to_keep.get()
    if prepared is None or message.get("type") != "next":
        return
    payload = message.get("payload")
    data = payload.get("data") if isinstance(payload, Mapping) else None
    if await persisted.keep(sessionmaker, prepared, data):
        _to_keep.set(None)


def _document_error(query: str | None, operation_name: str | None) -> GraphQLError | None:
    """Why a document is not run, answered as the operation's error, as the HTTP path
    answers it: no document, its syntax error, or no operation of the name asked.
    strawberry's subscription path lets an error raised while parsing (graphql-core's
    "nested too deeply") escape its worker task (a bare ``complete``, an error logged), and
    answers a missing document or operation as an unexpected error (``internal``). Documents
    are small here (a message is at most ``ORGQL_GRAPHQL_WS_MAX_MESSAGE_BYTES``), so parsing
    once more costs little."""
    if query is None:
        return GraphQLError(MISSING_QUERY, extensions={"code": BAD_REQUEST})
    try:
        document = parse(query)
    except GraphQLError as error:
        return error
    if operation_name is not None and get_operation_ast(document, operation_name) is None:
        # strawberry's words over HTTP (CannotGetOperationTypeError)
        message = f'Unknown operation named "{operation_name}".'
        return GraphQLError(message, extensions={"code": BAD_REQUEST})
    return None
