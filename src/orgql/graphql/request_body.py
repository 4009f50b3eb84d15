"""What a /graphql POST body must be before strawberry reads it: JSON that Python can hold
(valid UTF-8, no NaN, nesting and integers within the decoder's limits), holding one
operation object or a non-empty list of them (a batch), each with the value types of the
GraphQL over HTTP spec. Anything else is the caller's error: a 400, never a 500."""

from __future__ import annotations

from collections.abc import Mapping

from cross_web import HTTPException

from orgql.core.common import json_text

#: The message of a body that does not decode (strawberry's own wording, kept for clients).
NOT_JSON = "Unable to parse request body as JSON"

#: Key of an operation -> (types its value may have, how the message names them).
_OPERATION_KEYS: Mapping[str, tuple[tuple[type, ...], str]] = {
    "query": ((str,), "a string"),
    "operationName": ((str,), "a string"),
    "variables": ((dict,), "an object"),
    "extensions": ((dict,), "an object"),
}


def decode(body: str | bytes) -> object:
    """The JSON document, or a 400. Invalid UTF-8, NaN and Infinity, integers past Python's
    4,300 digits, nesting past ``json_text.MAX_BODY_DEPTH`` (ValueErrors) and nesting past
    the recursion limit (RecursionError) are each the caller's error."""
    try:
        return json_text.loads_body(body)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError included
        raise HTTPException(400, NOT_JSON) from None


def check_document(document: object) -> None:
    """An operation object, or a non-empty list of them; 400 naming what is wrong."""
    if isinstance(document, dict):
        _check_operation(document, "the request body")
        return
    if not isinstance(document, list):
        raise HTTPException(
            400, "the request body must be a JSON object (or a list of them: a batch)"
        )
    if not document:
        raise HTTPException(400, "the batch holds no operation")
    for index, operation in enumerate(document):
        where = f"operation {index} of the batch"
        if not isinstance(operation, dict):
            raise HTTPException(400, f"{where} must be a JSON object")
        _check_operation(operation, where)


def _check_operation(operation: Mapping[str, object], where: str) -> None:
    for key, (types, named) in _OPERATION_KEYS.items():
        value = operation.get(key)
        if value is not None and not isinstance(value, types):
            raise HTTPException(400, f"{key} of {where} must be {named} or null")
