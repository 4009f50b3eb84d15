"""Limits on what one GraphQL request may ask (settings ``ORGQL_GRAPHQL_*``).

Depth, aliases and tokens use strawberry's limiters; the cost rule below counts every field
once per object it may be resolved on, a connection multiplying its selection by ``first``
(default page size when absent, the maximum when given as a variable). All refuse the
document before anything runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
)
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.extensions.disable_introspection import DisableIntrospection

from orgql.settings import Settings

#: ``first`` when a connection is asked for without it, and its largest value.
DEFAULT_FIRST = 20
MAX_FIRST = 100


@dataclass(frozen=True)
class Limits:
    max_depth: int
    max_aliases: int
    max_directives: int
    max_tokens: int
    max_cost: int
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
            max_batch=settings.graphql_max_batch,
            timeout_seconds=settings.graphql_timeout_seconds,
            introspection=settings.graphql_introspection and not production,
            field_suggestions=settings.graphql_field_suggestions and not production,
            graphiql=settings.graphiql and not production,
        )


def _first(node: FieldNode) -> int:
    for argument in node.arguments or ():
        if argument.name.value == "first":
            if isinstance(argument.value, IntValueNode):
                return max(0, min(int(argument.value.value), MAX_FIRST))
            return MAX_FIRST  # a variable: count the worst case
    return DEFAULT_FIRST


class _Cost:
    def __init__(self, context: ValidationContext) -> None:
        self.context = context
        self.fragments = {
            definition.name.value: definition
            for definition in context.document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }

    def of(self, selection_set: SelectionSetNode | None, parent: Any, depth: int = 0) -> int:
        if selection_set is None or depth > 64:  # the depth limit refuses deeper documents
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent, depth)
            elif isinstance(selection, InlineFragmentNode):
                total += self.of(selection.selection_set, self._type(selection, parent), depth + 1)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    parent_type = self._type(fragment, parent)
                    total += self.of(fragment.selection_set, parent_type, depth + 1)
        return total

    def _type(self, node: Any, parent: Any) -> Any:
        condition = getattr(node, "type_condition", None)
        if condition is None:
            return parent
        return self.context.schema.get_type(condition.name.value)

    def _field(self, node: FieldNode, parent: Any, depth: int) -> int:
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return 1
        definition = parent.fields.get(node.name.value)
        if definition is None or node.selection_set is None:
            return 1
        child = get_named_type(definition.type)
        multiplier = _first(node) if "first" in definition.args else 1
        return 1 + multiplier * self.of(node.selection_set, child, depth + 1)


def cost_rule(max_cost: int) -> type[ValidationRule]:
    class QueryCost(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            schema = self.context.schema
            root = {
                "query": schema.query_type,
                "mutation": schema.mutation_type,
                "subscription": schema.subscription_type,
            }[node.operation.value]
            cost = _Cost(self.context).of(node.selection_set, root)
            if cost > max_cost:
                self.report_error(
                    GraphQLError(
                        f"the query costs {cost}, more than the limit of {max_cost}",
                        node,
                        extensions={"code": "QUERY_TOO_COSTLY", "cost": cost},
                    )
                )

    return QueryCost


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
                        extensions={"code": "TOO_MANY_DIRECTIVES"},
                    )
                )

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            self._check(node)

        def enter_fragment_spread(self, node: Any, *_: Any) -> None:
            self._check(node)

        def enter_inline_fragment(self, node: Any, *_: Any) -> None:
            self._check(node)

    return DirectivesPerField


def limit_extensions(limits: Limits) -> list[Any]:
    """Per-request extension factories enforcing ``limits``.

    The rule classes are made once here: strawberry's validation cache is keyed by them, so
    a new class per request would make every request miss it."""
    limiters = [
        QueryDepthLimiter(max_depth=limits.max_depth),
        MaxAliasesLimiter(max_alias_count=limits.max_aliases),
    ]
    rules = [rule for limiter in limiters for rule in limiter.validation_rules]
    rules.append(cost_rule(limits.max_cost))
    rules.append(directives_rule(limits.max_directives))
    extensions: list[Any] = [
        lambda: AddValidationRules(rules),
        # Counted while parsing: a document over the limit is never fully parsed.
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
    ]
    if not limits.introspection:
        extensions.append(DisableIntrospection)
    return extensions
