"""JSON Schema (the OpenAPI 3.1 dialect) from the ``TypedDict`` shapes of ``rest/**/*shapes.py``.

The renderers build those shapes (mypy checks every key and type), and the OpenAPI document
is generated from them here, so a key is declared once. Supported: ``str``, ``int``,
``float``, ``bool``, ``None``, unions (``X | None`` is nullable), ``Literal`` (an enum; its
members may be a core ``StrEnum``'s), a core ``StrEnum`` (the enum of its values),
``list[X]``, ``dict[str, X]``, ``object``, nested shapes (``$ref`` to a component),
``NotRequired`` (left out of ``required``) and ``Annotated[X, Schema(...)]`` for keywords a
type cannot say (format, pattern, bounds, descriptions). A shape's docstring is its
description. Shapes are closed (``additionalProperties: false``) unless listed as open.

A shape may have :class:`FurtherKeys`: keys its schema declares after the ``TypedDict``'s own,
built at run time from a declaration (the per-site inherited values of
``core/inheritance/fields.py``: ``rest/sites/declared_keys.py``), so that adding one to the
declaration needs no edit of the shapes. mypy does not see them: their renderer builds them
from the same declaration.
"""

import inspect
import types
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import (
    Annotated,
    Any,
    Literal,
    NotRequired,
    Required,
    Union,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)

JSONSchema = dict[str, Any]

_PRIMITIVES: dict[object, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


@dataclass(frozen=True)
class FurtherKeys:
    """Keys of a shape's schema besides the ``TypedDict``'s: key -> type, in order."""

    types: Mapping[str, object]
    #: Whether every one is in ``required`` (as a ``TypedDict`` key without ``NotRequired``).
    required: bool


class Schema:
    """JSON Schema keywords for a field: ``Annotated[str, Schema(format="date-time")]``."""

    def __init__(self, **keywords: object) -> None:
        self.keywords = keywords


def ref(name: str) -> JSONSchema:
    return {"$ref": f"#/components/schemas/{name}"}


class Components:
    """The ``components/schemas`` of a document: every shape reached, by its class name."""

    def __init__(
        self,
        open_shapes: Collection[type] = (),
        further_keys: Mapping[type, FurtherKeys] | None = None,
    ) -> None:
        self.schemas: dict[str, JSONSchema] = {}
        self._open = set(open_shapes)
        self._further = dict(further_keys or {})
        self._shapes: dict[str, object] = {}

    def of(self, annotation: object) -> JSONSchema:
        """The schema of a type; shapes become references to their component."""
        origin = get_origin(annotation)
        args = get_args(annotation)
        if origin is Annotated:
            schema = self.of(args[0])
            for meta in args[1:]:
                if isinstance(meta, Schema):
                    schema = {**schema, **meta.keywords}
            return schema
        if origin in (NotRequired, Required):
            return self.of(args[0])
        if origin in (Union, types.UnionType):
            return self._union(args)
        if origin is Literal:
            return {"enum": [_plain(arg) for arg in args]}
        if origin is list:
            return {"type": "array", "items": self.of(args[0])}
        if origin is dict:
            return {"type": "object", "additionalProperties": self.of(args[1])}
        if isinstance(annotation, type) and issubclass(annotation, StrEnum):
            return {"enum": [member.value for member in annotation]}
        if is_typeddict(annotation):
            return self.ref(annotation)
        if annotation in _PRIMITIVES:
            return {"type": _PRIMITIVES[annotation]}
        if annotation is object or annotation is Any:
            return {}
        raise TypeError(f"no JSON Schema for {annotation!r}")

    def ref(self, shape: Any) -> JSONSchema:
        """A reference to ``shape``'s component, added on first use."""
        name: str = shape.__name__
        known = self._shapes.setdefault(name, shape)
        if known is not shape:
            raise TypeError(f"two shapes are named {name}")
        if name not in self.schemas:
            self.schemas[name] = {}  # placeholder: a shape may refer to itself
            self.schemas[name] = self._object(shape)
        return ref(name)

    def _object(self, shape: Any) -> JSONSchema:
        hints = get_type_hints(shape, include_extras=True)
        schema: JSONSchema = {"type": "object"}
        if shape.__doc__:
            schema["description"] = inspect.cleandoc(shape.__doc__)
        schema["properties"] = {key: self.of(hint) for key, hint in hints.items()}
        required = [key for key in hints if key in shape.__required_keys__]
        further = self._further.get(shape)
        if further is not None:
            for key, hint in further.types.items():
                if key in hints:
                    raise TypeError(f"{shape.__name__} already has the key {key}")
                schema["properties"][key] = self.of(hint)
                if further.required:
                    required.append(key)
        if required:
            schema["required"] = required
        schema["additionalProperties"] = shape in self._open
        return schema

    def _union(self, members: tuple[object, ...]) -> JSONSchema:
        nullable = type(None) in members
        parts = [self.of(member) for member in members if member is not type(None)]
        if len(parts) == 1:
            return _nullable(parts[0]) if nullable else parts[0]
        if all(set(part) == {"type"} and isinstance(part["type"], str) for part in parts):
            names = [part["type"] for part in parts]
            if "number" in names and "integer" in names:  # every integer is a number
                names.remove("integer")
            return {"type": [*names, "null"] if nullable else names}
        return {"anyOf": [*parts, {"type": "null"}] if nullable else parts}


def _plain(value: object) -> object:
    """A ``Literal`` argument as JSON: a vocabulary's member is its value."""
    return value.value if isinstance(value, StrEnum) else value


def _nullable(schema: JSONSchema) -> JSONSchema:
    if isinstance(schema.get("type"), str):
        return {**schema, "type": [schema["type"], "null"]}
    if "enum" in schema and set(schema) == {"enum"}:
        return {"enum": [*schema["enum"], None]}
    return {"oneOf": [schema, {"type": "null"}]}
