"""Plans: a validated query operation compiled once into what its execution needs.

A plan is the operation's selection sets already collected (fragments inlined, ``@skip`` and
``@include`` decided, aliases merged: graphql-core's own ``collect_fields``), each field with
its definition, the way to read it (an attribute, ``__typename`` or the strawberry resolver)
and how to complete its value (leaf, list, non-null, object with its sub-plan). What a plan
cannot express (abstract types, introspection, fragment variables) makes ``compile_operation``
return None: the operation then runs on graphql-core's executor, unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    GraphQLBoolean,
    GraphQLField,
    GraphQLID,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLString,
)
from graphql.execution.collect_fields import (
    FieldDetails,
    FragmentDetails,
    collect_fields,
    collect_subfields,
)
from graphql.execution.values import VariableValues
from graphql.language import DirectiveNode, OperationDefinitionNode, VariableNode, Visitor, visit
from strawberry.extensions.field_extension import build_field_extension_resolvers
from strawberry.permission import PermissionExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

#: How a field's value is read: ``__typename``; an attribute; a sync resolver taking only
#: the object (no info, arguments or extensions), called as ``function(source)``; the same
#: behind permissions that read only the context (``context_only``), asked once per request;
#: any other resolver, called as strawberry calls it.
TYPENAME, ATTRIBUTE, DIRECT, GUARDED, RESOLVER = 0, 1, 2, 3, 4
#: How a value is completed.
LEAF, LIST, NON_NULL, OBJECT = 0, 1, 2, 3

# Leaves whose Python values of this exact type serialize to themselves (graphql-core's
# serialize_string / serialize_id / serialize_boolean return them unchanged).
_IDENTITY = {GraphQLString.name: str, GraphQLID.name: str, GraphQLBoolean.name: bool}


class Unsupported(Exception):
    """The operation uses what plans do not cover: it runs on graphql-core's executor."""


@dataclass(slots=True)
class Completion:
    kind: int
    #: LEAF: the scalar or enum type; NON_NULL and LIST: unused.
    leaf: GraphQLLeafType | None = None
    #: The Python type whose values a LEAF keeps as they are.
    identity: type | None = None
    #: NON_NULL and LIST: the completion of the wrapped type.
    inner: Completion | None = None
    #: OBJECT: the fields to execute on the value.
    fields: list[FieldPlan] | None = None
    object_type: GraphQLObjectType | None = None


@dataclass(slots=True)
class Caller:
    """How strawberry calls a field's resolver, taken apart once (``get_arguments`` and the
    resolver of ``GraphQLCoreConverter.from_resolver``): the resolver function, which of
    self/parent/root/info it takes, and the field extensions (permissions) around it."""

    field: StrawberryField
    function: Any
    takes_self: bool
    parent_name: str | None
    root_name: str | None
    info_name: str | None
    extension_functions: list[Any]
    is_async: bool


@dataclass(slots=True, eq=False)
class FieldPlan:
    name: str  # the response key (alias or field name)
    parent_type: GraphQLObjectType
    definition: GraphQLField
    nodes: list[FieldNode]
    return_type: GraphQLOutputType
    completion: Completion
    read: int
    attribute: str = ""
    function: Any = None
    caller: Caller | None = None
    #: GUARDED: the permissions to ask (once per request) before calling ``function``.
    permissions: list[Any] | None = None
    #: Whether the field takes arguments (coerced and converted once per request).
    has_arguments: bool = False
    #: Leaf fields: the Python type kept as it is, and whether null is a complete value.
    identity: type | None = None
    nullable_leaf: bool = False
    #: The completion may be awaitable (objects and lists: their fields' resolvers).
    composite: bool = False
    #: What execute_field returns may be awaitable (a resolver's result, or composite).
    may_await: bool = False


@dataclass(slots=True)
class Plan:
    root: list[FieldPlan]
    root_type: GraphQLObjectType
    #: The SQL plan (graphql.execution.sql_plans), once asked for: None when the plan has none.
    sql: Any = None
    sql_compiled: bool = False
    #: Why it has no SQL plan (graphql.execution.paths.REASONS), once asked for.
    sql_reason: str | None = None


@dataclass(slots=True)
class _Compiler:
    schema: Any  # GraphQLSchema
    fragments: dict[str, FragmentDetails]
    variable_values: VariableValues
    operation: OperationDefinitionNode
    hide_suggestions: bool

    def fields(
        self, parent_type: GraphQLObjectType, grouped: dict[str, list[FieldDetails]]
    ) -> list[FieldPlan]:
        return [self.field(parent_type, name, details) for name, details in grouped.items()]

    def field(
        self, parent_type: GraphQLObjectType, name: str, details: list[FieldDetails]
    ) -> FieldPlan:
        if any(d.fragment_variable_values is not None or d.defer_usage for d in details):
            raise Unsupported("fragment variables or @defer")
        nodes = [d.node for d in details]
        field_name = nodes[0].name.value
        if field_name.startswith("__") and field_name != "__typename":
            raise Unsupported("introspection")
        definition = self.schema.get_field(parent_type, field_name)
        if definition is None:
            raise Unsupported(f"no field {parent_type.name}.{field_name}")
        completion = self.completion(definition.type, details)
        plan = FieldPlan(
            name=name,
            parent_type=parent_type,
            definition=definition,
            nodes=nodes,
            return_type=definition.type,
            completion=completion,
            read=TYPENAME,
        )
        if completion.kind == LEAF:
            plan.identity, plan.nullable_leaf = completion.identity, True
        elif completion.kind == NON_NULL and completion.inner and completion.inner.kind == LEAF:
            plan.identity = completion.inner.identity
        unwrapped = completion.inner if completion.kind == NON_NULL else completion
        plan.composite = plan.may_await = unwrapped is not None and unwrapped.kind != LEAF
        if field_name == "__typename":
            return plan
        strawberry_field = (definition.extensions or {}).get(
            GraphQLCoreConverter.DEFINITION_BACKREF
        )
        if not isinstance(strawberry_field, StrawberryField):
            raise Unsupported(f"{parent_type.name}.{field_name} is not a strawberry field")
        if strawberry_field.is_basic_field:
            plan.read = ATTRIBUTE
            plan.attribute = strawberry_field.python_name
            return plan
        caller = _caller(strawberry_field)
        plan.has_arguments = bool(definition.args or nodes[0].arguments)
        plain = (
            caller.function is not None
            and caller.takes_self
            and not caller.is_async
            and not plan.has_arguments
            and caller.parent_name is None
            and caller.root_name is None
            and caller.info_name is None
        )
        permissions = _context_permissions(strawberry_field)
        if plain and (not caller.extension_functions or permissions is not None):
            plan.read = GUARDED if caller.extension_functions else DIRECT
            plan.may_await = True  # a sync resolver may still return an awaitable
            plan.function = caller.function
            plan.caller = caller  # GUARDED and refused: strawberry's chain says why
            plan.permissions = permissions
            return plan
        plan.read = RESOLVER
        plan.may_await = True
        plan.caller = caller
        return plan

    def completion(self, type_: GraphQLOutputType, details: list[FieldDetails]) -> Completion:
        if isinstance(type_, GraphQLNonNull):
            return Completion(NON_NULL, inner=self.completion(type_.of_type, details))
        if isinstance(type_, GraphQLList):
            return Completion(LIST, inner=self.completion(type_.of_type, details))
        if isinstance(type_, GraphQLObjectType):
            if type_.is_type_of is not None:
                raise Unsupported("is_type_of")
            collected = collect_subfields(
                self.schema,
                self.fragments,
                self.variable_values,
                self.operation,
                type_,
                details,
                self.hide_suggestions,
            )
            if collected.new_defer_usages:
                raise Unsupported("@defer")
            fields = self.fields(type_, collected.grouped_field_set)
            return Completion(OBJECT, fields=fields, object_type=type_)
        if isinstance(type_, GraphQLLeafType):
            return Completion(LEAF, leaf=type_, identity=_IDENTITY.get(type_.name))
        raise Unsupported(f"abstract type {type_}")


def _context_permissions(field_: StrawberryField) -> list[Any] | None:
    """The field's permissions when its only extensions are permission checks that read
    nothing but the context (``context_only = True`` on the permission class), else None."""
    permissions: list[Any] = []
    for extension in field_.extensions:
        if type(extension) is not PermissionExtension:
            return None
        for permission in extension.permissions:
            if getattr(permission, "context_only", False) is not True:
                return None
            permissions.append(permission)
    return permissions or None


def _caller(field_: StrawberryField) -> Caller:
    resolver = field_.base_resolver
    if resolver is None:  # an attribute field with extensions (permissions)
        function, takes_self, parent, root, info = None, False, None, None, None
    else:
        if not callable(resolver.wrapped_func):
            raise Unsupported("uncallable resolver")
        function = resolver.wrapped_func
        takes_self = resolver.self_parameter is not None
        parent = resolver.parent_parameter.name if resolver.parent_parameter else None
        root = resolver.root_parameter.name if resolver.root_parameter else None
        info = resolver.info_parameter.name if resolver.info_parameter else None
    return Caller(
        field=field_,
        function=function,
        takes_self=takes_self,
        parent_name=parent,
        root_name=root,
        info_name=info,
        extension_functions=build_field_extension_resolvers(field_) if field_.extensions else [],
        is_async=field_.is_async,
    )


def directive_variables(operation: OperationDefinitionNode, fragments: Any) -> tuple[str, ...]:
    """Names of the variables that ``@skip(if:)``/``@include(if:)`` read: their values are
    part of a plan's key (the plan has those directives decided)."""
    names: set[str] = set()

    class Collect(Visitor):
        def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
            if node.name.value in ("skip", "include"):
                for argument in node.arguments or ():
                    if isinstance(argument.value, VariableNode):
                        names.add(argument.value.name.value)

    visit(operation, Collect())
    for details in fragments.values():
        visit(details.definition, Collect())
    return tuple(sorted(names))


def compile_operation(
    schema: Any,
    fragments: dict[str, FragmentDetails],
    variable_values: VariableValues,
    operation: OperationDefinitionNode,
    hide_suggestions: bool,
) -> Plan | None:
    """The plan of a query operation, or None when it needs graphql-core's executor."""
    root_type = schema.query_type
    if root_type is None:
        return None
    compiler = _Compiler(schema, fragments, variable_values, operation, hide_suggestions)
    try:
        collected = collect_fields(
            schema, fragments, variable_values, root_type, operation, hide_suggestions
        )
        if collected.new_defer_usages:
            return None
        return Plan(
            root=compiler.fields(root_type, collected.grouped_field_set), root_type=root_type
        )
    except (Unsupported, RecursionError):
        return None
