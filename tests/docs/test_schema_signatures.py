"""What the pages say of the GraphQL schema agrees with schema.graphql (the exported SDL).

Two forms are checked, on README.md and every page of docs/:

- a ``graphql`` block made only of field definitions (``name(arg: Type = default): Type``,
  one a line) lists fields as the schema declares them: every argument, its type and default
  (``= null`` included), and the field's type, exactly;
- inline code naming a field with arguments (``organization(id, asOf: DateTime)``,
  ``Organization.history(first, after)``, ``contract(site:)``) names arguments the field has,
  and where it shows a type or a default, the schema's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from graphql import (
    DocumentNode,
    FieldDefinitionNode,
    GraphQLSyntaxError,
    ObjectTypeDefinitionNode,
    SchemaDefinitionNode,
    TypeDefinitionNode,
    parse,
    print_ast,
)

from docs import examples

SCHEMA_FILE = examples.ROOT / "schema.graphql"

#: A line of a signature block: a field definition, ``name(arguments): Type`` or ``name: Type``.
_DEFINITION = re.compile(r"^\w+(\(.*\))?\s*:\s*\S.*$")
#: Inline code naming a field with arguments: ``name(…)`` or ``Type.name(…)``.
_INLINE = re.compile(r"^(?:(?P<type>[A-Z]\w*)\.)?(?P<field>[a-z]\w*)\((?P<arguments>.*)\)$", re.S)
#: An argument shown with its type (not a value): ``name: Type``, ``name: [Type!]! = null``.
_TYPED = re.compile(
    r"^(?P<name>\w+):\s*(?P<type>\[*[A-Z]\w*!?(?:\]!?)*)(?:\s*=\s*(?P<default>.+))?$"
)
_FENCED = re.compile(r"^([ \t]*)(`{3,}|~{3,}).*?^\1\2[ \t]*$", re.M | re.S)
_SPAN = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Signature:
    """A field's arguments (name, type, default or None) and type, as SDL prints them."""

    arguments: tuple[tuple[str, str, str | None], ...]
    type: str


def _signature(field: FieldDefinitionNode) -> Signature:
    arguments = tuple(
        (
            argument.name.value,
            print_ast(argument.type),
            None if argument.default_value is None else print_ast(argument.default_value),
        )
        for argument in field.arguments or ()
    )
    return Signature(arguments, print_ast(field.type))


def _shown(signature: Signature) -> str:
    arguments = ", ".join(
        f"{name}: {kind}" + ("" if default is None else f" = {default}")
        for name, kind, default in signature.arguments
    )
    return (f"({arguments})" if arguments else "") + f": {signature.type}"


class Schema:
    def __init__(self, document: DocumentNode) -> None:
        self.fields: dict[str, dict[str, Signature]] = {}
        self.roots: list[str] = []
        for definition in document.definitions:
            if isinstance(definition, SchemaDefinitionNode):
                self.roots = [operation.type.name.value for operation in definition.operation_types]
            elif isinstance(definition, TypeDefinitionNode) and hasattr(definition, "fields"):
                self.fields[definition.name.value] = {
                    field.name.value: _signature(field)
                    for field in definition.fields or ()
                    if isinstance(field, FieldDefinitionNode)
                }

    def candidates(self, field: str, type_name: str | None = None) -> dict[str, Signature]:
        """The types declaring ``field`` (only ``type_name`` when given), root types first."""
        names = (
            [type_name] if type_name else [*self.roots, *sorted(set(self.fields) - set(self.roots))]
        )
        return {
            name: self.fields[name][field] for name in names if field in self.fields.get(name, {})
        }


@pytest.fixture(scope="module")
def schema() -> Schema:
    return Schema(parse(SCHEMA_FILE.read_text("utf-8")))


def _signature_lines(page: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of every line of the page's signature blocks."""
    for line, info, content in examples.fenced_blocks(page.read_text("utf-8")):
        lines = [text.strip() for text in content.splitlines()]
        shown = [
            (offset, text) for offset, text in enumerate(lines) if text and not text.startswith("#")
        ]
        if info == "graphql" and shown and all(_DEFINITION.match(text) for _, text in shown):
            yield from ((line + 1 + offset, text) for offset, text in shown)


def _inline_spans(page: Path) -> Iterator[str]:
    prose = _FENCED.sub("", page.read_text("utf-8"))
    for span in _SPAN.findall(prose):
        yield " ".join(span.split())


def _split_arguments(text: str) -> list[str]:
    """``text`` split at its top-level commas (not those inside ``{}``, ``[]`` or ``()``)."""
    parts, depth, current = [], 0, ""
    for character in text:
        depth += character in "{[("
        depth -= character in "}])"
        if character == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += character
    return [part for part in [*parts, current.strip()] if part]


def _inline_problem(span: str, declared: Signature) -> str | None:
    """What ``span`` shows that ``declared`` does not have; None when it agrees."""
    match = _INLINE.match(span)
    assert match is not None
    arguments = {name: (kind, default) for name, kind, default in declared.arguments}
    for argument in _split_arguments(match["arguments"]):
        if argument in ("…", "..."):
            continue
        name = re.match(r"\w+", argument)
        if name is None or name[0] not in arguments:
            return f"no argument {argument!r}"
        typed = _TYPED.match(argument)
        if typed is None:
            continue  # a name alone (``id``, ``id:``) or a value (``first: 100``)
        kind, default = arguments[typed["name"]]
        if typed["type"] != kind:
            return f"{typed['name']} is {kind}, not {typed['type']}"
        if typed["default"] is not None and typed["default"].strip() != default:
            return f"{typed['name']}'s default is {default}, not {typed['default'].strip()}"
    return None


def test_the_graphql_page_shows_signatures() -> None:
    """The detector finds the summary of docs/graphql.md (or this test would check nothing)."""
    lines = [text for _, text in _signature_lines(examples.ROOT / "docs" / "graphql.md")]
    assert any(text.startswith("organizations(") for text in lines)


@pytest.mark.parametrize("page", examples.pages(), ids=lambda page: page.name)
def test_signature_blocks_show_the_schema_s_fields(page: Path, schema: Schema) -> None:
    problems = []
    for line, text in _signature_lines(page):
        try:
            shown = parse(f"type Shown {{ {text} }}").definitions[0]
        except GraphQLSyntaxError as exc:
            problems.append(
                f"{page.name}:{line}: {text}\n  not one field definition: {exc.message}"
            )
            continue
        assert isinstance(shown, ObjectTypeDefinitionNode)
        assert shown.fields
        field = shown.fields[0]
        candidates = schema.candidates(field.name.value)
        if _signature(field) not in candidates.values():
            declared = "; ".join(
                f"{name}.{field.name.value}{_shown(s)}" for name, s in candidates.items()
            )
            problems.append(
                f"{page.name}:{line}: {text}\n  schema.graphql: {declared or 'no such field'}"
            )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", examples.pages(), ids=lambda page: page.name)
def test_inline_field_mentions_name_the_schema_s_arguments(page: Path, schema: Schema) -> None:
    problems = []
    for span in _inline_spans(page):
        match = _INLINE.match(span)
        if match is None:
            continue
        candidates = schema.candidates(match["field"], match["type"])
        if not candidates:
            continue  # not a field of the schema (an SQL function, a Python call)
        found = [_inline_problem(span, declared) for declared in candidates.values()]
        if None not in found:
            problems.append(f"{page.name}: `{span}`: {found[0]}")
    assert not problems, "\n".join(problems)
