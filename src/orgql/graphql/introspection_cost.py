"""The exact cost of an introspection selection: the number of fields its answer holds.

The schema is fixed, so a ``__schema`` or ``__type`` selection is costed by walking it over
the schema's own objects (types, fields, arguments, ...) as graphql-core's introspection
resolvers would answer it, rather than by worst-case list bounds: GraphiQL's introspection
query answers about 6,400 fields, while the largest type times the most fields times the
most arguments would count over a million. A fragment's cost on one object is computed
once; every selection visited is one step, and the walk stops once its steps pass the
budget (the caller refuses the document then), so it never does more work than the cost
limit allows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    GraphQLWrappingType,
    InlineFragmentNode,
    SelectionSetNode,
    StringValueNode,
)


class OverBudget(Exception):
    """The walk took more steps than the cost limit, or nested deeper than any
    introspection answer does: the document is refused."""


#: Selection sets nested in one walk, fragments' included (GraphiQL's query: about 15); a
#: chain of spreads deeper than this would otherwise exhaust Python's stack.
MAX_NESTING = 100


def _type_children(schema: GraphQLSchema, type_: Any, field: str) -> tuple[str, Any]:
    """(kind, value) of field ``field`` of the ``__Type`` object ``type_``: ``value`` is an
    object, a list of objects, or None."""
    if field == "fields":
        fields = (
            type_.fields if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType) else None
        )
        return "__Field", None if fields is None else list(fields.values())
    if field == "inputFields":
        inputs = type_.fields if isinstance(type_, GraphQLInputObjectType) else None
        return "__InputValue", None if inputs is None else list(inputs.values())
    if field == "interfaces":
        interfaces = (
            type_.interfaces
            if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType)
            else None
        )
        return "__Type", interfaces
    if field == "possibleTypes":
        abstract = isinstance(type_, GraphQLUnionType | GraphQLInterfaceType)
        possible = schema.get_possible_types(type_) if abstract else None
        return "__Type", possible
    if field == "enumValues":
        values = type_.values if isinstance(type_, GraphQLEnumType) else None
        return "__EnumValue", None if values is None else list(values.values())
    if field == "ofType":
        return "__Type", type_.of_type if isinstance(type_, GraphQLWrappingType) else None
    return "", None


def _children(schema: GraphQLSchema, kind: str, value: Any, field: str) -> tuple[str, Any]:
    if kind == "__Schema":
        if field == "types":
            return "__Type", list(schema.type_map.values())
        if field == "directives":
            return "__Directive", list(schema.directives)
        roots = {
            "queryType": schema.query_type,
            "mutationType": schema.mutation_type,
            "subscriptionType": schema.subscription_type,
        }
        return "__Type", roots.get(field)
    if kind == "__Type":
        return _type_children(schema, value, field)
    if field == "args" and kind in ("__Field", "__Directive"):
        return "__InputValue", list(value.args.values())
    if field == "type" and kind in ("__Field", "__InputValue"):
        return "__Type", value.type
    return "", None


class IntrospectionCost:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        budget: int,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.budget = budget
        self.steps = 0
        self.nesting = 0
        self._memo: dict[tuple[str, int], int] = {}

    def root(self, node: FieldNode) -> int:
        """The cost of a root ``__schema`` or ``__type`` field's selection."""
        if node.selection_set is None:
            return 0
        if node.name.value == "__schema":
            return self.of(node.selection_set, "__Schema", self.schema)
        name = next((a.value for a in node.arguments or () if a.name.value == "name"), None)
        if isinstance(name, StringValueNode):
            type_ = self.schema.get_type(name.value)
            return 0 if type_ is None else self.of(node.selection_set, "__Type", type_)
        # A variable: the costliest type.
        types = self.schema.type_map.values()
        return max((self.of(node.selection_set, "__Type", t) for t in types), default=0)

    def of(self, selection_set: SelectionSetNode, kind: str, value: Any) -> int:
        self.nesting += 1
        try:
            return self._of(selection_set, kind, value)
        finally:
            self.nesting -= 1

    def _of(self, selection_set: SelectionSetNode, kind: str, value: Any) -> int:
        if self.nesting > MAX_NESTING:
            raise OverBudget
        total = 0
        for selection in selection_set.selections:
            self.steps += 1
            if self.steps > self.budget:
                raise OverBudget
            if isinstance(selection, FieldNode):
                total += 1 + self._field(selection, kind, value)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or condition.name.value == kind:
                    total += self.of(selection.selection_set, kind, value)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._spread(selection.name.value, kind, value)
        return total

    def _spread(self, name: str, kind: str, value: Any) -> int:
        fragment = self.fragments.get(name)
        if fragment is None or fragment.type_condition.name.value != kind:
            return 0
        key = (name, id(value))
        if key not in self._memo:
            self._memo[key] = self.of(fragment.selection_set, kind, value)
        return self._memo[key]

    def _field(self, node: FieldNode, kind: str, value: Any) -> int:
        if node.selection_set is None:
            return 0
        child_kind, child = _children(self.schema, kind, value, node.name.value)
        if child is None or not child_kind:
            return 0
        if isinstance(child, list | tuple):
            return sum(self.of(node.selection_set, child_kind, item) for item in child)
        return self.of(node.selection_set, child_kind, child)
