"""Translating an organization's selection into the keys of a page plan
(graphql.execution.page_sql.Key): its columns, derived values and their sources, the
hierarchy, values on a site (in effect and own) with their contracts, addresses, roles,
members, its own values on every site, and its children and descendants (connections
whose nodes ask only for their own columns; a descendants ``filter`` is read at each
request, graphql.execution.page_filters).

What a selection asks beyond these raises :class:`Unsupported`: the compiled plan answers
it (graphql.execution.paths, reason "selection")."""

from __future__ import annotations

import dataclasses

from orgql.core.common.addresses import ADDRESS_COLUMNS
from orgql.core.common.names import camel
from orgql.core.inheritance.fields import ORGANIZATION_FIELDS, SITE_FIELDS
from orgql.graphql.execution import page_compose
from orgql.graphql.execution.page_sql import Key
from orgql.graphql.execution.plan import LIST, NON_NULL, OBJECT, Completion, FieldPlan

#: Organization fields read from a column (``id`` is the global id: a "global_id" key).
_ORGANIZATION = {"repositoryId": "id"} | {camel(c): c for c in page_compose.COLUMNS - {"id"}}
#: GraphQL field -> column, from the declaration of the inherited fields: the derived values
#: answered as stored, the values in effect on a site (the contract apart), and the fields of
#: the inheritedFrom objects (derived values and site values).
_DERIVED = {f.name: f.column for f in ORGANIZATION_FIELDS if f.wire.plain}
_SITE_VALUES = {f.own: f.column for f in SITE_FIELDS if f.wire.plain}
_DERIVED_SOURCES = {f.source: f.column for f in ORGANIZATION_FIELDS}
_SOURCES = {f.source: f.column for f in SITE_FIELDS}
#: Contract fields read from a column of the contract row (with its catalog's, price list
#: group's and terms' columns: page_compose.CONTRACT_COLUMNS); ``id``s are global ids
#: ("global_id" keys, ``what`` the column of the vendor id).
_CONTRACT = {
    "repositoryId": "id",
    "displayName": "display_name",
    "description": "description",
    "externalContractReference": "external_contract_reference",
    "startDate": "start_date",
    "endDate": "end_date",
    "creationDate": "creation_date",
}
#: The contract's objects: their fields' columns in the contract row.
_CONTRACT_OBJECTS = {
    "catalog": {"repositoryId": "catalog_id", "displayName": "catalog_name"},
    "priceListGroup": {
        "repositoryId": "price_list_group_id",
        "displayName": "price_list_group_name",
    },
    "terms": {"repositoryId": "terms_id", "terms": "terms"},
}
#: The Node types among them: the column of the vendor id their global ``id`` encodes.
_CONTRACT_IDS = {"catalog": "catalog_id", "priceListGroup": "price_list_group_id"}
#: Address fields: their positions' names in an address (page_links.ADDRESS; "global_id":
#: the Node's global id).
_ADDRESS = {
    "id": "global_id",
    "repositoryId": "id",
    "externalAddressId": "external_address_id",
} | {camel(c): c for c in ADDRESS_COLUMNS}
_ROLE = {"id": "global_id", "repositoryId": "id", "function": "function"}
_PROFILE = {
    "id": "global_id",
    "repositoryId": "id",
    "firstName": "first_name",
    "lastName": "last_name",
    "email": "email",
}
#: Address fields of the organization: own (the address row of the column) and derived.
_OWN_ADDRESSES = {"billingAddress": "billing_address", "shippingAddress": "shipping_address"}
_DERIVED_ADDRESSES = {
    "derivedBillingAddress": "billing_address_id",
    "derivedShippingAddress": "shipping_address_id",
}
_DERIVED_ADDRESS_TYPES = {
    "derivedBillingAddressType": "billing_address_id",
    "derivedShippingAddressType": "shipping_address_id",
}
#: Fields with a ``site`` argument read from the site rows.
_SITE_ARGUMENTS = {"effectiveSiteProperties", "contract", "derivedContract", *_SITE_VALUES}
#: What a child of a connection may be asked for: its own columns (a child's row comes
#: without its chain, its links or its site rows).
_FLAT = frozenset({"const", "column", "global_id", "shipping_refs", "logo_url"})


class Unsupported(Exception):
    pass


@dataclasses.dataclass
class Translation:
    """What a translation collects besides keys: the fields whose arguments a request
    binds (site arguments, children pages), each with its parameter's name."""

    sites: list[tuple[str, FieldPlan]] = dataclasses.field(default_factory=list)
    children: list[tuple[str, FieldPlan]] = dataclasses.field(default_factory=list)
    #: siteOrganizationProperties: its ``site`` argument filters (no header, no default).
    site_lists: list[tuple[str, FieldPlan]] = dataclasses.field(default_factory=list)


def object_fields(completion: Completion) -> list[FieldPlan]:
    """The fields of a non-null object."""
    if completion.kind != NON_NULL or completion.inner is None:
        raise Unsupported
    return nullable_object(completion.inner)


def nullable_object(completion: Completion) -> list[FieldPlan]:
    if completion.kind != OBJECT or completion.fields is None:
        raise Unsupported
    return completion.fields


def _list_of_objects(completion: Completion) -> list[FieldPlan]:
    """The fields of the items of ``[T!]!``."""
    if completion.kind != NON_NULL or completion.inner is None or completion.inner.kind != LIST:
        raise Unsupported
    assert completion.inner.inner is not None
    return object_fields(completion.inner.inner)


def _nullable_list_of_objects(completion: Completion) -> list[FieldPlan]:
    """The fields of the items of ``[T!]``."""
    if completion.kind != LIST or completion.inner is None:
        raise Unsupported
    return object_fields(completion.inner)


def _name(field: FieldPlan) -> str:
    return field.nodes[0].name.value


def _typename(field: FieldPlan) -> Key | None:
    if _name(field) == "__typename":
        return Key(field.name, "const", field.parent_type.name)
    return None


def _mapped(names: dict[str, str], field: FieldPlan) -> str:
    try:
        return names[_name(field)]
    except KeyError:
        raise Unsupported from None


def _plain(fields: list[FieldPlan], names: dict[str, str], kind: str) -> tuple[Key, ...]:
    """Keys of an object whose fields are each one value (``kind``) named in ``names``."""
    return tuple(_typename(f) or Key(f.name, kind, _mapped(names, f)) for f in fields)


def connection(fields: list[FieldPlan], found: Translation, flat: bool = False) -> tuple[Key, ...]:
    """A connection's keys; ``flat``: its nodes asked only for their own columns."""
    keys: list[Key] = []
    for field in fields:
        name = _name(field)
        if (typename := _typename(field)) is not None:
            keys.append(typename)
        elif name == "totalCount":
            keys.append(Key(field.name, "total"))
        elif name == "pageInfo":
            names = {"hasNextPage": "has_next", "endCursor": "end_cursor"}
            info = tuple(
                _typename(f) or Key(f.name, _mapped(names, f))
                for f in object_fields(field.completion)
            )
            keys.append(Key(field.name, "page_info", keys=info))
        elif name == "edges":
            edge = []
            for item in _list_of_objects(field.completion):
                if (typename := _typename(item)) is not None:
                    edge.append(typename)
                elif _name(item) == "cursor":
                    edge.append(Key(item.name, "cursor"))
                elif _name(item) == "node":
                    node_keys = node(object_fields(item.completion), found)
                    if flat and any(k.kind not in _FLAT for k in node_keys):
                        raise Unsupported
                    edge.append(Key(item.name, "node", keys=node_keys))
                else:
                    raise Unsupported
            keys.append(Key(field.name, "edges", keys=tuple(edge)))
        else:
            raise Unsupported
    return tuple(keys)


def node(fields: list[FieldPlan], found: Translation) -> tuple[Key, ...]:
    """The keys of an organization's selection."""
    keys: list[Key] = []
    for field in fields:
        name = _name(field)
        arguments = field.nodes[0].arguments
        if (typename := _typename(field)) is not None:
            keys.append(typename)
        elif name in _SITE_ARGUMENTS:
            keys.append(_site_key(field, name, found))
        elif name == "siteOrganizationProperties":
            keys.append(_site_list(field, found))
        elif arguments and name not in ("childOrganizations", "descendants"):
            raise Unsupported
        elif name == "id":
            keys.append(Key(field.name, "global_id"))
        elif name in _ORGANIZATION:
            keys.append(Key(field.name, "column", _ORGANIZATION[name]))
        elif name in _DERIVED:
            keys.append(Key(field.name, "derived", _DERIVED[name]))
        elif name in ("shippingMethods", "derivedShippingMethods"):
            refs = _plain(_nullable_list_of_objects(field.completion), {"id": "id"}, "ref")
            what = "own" if name == "shippingMethods" else "derived"
            keys.append(Key(field.name, "shipping_refs", what, keys=refs))
        elif name == "organizationLogoURL":
            keys.append(Key(field.name, "logo_url"))
        elif name == "inheritedFrom":
            sources = _plain(object_fields(field.completion), _DERIVED_SOURCES, "derived_source")
            keys.append(Key(field.name, "derived_sources", keys=sources))
        elif name == "parentOrganization":
            inner = node(nullable_object(field.completion), found)
            keys.append(Key(field.name, "parent", keys=inner))
        elif name == "ancestorOrganizations":
            inner = node(_list_of_objects(field.completion), found)
            keys.append(Key(field.name, "ancestors", keys=inner))
        elif name in ("childOrganizations", "descendants"):
            parameter = f"child{len(found.children)}"
            found.children.append((parameter, field))
            inner = connection(object_fields(field.completion), found, flat=True)
            what = "children" if name == "childOrganizations" else "descendants"
            keys.append(Key(field.name, "children", what, keys=inner, param=parameter))
        else:
            keys.append(_link(field, name))
    return tuple(keys)


def _link(field: FieldPlan, name: str) -> Key:
    """Addresses, roles and members: lists and objects read with the organization."""
    if name in _OWN_ADDRESSES:
        address = _plain(nullable_object(field.completion), _ADDRESS, "column")
        return Key(field.name, "address", _OWN_ADDRESSES[name], keys=address)
    if name in _DERIVED_ADDRESSES:
        address = _plain(nullable_object(field.completion), _ADDRESS, "column")
        return Key(field.name, "derived_address", _DERIVED_ADDRESSES[name], keys=address)
    if name in _DERIVED_ADDRESS_TYPES:
        return Key(field.name, "derived_address_type", _DERIVED_ADDRESS_TYPES[name])
    if name == "secondaryAddresses":
        items: list[Key] = []
        for item in _list_of_objects(field.completion):
            if (typename := _typename(item)) is not None:
                items.append(typename)
            elif _name(item) == "addressType":
                items.append(Key(item.name, "address_type"))
            elif _name(item) == "address":
                address = _plain(object_fields(item.completion), _ADDRESS, "column")
                items.append(Key(item.name, "address", keys=address))
            else:
                raise Unsupported
        return Key(field.name, "addresses", keys=tuple(items))
    if name == "relativeRoles":
        return Key(
            field.name, "roles", keys=_plain(_list_of_objects(field.completion), _ROLE, "column")
        )
    if name == "members":
        profile = _plain(_list_of_objects(field.completion), _PROFILE, "column")
        return Key(field.name, "members", keys=profile)
    raise Unsupported


def _site_key(field: FieldPlan, name: str, found: Translation) -> Key:
    """A field read from the site rows of its ``site`` argument (null: the x-ccsite header,
    else the default site)."""
    if any(a.name.value != "site" for a in field.nodes[0].arguments or ()):
        raise Unsupported
    parameter = f"site{len(found.sites)}"
    found.sites.append((parameter, field))
    if name == "effectiveSiteProperties":
        inner = _effective(nullable_object(field.completion))
        return Key(field.name, "effective", keys=inner, param=parameter)
    if name in ("contract", "derivedContract"):
        kind = "own_contract" if name == "contract" else "derived_contract"
        return Key(field.name, kind, keys=contract(field), param=parameter)
    return Key(field.name, "own_value", _SITE_VALUES[name], param=parameter)


#: The fields of a Site (its ``id`` the global id).
_SITE = {
    "id": "global_id",
    "repositoryId": "id",
    "name": "name",
    "productionURL": "production_url",
    "enabled": "enabled",
    "b2b": "b2b",
    "isDefault": "is_default",
}


def _site_list(field: FieldPlan, found: Translation) -> Key:
    """``siteOrganizationProperties``: the own values on every site (or the one named)."""
    parameter = f"sites{len(found.site_lists)}"
    found.site_lists.append((parameter, field))
    keys: list[Key] = []
    for item in _list_of_objects(field.completion):
        name = _name(item)
        if (typename := _typename(item)) is not None:
            keys.append(typename)
        elif name in _SITE_VALUES:
            keys.append(Key(item.name, "value", _SITE_VALUES[name]))
        elif name == "site":
            site = _plain(object_fields(item.completion), _SITE, "column")
            keys.append(Key(item.name, "site", keys=site))
        elif name == "contract":
            keys.append(Key(item.name, "contract", keys=contract(item)))
        elif name == "inheritedFrom":  # own values: null
            keys.append(Key(item.name, "null"))
        else:
            raise Unsupported
    return Key(field.name, "site_properties", keys=tuple(keys), param=parameter)


def contract(field: FieldPlan) -> tuple[Key, ...]:
    keys: list[Key] = []
    for item in nullable_object(field.completion):
        name = _name(item)
        if (typename := _typename(item)) is not None:
            keys.append(typename)
        elif name in _CONTRACT_OBJECTS:
            completion = item.completion
            fields = nullable_object(completion) if name == "terms" else object_fields(completion)
            names = _CONTRACT_OBJECTS[name]
            inner = tuple(
                Key(f.name, "global_id", _CONTRACT_IDS[name])
                if _name(f) == "id" and name in _CONTRACT_IDS
                else _typename(f) or Key(f.name, "column", _mapped(names, f))
                for f in fields
            )
            keys.append(Key(item.name, "contract_object", name, keys=inner))
        elif name == "id":
            keys.append(Key(item.name, "global_id", "id"))
        else:
            keys.append(Key(item.name, "column", _mapped(_CONTRACT, item)))
    return tuple(keys)


def _effective(fields: list[FieldPlan]) -> tuple[Key, ...]:
    keys: list[Key] = []
    for field in fields:
        name = _name(field)
        if (typename := _typename(field)) is not None:
            keys.append(typename)
        elif name in _SITE_VALUES:
            keys.append(Key(field.name, "value", _SITE_VALUES[name]))
        elif name == "contract":
            keys.append(Key(field.name, "contract", keys=contract(field)))
        elif name == "inheritedFrom":
            sources = _plain(nullable_object(field.completion), _SOURCES, "source")
            keys.append(Key(field.name, "sources", keys=sources))
        else:
            raise Unsupported
    return tuple(keys)
