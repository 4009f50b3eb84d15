"""Limits on what one GraphQL request may ask (settings ``ORGQL_GRAPHQL_*``).

Fragment cycles, depth, aliases, cost, fields and their repeats are checked by one analysis
of the document (:mod:`analysis`), linear in its size, before graphql-core's rules run; the
variables' sizes before that (:mod:`variable_bounds`), so before graphql-core coerces them;
directives per field by a rule; tokens while parsing. All refuse the request before anything
runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    ValidationRule,
    parse,
    validate,
)
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, SchemaExtension
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from orgql.graphql.analysis import (
    FRAGMENT_CYCLE,
    QUERY_TOO_COSTLY,
    QUERY_TOO_DEEP,
    TOO_MANY_ALIASES,
    TOO_MANY_FIELDS,
    DocumentLimits,
    analyse,
    first_values,
    first_variables,
)
from orgql.graphql.caller_text import BoundCallerText
from orgql.graphql.field_repeats import CODE as TOO_MANY_REPEATS
from orgql.graphql.field_repeats import FRAGMENTS_CODE as TOO_MANY_FRAGMENTS
from orgql.graphql.suggestions import HideSchemaNames
from orgql.graphql.variable_bounds import CODE as VARIABLES_TOO_LARGE
from orgql.graphql.variable_bounds import variables_error
from orgql.settings import Settings

#: The codes of this module's own refusals: the directives per field
#: (:func:`directives_rule`), the tokens (:func:`code_token_refusal`).
TOO_MANY_DIRECTIVES = "TOO_MANY_DIRECTIVES"
TOO_MANY_TOKENS = "TOO_MANY_TOKENS"

#: The refusals that mean "this document asks too much", by code, each with the setting of
#: its limit (None: no setting moves it). The one list of them, keyed by the constant the
#: rule raising it exports (a code is spelt once, where its rule is): a code here is
#: answered 400 (:data:`LIMIT_CODES`), and named with its setting when a manifest document
#: is refused at start (:func:`static_check`, graphql.persisted). A new limit's code is
#: added here, and a case of it to tests/auth/test_graphql_limits.py (else that test fails).
LIMIT_SETTINGS: Mapping[str, str | None] = MappingProxyType(
    {
        FRAGMENT_CYCLE: None,
        QUERY_TOO_DEEP: "ORGQL_GRAPHQL_MAX_DEPTH",
        TOO_MANY_ALIASES: "ORGQL_GRAPHQL_MAX_ALIASES",
        QUERY_TOO_COSTLY: "ORGQL_GRAPHQL_MAX_COST",
        TOO_MANY_TOKENS: "ORGQL_GRAPHQL_MAX_TOKENS",
        TOO_MANY_FIELDS: "ORGQL_GRAPHQL_MAX_FIELDS",
        TOO_MANY_REPEATS: "ORGQL_GRAPHQL_MAX_REPEATS",
        TOO_MANY_FRAGMENTS: "ORGQL_GRAPHQL_MAX_FRAGMENTS",
        TOO_MANY_DIRECTIVES: "ORGQL_GRAPHQL_MAX_DIRECTIVES",
        VARIABLES_TOO_LARGE: None,  # the core's bounds (graphql.variable_bounds)
    }
)
#: Codes of the refusals that mean "this document asks too much" (HTTP 400).
LIMIT_CODES = frozenset(LIMIT_SETTINGS)


@dataclass(frozen=True)
class Limits:
    max_depth: int
    max_aliases: int
    max_directives: int
    max_tokens: int
    max_cost: int
    max_fields: int
    max_repeats: int
    max_fragments: int
    max_batch: int
    timeout_seconds: float
    introspection: bool
    field_suggestions: bool
    graphiql: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        production = settings.environment == "production"
        return cls(
            max_depth=settings.graphql_max_depth,
            max_aliases=settings.graphql_max_aliases,
            max_directives=settings.graphql_max_directives,
            max_tokens=settings.graphql_max_tokens,
            max_cost=settings.graphql_max_cost,
            max_fields=settings.graphql_max_fields,
            max_repeats=settings.graphql_max_repeats,
            max_fragments=settings.graphql_max_fragments,
            max_batch=settings.graphql_max_batch,
            timeout_seconds=settings.graphql_timeout_seconds,
            introspection=settings.graphql_introspection and not production,
            field_suggestions=settings.graphql_field_suggestions and not production,
            graphiql=settings.graphiql and not production,
        )


class _Same:
    """A parsed document as a cache key, by identity. graphql-core's nodes are frozen
    dataclasses hashed by value: hashing a document walks its whole tree, every time (a
    sixth of the CPU of a request for one organization with every field, issue 16). The
    parser cache (graphql.schema) answers the same document object for the same text, so
    the caches below still hit; the key holds the document, so its id is not reused while
    cached."""

    __slots__ = ("document",)

    def __init__(self, document: DocumentNode) -> None:
        self.document = document

    def __hash__(self) -> int:
        return id(self.document)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.document is self.document


@functools.lru_cache(maxsize=256)
def _first_variables(key: _Same) -> frozenset[str]:
    return first_variables(key.document)


@functools.lru_cache(maxsize=256)
def _analyse(
    schema: GraphQLSchema,
    key: _Same,
    limits: DocumentLimits,
    firsts: tuple[tuple[str, int], ...],
) -> list[GraphQLError]:
    return analyse(schema, key.document, limits, dict(firsts))


@functools.lru_cache(maxsize=256)
def _validate(
    schema: GraphQLSchema,
    key: _Same,
    rules: tuple[type[ASTValidationRule], ...],
    hide_suggestions: bool,
) -> list[GraphQLError]:
    """graphql-core's rules (and strawberry's two), cached like strawberry's ValidationCache
    (same key: the parsed document and the rules), which this replaces."""
    all_rules = (*rules, MaybeNullValidationRule, OneOfInputValidationRule)
    return validate(schema, key.document, all_rules, hide_suggestions=hide_suggestions)


def document_limits(limits: Limits) -> DocumentLimits:
    return DocumentLimits(
        limits.max_depth,
        limits.max_aliases,
        limits.max_cost,
        limits.max_fields,
        limits.max_repeats,
        limits.max_fragments,
    )


def analysis_errors(
    schema: GraphQLSchema,
    document: DocumentNode,
    limits: DocumentLimits,
    variables: dict[str, Any] | None,
) -> list[GraphQLError]:
    """The analysis' refusals of ``document`` (cycles, depth, aliases, cost, fields, repeats,
    fragments) with these ``variables``, the variables' own first (too large to coerce):
    cached by document and the values of its ``first`` variables (a page of 10 costs a tenth
    of a page of 100)."""
    too_large = variables_error(variables)
    if too_large is not None:
        return [too_large]
    key = _Same(document)
    firsts = first_values(document, _first_variables(key), variables)
    return _analyse(schema, key, limits, firsts)


def static_check(schema: GraphQLSchema, limits: Limits) -> Callable[[str], GraphQLError | None]:
    """The refusal, by the limits a request meets (:func:`limit_extensions`), of a document
    whatever its variables: a document of a trusted-documents manifest is checked at start
    (graphql.persisted), not first when a client sends it. The same checks, in the same
    order: the tokens while parsing (a syntax error is returned too), the analysis
    (:func:`analysis_errors`), the directives per field. A page a variable sets (``first:
    $n``) counts as its least, 0: the cost a request may still lower is not refused here,
    only what no variables can bring within the limit. None: within every limit."""
    analysed = document_limits(limits)
    directives = directives_rule(limits.max_directives)

    def refusal(text: str) -> GraphQLError | None:
        try:
            document = parse(text, max_tokens=limits.max_tokens)
        except GraphQLError as error:
            code_token_refusal([error])
            return error
        least = dict.fromkeys(_first_variables(_Same(document)), 0)
        errors = analysis_errors(schema, document, analysed, least)
        if not errors:
            errors = validate(schema, document, [directives])
        return errors[0] if errors else None

    return refusal


def validation_extension(limits: Limits) -> type[SchemaExtension]:
    analysed = document_limits(limits)
    hide_suggestions = not limits.field_suggestions

    class ValidateDocument(SchemaExtension):
        """The analysis first: graphql-core's rules run side by side and several walk
        fragment spreads, so a document must be known free of cycles and within the limits
        before they run. Sets the errors (none: valid), so strawberry's validation is
        skipped."""

        def on_validate(self) -> Iterator[None]:
            context = self.execution_context
            schema, document = context.schema._schema, context.graphql_document
            assert document is not None
            errors = analysis_errors(schema, document, analysed, context.variables)
            if not errors:
                key = _Same(document)
                errors = _validate(schema, key, context.validation_rules, hide_suggestions)
            if not errors:
                errors = _operation_chosen(document, context._provided_operation_name)
            context.pre_execution_errors = errors
            yield

    return ValidateDocument


def _operation_chosen(document: DocumentNode, operation_name: str | None) -> list[GraphQLError]:
    """The GraphQL specification's GetOperation: a document of several operations needs the
    request's operationName. strawberry runs the first one instead (its ExecutionContext
    answers the first operation's name when none was given), so a client that forgot the
    name got an operation it did not choose (a mutation, if it came first)."""
    if operation_name is not None:
        return []
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) < 2:
        return []
    return [
        GraphQLError(
            "Must provide operation name if query contains multiple operations.",
            extensions={"code": "OPERATION_NAME_REQUIRED"},
        )
    ]


def directives_rule(max_directives: int) -> type[ValidationRule]:
    """At most ``max_directives`` directives on one field, fragment spread or inline fragment:
    repeated ``@include``/``@skip`` would otherwise multiply evaluation work for free."""

    class DirectivesPerField(ValidationRule):
        def _check(self, node: Any) -> None:
            count = len(node.directives or ())
            if count > max_directives:
                self.report_error(
                    GraphQLError(
                        f"{count} directives on one field, more than the limit of {max_directives}",
                        node,
                        extensions={"code": TOO_MANY_DIRECTIVES},
                    )
                )

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            self._check(node)

        def enter_fragment_spread(self, node: Any, *_: Any) -> None:
            self._check(node)

        def enter_inline_fragment(self, node: Any, *_: Any) -> None:
            self._check(node)

    return DirectivesPerField


def code_token_refusal(errors: Iterable[GraphQLError] | None) -> None:
    """Give the token limit's refusal its code, ``TOO_MANY_TOKENS``, like the other limits.

    strawberry's MaxTokensLimiter has graphql-core's parser count tokens (a document over the
    limit is never fully parsed); the parser's syntax error is the refusal, and says only
    "Syntax Error: Document contains more than N tokens. Parsing aborted."."""
    for error in errors or ():
        if "Document contains more than" in error.message and error.message.endswith(
            "tokens. Parsing aborted."
        ):
            error.extensions = {**(error.extensions or {}), "code": TOO_MANY_TOKENS}


def limit_extensions(limits: Limits) -> list[Any]:
    """Per-request extension factories enforcing ``limits``.

    The rule classes are made once here: the validation cache is keyed by them, so a new
    class per request would make every request miss it."""
    rules: list[type[ASTValidationRule]] = [directives_rule(limits.max_directives)]
    extensions: list[Any] = [
        BoundCallerText,  # first: it sees the answer's errors last
        lambda: AddValidationRules(rules),
        # Counted while parsing: a document over the limit is never fully parsed.
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        validation_extension(limits),
    ]
    if not limits.introspection:
        extensions.append(DisableIntrospection)
    if not limits.field_suggestions:
        extensions.append(HideSchemaNames)
    return extensions
