"""Which Node type each ``ID`` argument names, and the refusal of a global id of another.

Every ``ID`` argument takes a vendor id or a global id (graphql.global_ids), and a global id
reaches the resolvers as its vendor id. Vendor ids of different types overlap (organization
``100001``, organization request ``100001``, profile ``110000`` and organization
``110000``...), so without a check the global id of an OrganizationRequest given to
``organization(id:)`` or ``updateOrganization(id:)`` acted on the organization with the same
vendor id, and a caller holding one object's id read or changed another. Here each ID
argument and input field declares the Node type it names (:data:`BY_NAME`,
:data:`ID_BY_OWNER`; a test holds every one of the schema's to a declaration), and an
operation naming an object by the global id of another type is refused before it runs
(code 100002, the argument named), as a variable of the wrong type is.

The check runs once per operation (:func:`refusals`, from the executor's ``build``): the
argument positions that can hold an ID are found once per document and kept, so an
operation without ID arguments costs a dictionary lookup.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLID,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    get_named_type,
    value_from_ast,
)

from orgql.core.common.errors import Codes, OrgqlError
from orgql.graphql.errors import public_error
from orgql.graphql.global_ids import GlobalRef

#: Any Node type (``node(id:)``, ``nodes(ids:)``).
ANY = "*"
#: A profile: the storefront's Profile and the admin's Contact are two views of one.
PROFILE = frozenset({"Profile", "Contact"})
#: What an ID argument takes: the global ids of a Node type, of any of a set of them, of
#: any Node type (ANY), or vendor ids only (None).
Wanted = str | frozenset[str] | None
#: The Node type an ID argument or input field names, by its name. None: an id of the
#: vendor's that no Node type carries (a global id there is refused).
BY_NAME: Mapping[str, Wanted] = {
    "site": "Site",
    "organizationId": "Organization",
    "organizationIds": "Organization",
    "parentOrganizationId": "Organization",
    "secondaryOrganizationIds": "Organization",
    "parentId": "Organization",
    "contactId": PROFILE,
    "profileId": PROFILE,
    "profileIds": PROFILE,
    "members": PROFILE,
    "contractId": "Contract",
    "shippingMethods": None,
    "billingAddressId": "Address",
    "shippingAddressId": "Address",
    "addressId": "Address",
    "businessUnitId": None,  # the financial system's business unit
    "typeIds": "AddressType",
}
#: The Node type an argument or input field named ``id`` (or ``ids``) names, by the field
#: or the input type it belongs to.
ID_BY_OWNER: Mapping[str, Wanted] = {
    "node": ANY,
    "nodes": ANY,
    "organization": "Organization",
    "updateOrganization": "Organization",
    "deactivateOrganization": "Organization",
    "reactivateOrganization": "Organization",
    "updateSiteOrganizationProperties": "Organization",
    "updateOrganizationMembers": "Organization",
    "syncFinancialData": "Organization",
    "contact": PROFILE,
    "updateContact": PROFILE,
    "deactivateContact": PROFILE,
    "reactivateContact": PROFILE,
    "updateProfileAddress": "ProfileAddress",
    "deleteProfileAddress": "ProfileAddress",
    "updateMyAddress": "ProfileAddress",
    "deleteMyAddress": "ProfileAddress",
    "organizationRequest": "OrganizationRequest",
    "currentOrganization": "Organization",
    "currentAccount": "Organization",
    "updateOrganizationRequest": "OrganizationRequest",
    "approveOrganizationRequest": "OrganizationRequest",
    "rejectOrganizationRequest": "OrganizationRequest",
    "deleteOrganizationRequest": "OrganizationRequest",
    "organizationRequestStatus": "OrganizationRequest",
    "setWebhookSubscriptionActive": "WebhookSubscription",
    "deleteWebhookSubscription": "WebhookSubscription",
    "AddressTypeRefInput": "AddressType",
}
#: Distinct (schema, document, operation) whose ID positions are kept.
MAX_DOCUMENTS = 256

#: An argument that can hold an ID: its value, type, owner (field name) and name.
_Position = tuple[ValueNode, GraphQLInputType, str, str]
_positions: OrderedDict[tuple[Any, str, str | None], tuple[_Position, ...]] = OrderedDict()


def expected(owner: str, name: str) -> Wanted:
    """The Node type the ID argument or input field ``name`` of ``owner`` (a field's name or
    an input type's) names; KeyError if undeclared."""
    if name in ("id", "ids"):
        return ID_BY_OWNER[owner]
    return BY_NAME[name]


def refusals(executor: Any) -> list[GraphQLError]:
    """The errors of the operation's ID arguments holding global ids of the wrong type."""
    positions = _operation_positions(executor.schema, executor.operation, executor.fragments)
    if not positions:
        return []
    variables = executor.variable_values.coerced
    errors: list[GraphQLError] = []
    for value_node, type_, owner, name in positions:
        value = value_from_ast(value_node, type_, variables)
        for ref, wanted, field in _mismatches(value, type_, owner, name):
            kinds = " or ".join(sorted(wanted)) if isinstance(wanted, frozenset) else wanted
            takes = "a vendor id" if kinds is None else f"the id of an object of type {kinds}"
            message = f"{field} takes {takes}, not the global id of one of type {ref.type_name}"
            errors.append(public_error(OrgqlError(Codes.INVALID_INPUT, message, field)))
    return errors


def _mismatches(
    value: Any, type_: GraphQLInputType, owner: str, name: str
) -> Iterator[tuple[GlobalRef, Wanted, str]]:
    if value is None:
        return
    if isinstance(type_, GraphQLNonNull):
        yield from _mismatches(value, type_.of_type, owner, name)
    elif isinstance(type_, GraphQLList):
        for item in value if isinstance(value, list) else [value]:
            yield from _mismatches(item, type_.of_type, owner, name)
    elif isinstance(type_, GraphQLInputObjectType):
        if isinstance(value, dict):
            for field_name, field_value in value.items():
                field = type_.fields.get(field_name)
                if field is not None:
                    yield from _mismatches(field_value, field.type, type_.name, field_name)
    elif type_.name == GraphQLID.name and isinstance(value, GlobalRef):
        try:
            wanted = expected(owner, name)
        except KeyError:  # undeclared (a test prevents it): no Node type
            wanted = None
        kinds = wanted if isinstance(wanted, frozenset) else {wanted}
        if wanted != ANY and value.type_name not in kinds:
            yield value, wanted, name


def _operation_positions(
    schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: Mapping[str, Any]
) -> tuple[_Position, ...]:
    location = operation.loc
    if location is None:  # a document built in code: not cached
        return tuple(_walk(schema, operation, fragments))
    name = operation.name.value if operation.name else None
    key = (schema, location.source.body, name)
    found = _positions.get(key)
    if found is None:
        found = _positions[key] = tuple(_walk(schema, operation, fragments))
        if len(_positions) > MAX_DOCUMENTS:
            _positions.popitem(last=False)
    else:
        _positions.move_to_end(key)
    return found


def _walk(
    schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: Mapping[str, Any]
) -> Iterator[_Position]:
    root = schema.get_root_type(operation.operation)
    if root is None:
        return
    seen: set[str] = set()
    stack: list[tuple[Any, SelectionSetNode]] = [(root, operation.selection_set)]
    while stack:
        parent, selection_set = stack.pop()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                fields = getattr(parent, "fields", None)
                definition = fields.get(selection.name.value) if fields else None
                if definition is None:  # __typename and introspection
                    continue
                for argument in selection.arguments or ():
                    argument_def = definition.args.get(argument.name.value)
                    if argument_def is not None and _holds_id(argument_def.type):
                        field_name = selection.name.value
                        yield argument.value, argument_def.type, field_name, argument.name.value
                if selection.selection_set is not None:
                    stack.append((get_named_type(definition.type), selection.selection_set))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = schema.get_type(condition.name.value) if condition else parent
                stack.append((inner, selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is None or selection.name.value in seen:
                    continue
                seen.add(selection.name.value)
                definition_node = fragment.definition
                inner = schema.get_type(definition_node.type_condition.name.value)
                stack.append((inner, definition_node.selection_set))


def _holds_id(type_: Any, depth: int = 0) -> bool:
    """Whether a value of ``type_`` can hold an ID (itself, in a list or an input field)."""
    named = get_named_type(type_)
    if named.name == GraphQLID.name:
        return True
    if isinstance(named, GraphQLInputObjectType) and depth < 4:
        return any(_holds_id(field.type, depth + 1) for field in named.fields.values())
    return False


def schema_positions(schema: GraphQLSchema) -> Iterator[tuple[str, str]]:
    """Every (owner, name) of the schema whose type is an ID or a list of them."""
    for type_ in schema.type_map.values():
        if type_.name.startswith("__"):
            continue
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in type_.fields.items():
                for argument_name, argument in field.args.items():
                    if get_named_type(argument.type).name == GraphQLID.name:
                        yield field_name, argument_name
        elif isinstance(type_, GraphQLInputObjectType):
            for field_name, input_field in type_.fields.items():
                if get_named_type(input_field.type).name == GraphQLID.name:
                    yield type_.name, field_name
