"""Global object ids (Relay's Global Object Identification specification).

Every type with an identity implements :class:`Node`: its ``id`` is a global id, unique
across types, from which ``node(id)`` refetches it; the vendor's id (the one OCC's REST API
and our REST shim answer) stays on the type as ``repositoryId``, so that REST and GraphQL
answers can be joined.

A global id is the unpadded base64url text of ``Type:vendorId`` (``Organization:100001`` is
``T3JnYW5pemF0aW9uOjEwMDAwMQ``). Clients treat it as opaque; the server decodes it with
bounds (:func:`decode`): a value that is too long, not base64, not UTF-8, of an unknown
type or with an empty or oversized vendor id is no global id. The server writes that one
spelling; it also reads the bytes padded or in the standard alphabet (graphql.base64_text:
what the Relay libraries' ``toGlobalId`` writes), and no other spelling of them.

Every ``ID`` argument accepts either id (:data:`ID_SCALAR`): a global id of a Node type
reaches the resolvers as its vendor id (a :class:`GlobalRef`, a ``str`` that remembers its
type), any other value unchanged. So a caller that passes an object's ``id`` back to
``organization(id:)``, ``updateOrganization(id:)`` or ``parentOrganizationId`` works as it did
when ``id`` was the vendor's id (Relay clients pass global ids to mutations), and one that
passes the vendor's id works too. A vendor id is never mistaken for a global id: vendor ids
are sequence numbers, site names and UUIDs, none the exact base64url spelling of
``Type:id``. ``node`` and ``nodes`` take global ids only. A global id of another type than
the argument's (an OrganizationRequest's given to ``organization(id:)``) refuses the
operation (graphql.global_id_arguments): vendor ids of different types overlap. ID fields
other than a Node's ``id`` (``deletedId``, ``organizationId``, ...) answer vendor ids, as
REST does.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Mapping
from typing import Any

import strawberry
from graphql import GraphQLID, GraphQLNamedType, GraphQLScalarType, ValueNode
from strawberry.types.scalar import ScalarDefinition

from orgql.graphql import base64_text

#: The types that implement Node, by the name their global ids carry.
NODE_TYPES = frozenset(
    {
        "Organization",
        "OrganizationRequest",
        "Profile",
        "ProfileAddress",
        "CustomerAccount",
        "Site",
        "WebhookSubscription",
        "AddressType",
        "Address",
        "Contract",
        "Catalog",
        "PriceListGroup",
        "Contact",
        "RelativeRole",
        "OrganizationalRole",
    }
)
#: How many ids one ``nodes(ids:)`` may ask for (a page's worth).
MAX_NODES = 100
#: Longest vendor id a global id may carry (ids are sequence numbers, site names, UUIDs).
MAX_VENDOR_ID_LENGTH = 128
#: Longest global id decoded: the longest type name, the colon and the longest vendor id.
MAX_GLOBAL_ID_LENGTH = -(-(max(map(len, NODE_TYPES)) + 1 + MAX_VENDOR_ID_LENGTH) * 4 // 3)

#: What every Node type's ``id`` says of itself.
ID_DESCRIPTION = (
    "The global id (node(id:)): opaque, unique across types; the vendor's id is repositoryId."
)
#: How every global id begins: the base64 of its type name's first three bytes (each name
#: has three or more), in either alphabet. A value that begins otherwise is no global id,
#: without decoding it (a list of 40,000 vendor ids in a variable was 125 ms of coercion,
#: issue 16's edge run).
_PREFIXES = frozenset(
    encoded(name[:3].encode()).decode("ascii")
    for name in NODE_TYPES
    for encoded in (base64.urlsafe_b64encode, base64.b64encode)
)
assert min(map(len, NODE_TYPES)) >= 3


class GlobalRef(str):
    """A vendor id decoded from a global id; ``type_name`` is the Node type it names."""

    type_name: str

    def __new__(cls, type_name: str, vendor_id: str) -> GlobalRef:
        ref = super().__new__(cls, vendor_id)
        ref.type_name = type_name
        return ref

    @property
    def vendor_id(self) -> str:
        return str.__str__(self)


@functools.lru_cache(maxsize=16_384)
def encode(type_name: str, vendor_id: str) -> strawberry.ID:
    """The global id of ``type_name``'s object ``vendor_id``. Remembered for the most
    recent: a page writes the same ancestors' ids again and again (about 15 ids per
    organization with its chain, issue 16)."""
    raw = f"{type_name}:{vendor_id}".encode()
    return strawberry.ID(base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii"))


def decode(value: str) -> GlobalRef | None:
    """The vendor id and type a global id names, or None if ``value`` is none."""
    if value[:4] not in _PREFIXES:
        return None
    read = base64_text.read(value, MAX_GLOBAL_ID_LENGTH)
    if read is None:
        return None
    spelling, raw = read
    type_name, colon, vendor_id = raw.partition(":")
    if (
        not colon
        or type_name not in NODE_TYPES
        or not 0 < len(vendor_id) <= MAX_VENDOR_ID_LENGTH
        or "\x00" in vendor_id
        or encode(type_name, vendor_id) != spelling  # one spelling of the bytes per object
    ):
        return None
    return GlobalRef(type_name, vendor_id)


def _argument(value: Any) -> Any:
    return (decode(value) or value) if isinstance(value, str) else value


class _IdScalar(GraphQLScalarType):
    """GraphQL's ID, whose arguments also accept global ids. graphql-core refuses a second
    type named ``ID`` (its ``reserved_types``); this one is GraphQL's ID for every client (the
    same name, serialization and accepted inputs: a string or an integer), only the value a
    resolver receives differs, so it reserves no name."""

    reserved_types: Mapping[str, GraphQLNamedType] = {}


def _parse_literal(node: ValueNode, variables: Any = None) -> Any:
    return _argument(GraphQLID.parse_literal(node, variables))


_ID = _IdScalar(
    "ID",
    description=GraphQLID.description,
    serialize=GraphQLID.serialize,
    parse_value=lambda value: _argument(GraphQLID.parse_value(value)),
    parse_literal=_parse_literal,
)
#: strawberry's scalar override of ``strawberry.ID`` (graphql.schema).
ID_SCALAR = ScalarDefinition(
    name="ID",
    description=GraphQLID.description,
    specified_by_url=None,
    serialize=GraphQLID.serialize,
    parse_value=_ID.parse_value,
    parse_literal=_ID.parse_literal,
    implementation=_ID,
)


@strawberry.interface(
    description="An object with a global id (Relay's Global Object Identification):"
    " `node(id:)` refetches it."
)
class Node:
    """Implemented by a type whose class is named as the GraphQL type and whose objects
    hold their vendor id as ``repository_id`` (the Organization type answers its own)."""

    @strawberry.field(description=ID_DESCRIPTION)
    def id(self) -> strawberry.ID:
        vendor_id: object = getattr(self, "repository_id")  # noqa: B009 (declared by each type)
        return encode(type(self).__name__, str(vendor_id))
