"""Production answers reveal no part of the schema the caller did not write.

graphql-core's messages name what the caller got wrong and, helpfully, what exists: "Did
you mean 'filter'?", "argument 'id' of type 'ID!' is required", "Field
'CreateOrganizationInput.name' of required type 'String!' was not provided". A caller probing
with such messages recovers the schema with introspection off. With suggestions off
(production), graphql-core leaves the suggestions out (``hide_suggestions``, passed to
validation and execution), and this extension removes what remains: any "Did you mean"
sentence, and every quoted name of a message that the request did not write as a name: a
name token of its document (not a comment, not a string) or the name of a variable or of a
key inside one (not a value: a value can hold any list of guesses). Our own messages (those
with a code) are left as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from graphql import GraphQLError, GraphQLSyntaxError, Source, TokenKind
from graphql.language.lexer import Lexer
from strawberry.extensions import SchemaExtension

from orgql.core.common.validation import json_values
from orgql.graphql.caller_text import QUOTED, is_graphql_core_message, with_message

_DID_YOU_MEAN = re.compile(r"\s*Did you mean [^?]*\?")
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
HIDDEN = "'…'"


def hide_schema_names(message: str, request_names: set[str]) -> str:
    """``message`` without suggestions, and with each quoted part naming something the
    request does not (a type, a field, an argument) replaced by ``'…'``."""

    def quoted(match: re.Match[str]) -> str:
        names = _NAME.findall(match.group(1))
        return match.group(0) if set(names) <= request_names else HIDDEN

    return QUOTED.sub(quoted, _DID_YOU_MEAN.sub("", message))


class HideSchemaNames(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context
        result = context.result
        errors = result.errors if result is not None else None
        if result is None or not errors or not any(is_graphql_core_message(e) for e in errors):
            return  # nothing to hide: the variables are not walked (a refusal of 500,000 ids)
        names = _document_names(context.query or "") | _variable_names(context.variables)
        result.errors = [_hidden(error, names) for error in errors]


def _document_names(query: str) -> set[str]:
    """The name tokens of the document (a document that does not lex names nothing more)."""
    names: set[str] = set()
    lexer = Lexer(Source(query))
    try:
        token = lexer.advance()
        while token.kind is not TokenKind.EOF:
            if token.kind is TokenKind.NAME and token.value is not None:
                names.add(token.value)
            token = lexer.advance()
    except GraphQLSyntaxError:
        pass
    return names


def _variable_names(variables: object) -> set[str]:
    """The names of the variables and of the keys inside them, at any depth."""
    return {
        key
        for item in json_values(variables)
        if isinstance(item, dict)
        for key in item
        if isinstance(key, str)
    }


def _hidden(error: GraphQLError, names: set[str]) -> GraphQLError:
    if not is_graphql_core_message(error):
        return error
    return with_message(error, hide_schema_names(error.message, names))
