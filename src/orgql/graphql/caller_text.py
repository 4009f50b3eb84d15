"""graphql-core's messages quote what the caller wrote, and answer it back at any size.

Its coercion of a variable names each unknown key of an input object whole and shows the
value found (its ``inspect``: ten keys of up to 240 characters): for a body of a thousand
keys of 900 characters, fifty such errors (graphql-core's limit) answered 150 KB. Our own
messages quote a caller's value to its first characters (core.common.errors.quoted); here
graphql-core's are held to the same rule: each quoted part longer than
:data:`~orgql.core.common.errors.QUOTED_CHARACTERS` is cut as ``quoted`` cuts it, and a
message is at most :data:`MESSAGE_CHARACTERS` long whatever its quotes (an apostrophe in a
key pairs them wrongly). Our own messages (those with a code) are left as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from orgql.core.common.errors import QUOTED_CHARACTERS, OrgqlError

#: The most characters of a graphql-core message: far more than any names only of the
#: schema and the document make (the longest, a field conflict, is under 300).
MESSAGE_CHARACTERS = 400

#: A part of a graphql-core message in single quotes: a name or value it quotes (the one
#: pattern of them: here and graphql.suggestions).
QUOTED = re.compile(r"'([^']*)'")


def is_graphql_core_message(error: GraphQLError) -> bool:
    """graphql-core's own messages (validation, coercion): ours carry a code."""
    has_code = bool((error.extensions or {}).get("code"))
    return not has_code and not isinstance(error.original_error, OrgqlError)


def bounded_message(message: str) -> str:
    """``message`` with each quoted part cut to its first characters, then to
    :data:`MESSAGE_CHARACTERS` in all (``...`` where it was cut)."""

    def cut(match: re.Match[str]) -> str:
        text = match.group(1)
        if len(text) <= QUOTED_CHARACTERS:
            return match.group(0)
        return f"'{text[:QUOTED_CHARACTERS]}'..."

    message = QUOTED.sub(cut, message)
    if len(message) <= MESSAGE_CHARACTERS:
        return message
    return f"{message[: MESSAGE_CHARACTERS - 3]}..."


class BoundCallerText(SchemaExtension):
    """Listed first: it sees the errors last (after HideSchemaNames, whose quotes it keeps)."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        result.errors = [_bounded(error) for error in result.errors]


def _bounded(error: GraphQLError) -> GraphQLError:
    if not is_graphql_core_message(error):
        return error
    return with_message(error, bounded_message(error.message))


def with_message(error: GraphQLError, message: str) -> GraphQLError:
    """``error`` saying ``message`` instead: a copy, since validation errors are cached and
    shared by the requests of the same document (``error`` itself when nothing changes)."""
    if message == error.message:
        return error
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions=error.extensions,
    )
