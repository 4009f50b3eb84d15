"""One pass over a document, before any validation rule walks it: fragment cycles, depth,
aliases, cost and fields (settings ``ORGQL_GRAPHQL_MAX_*``), in time linear in the document's
size; then, once the fields are known few enough, how often each is repeated at one place
(:mod:`field_repeats`), and how many fragments are spread there.

Walking an operation spread by spread is exponential: ``fragment A on Query { ...B ...B }``
doubles the work at each level, and a cycle (``fragment A on Query { ...A ...A }``) never
ends. So the cycle check comes first, and each fragment's depth, aliases and cost are then
computed once, from those of the fragments it spreads (in an order where they come first),
and added up wherever it is spread. graphql-core's own rules run only on a document that
passed (they run side by side, so their NoFragmentCyclesRule could not come first).

Cost: every field counts 1, once per object it may be resolved on: a list multiplies its
selection by its bound (:mod:`list_bounds`: a connection's ``first``, a declared maximum
otherwise), introspection counts the fields of its answer (:mod:`introspection_cost`), and
only that: its depth is not counted.
Every list being bounded, the cost bounds the number of fields in the answer.

Fields: every field counts 1 wherever it is written or a fragment holding it is spread,
lists not multiplied, introspection included; fragments spread nowhere count too (the rules
walk them). They bound the work of graphql-core's rules, which compare fields in pairs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
)

from orgql.core.common.errors import quoted
from orgql.core.common.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from orgql.graphql.field_repeats import crowded_place
from orgql.graphql.introspection_cost import IntrospectionCost, OverBudget
from orgql.graphql.list_bounds import list_bound

#: Counts stop growing here: a document's cost may be astronomically large (2^1000), and
#: the refusal reports it as a JSON number.
CAP = 2**53

#: The codes of the analysis' refusals (graphql.limits.LIMIT_SETTINGS: each answered 400).
FRAGMENT_CYCLE = "FRAGMENT_CYCLE"
QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
TOO_MANY_FIELDS = "TOO_MANY_FIELDS"


@dataclass(frozen=True)
class DocumentLimits:
    max_depth: int
    max_aliases: int
    max_cost: int
    max_fields: int
    max_repeats: int
    max_fragments: int


@dataclass(frozen=True)
class _Summary:
    """Of a selection set, fragments expanded: the longest chain of fields in it, the
    aliases in it, its cost and its fields."""

    depth: int = 0
    aliases: int = 0
    cost: int = 0
    fields: int = 0


_EMPTY = _Summary()


def analyse(
    schema: GraphQLSchema,
    document: DocumentNode,
    limits: DocumentLimits,
    firsts: Mapping[str, int] | None = None,
) -> list[GraphQLError]:
    """The errors of ``document`` against ``limits``; none: the document may be validated.
    ``firsts``: the values of the variables given as ``first`` (:func:`first_values`); a
    variable missing there counts as the largest page."""
    fragments: dict[str, FragmentDefinitionNode] = {}
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            # A name defined twice is graphql-core's error; count the first definition.
            fragments.setdefault(definition.name.value, definition)
    spreads = {name: _spreads_in(fragment.selection_set) for name, fragment in fragments.items()}
    order, cycle = _fragment_order(spreads)
    if cycle is not None:
        return [_cycle_error(cycle)]
    analysis = _Analysis(schema, fragments, limits.max_cost, firsts or {})
    loose = _loose_fragments(document, fragments, spreads)
    try:
        for name in order:
            analysis.add_fragment(name)
        errors = analysis.check_operations(document, limits)
        if errors:
            return errors
        fields = analysis.fields + sum(analysis.fragment_fields(d) for d in loose)
    except OverBudget:
        return [_too_costly(None, limits.max_cost, None)]
    if fields > limits.max_fields:
        return [_too_many_fields(fields, limits.max_fields)]
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    crowded = crowded_place(
        [*operations, *loose], fragments, limits.max_repeats, limits.max_fragments
    )
    return [] if crowded is None else [crowded]


def _loose_fragments(
    document: DocumentNode,
    fragments: dict[str, FragmentDefinitionNode],
    spreads: dict[str, list[FragmentSpreadNode]],
) -> list[FragmentDefinitionNode]:
    """The fragments spread nowhere, and those defined a second time under a name: graphql-
    core's rules walk every definition, so these count as operations would."""
    spread = {s.name.value for found in spreads.values() for s in found}
    spread.update(
        s.name.value
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        for s in _spreads_in(d.selection_set)
    )
    return [
        d
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
        and (d.name.value not in spread or fragments[d.name.value] is not d)
    ]


def _spreads_in(selection_set: SelectionSetNode) -> list[FragmentSpreadNode]:
    """The spreads written in a selection set and the ones nested in it (not following
    them into their fragments)."""
    found: list[FragmentSpreadNode] = []
    stack = [selection_set]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                found.append(selection)
            elif selection.selection_set is not None:  # type: ignore[attr-defined]
                stack.append(selection.selection_set)  # type: ignore[attr-defined]
    return found


def _fragment_order(
    spreads: dict[str, list[FragmentSpreadNode]],
) -> tuple[list[str], list[FragmentSpreadNode] | None]:
    """The fragments, each after those it spreads; or the spreads of a cycle. Depth-first
    without recursion; each fragment and each spread is visited once."""
    order: list[str] = []
    done: set[str] = set()
    for root in spreads:
        if root in done:
            continue
        path: list[FragmentSpreadNode] = []  # the spreads that led to each fragment below
        stack = [(root, iter(spreads[root]))]
        on_path = {root}
        while stack:
            name, pending = stack[-1]
            for spread in pending:
                target = spread.name.value
                if target in on_path:
                    # path[i] leads to stack[i + 1]: the cycle starts after the spread
                    # into ``target`` (none when ``target`` is the root).
                    start = next((i + 1 for i, s in enumerate(path) if s.name.value == target), 0)
                    return order, [*path[start:], spread]
                if target in spreads and target not in done:
                    path.append(spread)
                    stack.append((target, iter(spreads[target])))
                    on_path.add(target)
                    break
            else:
                stack.pop()
                on_path.discard(name)
                if path and stack:
                    path.pop()
                done.add(name)
                order.append(name)
    return order, None


def _cycle_error(cycle: list[FragmentSpreadNode]) -> GraphQLError:
    """graphql-core's NoFragmentCyclesRule message, with a code."""
    name = cycle[-1].name.value
    via = ", ".join(quoted(spread.name.value) for spread in cycle[:-1])
    message = f"Cannot spread fragment {quoted(name)} within itself"
    message += f" via {via}." if via else "."
    return GraphQLError(message, cycle, extensions={"code": FRAGMENT_CYCLE})


def _too_costly(cost: int | None, max_cost: int, node: Any) -> GraphQLError:
    if cost is None:  # the introspection walk stopped at the budget
        return GraphQLError(
            f"the query costs more than the limit of {max_cost}",
            node,
            extensions={"code": QUERY_TOO_COSTLY},
        )
    return GraphQLError(
        f"the query costs {cost}, more than the limit of {max_cost}",
        node,
        extensions={"code": QUERY_TOO_COSTLY, "cost": cost},
    )


def _too_many_fields(fields: int, max_fields: int) -> GraphQLError:
    return GraphQLError(
        f"the document selects {fields} fields (each fragment counted wherever it is spread),"
        f" more than the limit of {max_fields}",
        extensions={"code": TOO_MANY_FIELDS, "fields": fields},
    )


def first_variables(document: DocumentNode) -> frozenset[str]:
    """The variables given as a ``first`` argument anywhere in ``document``."""
    names: set[str] = set()
    stack = [
        d.selection_set
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode | FragmentDefinitionNode)
    ]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FieldNode):
                for argument in selection.arguments or ():
                    if argument.name.value == "first" and isinstance(argument.value, VariableNode):
                        names.add(argument.value.name.value)
            if isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set:
                stack.append(selection.selection_set)
    return frozenset(names)


def first_values(
    document: DocumentNode, names: frozenset[str], variables: Mapping[str, Any] | None
) -> tuple[tuple[str, int], ...]:
    """The page each ``first`` variable asks for: its value, else its default, else the
    default page (null, or an argument left out); a value that is not a whole number counts as the
    largest page (coercion refuses it later)."""
    if not isinstance(variables, Mapping):
        variables = {}
    # Every operation of the document is costed with the same pages, whichever runs: a
    # variable defined by several operations counts its largest implied page, so that a
    # small default in one operation cannot cheapen another that runs with its own.
    defaults: dict[str, int] = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            for variable in definition.variable_definitions or ():
                name = variable.variable.name.value
                default = variable.default_value
                page = DEFAULT_PAGE_SIZE
                if isinstance(default, IntValueNode):
                    page = int(default.value)
                defaults[name] = max(defaults.get(name, page), page)
    pages = []
    for name in sorted(names):
        value = variables[name] if name in variables else defaults.get(name)
        if value is None:  # null or left out: the argument's default page
            value = DEFAULT_PAGE_SIZE
        is_int = isinstance(value, int) and not isinstance(value, bool)
        pages.append((name, max(0, min(value, MAX_PAGE_SIZE)) if is_int else MAX_PAGE_SIZE))
    return tuple(pages)


class _Analysis:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        budget: int,
        firsts: Mapping[str, int],
    ) -> None:
        self.schema = schema
        self.firsts = firsts
        self.fragments = fragments
        self.summaries: dict[str, _Summary] = {}
        self.introspection = IntrospectionCost(schema, fragments, budget)
        #: The fields of the operations checked (check_operations), fragments expanded.
        self.fields = 0

    def add_fragment(self, name: str) -> None:
        fragment = self.fragments[name]
        parent = self.schema.get_type(fragment.type_condition.name.value)
        self.summaries[name] = self.of(fragment.selection_set, parent)

    def fragment_fields(self, fragment: FragmentDefinitionNode) -> int:
        if self.fragments.get(fragment.name.value) is fragment:
            return self.summaries[fragment.name.value].fields
        parent = self.schema.get_type(fragment.type_condition.name.value)
        return self.of(fragment.selection_set, parent).fields

    def check_operations(
        self, document: DocumentNode, limits: DocumentLimits
    ) -> list[GraphQLError]:
        errors: list[GraphQLError] = []
        aliases = 0
        roots = {
            "query": self.schema.query_type,
            "mutation": self.schema.mutation_type,
            "subscription": self.schema.subscription_type,
        }
        for operation in document.definitions:
            if not isinstance(operation, OperationDefinitionNode):
                continue
            summary = self.of(operation.selection_set, roots[operation.operation.value])
            aliases = min(aliases + summary.aliases, CAP)
            self.fields = min(self.fields + summary.fields, CAP)
            name = operation.name.value if operation.name else "anonymous"
            # strawberry's QueryDepthLimiter counted the root fields as depth 0: same here.
            if summary.depth - 1 > limits.max_depth:
                errors.append(
                    GraphQLError(
                        f"{quoted(name)} exceeds maximum operation depth of {limits.max_depth}",
                        operation,
                        extensions={"code": QUERY_TOO_DEEP},
                    )
                )
            if summary.cost > limits.max_cost:
                errors.append(_too_costly(summary.cost, limits.max_cost, operation))
        if aliases > limits.max_aliases:
            errors.append(
                GraphQLError(
                    f"{aliases} aliases found. Allowed: {limits.max_aliases}",
                    extensions={"code": TOO_MANY_ALIASES},
                )
            )
        return errors

    def of(self, selection_set: SelectionSetNode | None, parent: Any) -> _Summary:
        if selection_set is None:
            return _EMPTY
        depth = aliases = cost = fields = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                part = self._field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = parent if condition is None else self.schema.get_type(condition.name.value)
                part = self.of(selection.selection_set, inner)
            elif isinstance(selection, FragmentSpreadNode):
                # Unknown fragments are graphql-core's error; they add nothing here.
                part = self.summaries.get(selection.name.value, _EMPTY)
            depth = max(depth, part.depth)
            aliases = min(aliases + part.aliases, CAP)
            cost = min(cost + part.cost, CAP)
            fields = min(fields + part.fields, CAP)
        return _Summary(depth, aliases, cost, fields)

    def _first(self, node: FieldNode) -> int:
        for argument in node.arguments or ():
            if argument.name.value == "first":
                if isinstance(argument.value, IntValueNode):
                    return max(0, min(int(argument.value.value), MAX_PAGE_SIZE))
                if isinstance(argument.value, VariableNode):
                    return self.firsts.get(argument.value.name.value, MAX_PAGE_SIZE)
                return MAX_PAGE_SIZE  # not a number: coercion refuses it
        return DEFAULT_PAGE_SIZE

    def _field(self, node: FieldNode, parent: Any) -> _Summary:
        definition = None
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            definition = parent.fields.get(node.name.value)
        child_type = None if definition is None else get_named_type(definition.type)
        inner = self.of(node.selection_set, child_type)
        alias = 1 if node.alias else 0
        if node.name.value in ("__schema", "__type") and parent is self.schema.query_type:
            # Introspection is answered from the schema in memory and bounded by its exact
            # cost; its depth is not counted: a client's own introspection query nests ofType
            # nine levels deep (depth 14), past any depth a data query needs.
            cost = 1 + self.introspection.root(node)
            return _Summary(1, inner.aliases + alias, min(cost, CAP), 1 + inner.fields)
        depth = 1 + inner.depth
        multiplier = 1
        if definition is not None and node.selection_set is not None:
            if "first" in definition.args:
                multiplier = self._first(node)
            elif isinstance(get_nullable_type(definition.type), GraphQLList):
                multiplier = list_bound(parent.name, node.name.value)
        cost = 1 + multiplier * inner.cost
        aliases = min(inner.aliases + alias, CAP)
        return _Summary(depth, aliases, min(cost, CAP), min(1 + inner.fields, CAP))
