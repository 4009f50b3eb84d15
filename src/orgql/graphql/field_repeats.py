"""How often one response name is selected at one place of the answer, fragments and
repeated parent fields merged (setting ``ORGQL_GRAPHQL_MAX_REPEATS``), and how many
fragments are spread there (``ORGQL_GRAPHQL_MAX_FRAGMENTS``).

graphql-core's OverlappingFieldsCanBeMergedRule compares every pair of fields answering
under the same name at the same place, so its work grows with the square of the repeats:
``{ sites { name } sites { name } ... }`` 745 times (2,980 tokens) is 277,000 pairs, 1-2.5 s
of the event loop. And places merge as execution merges them: ``organization(id: 1)
{ parentOrganization { id } ... }`` with 30 ``parentOrganization`` written 20 times puts
600 of them at one place (organization.parentOrganization), 180,000 pairs from a document of
20 and 30 repeats. So fields are merged here as execution merges them, each fragment spread
where it is, and no response name may be selected more than the limit at one place: every
pair the rule compares is then among at most that many, and the pairs are at most the
limit times the document's fields (``ORGQL_GRAPHQL_MAX_FIELDS``) over two.

The rule also compares every pair of distinct fragments spread at one place, whatever they
hold: 330 fragments of one field each, spread on one object, fit in 3,000 tokens, repeat no
name past the limit, and make 54,000 pairs (0.3-0.45 s). So the same walk counts the
fragments reached at each place (their own spreads merged there too), and refuses more than
the limit: the pairs are then at most its square over two at each place.

The walk visits each field once per fragment expansion, so it runs only once the analysis
found no fragment cycle and the fields, fragments expanded, within their limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from orgql.core.common.errors import quoted

#: The codes of this rule's refusals (graphql.limits.LIMIT_SETTINGS: each answered 400).
CODE = "TOO_MANY_REPEATS"
FRAGMENTS_CODE = "TOO_MANY_FRAGMENTS"


def crowded_place(
    roots: Iterable[OperationDefinitionNode | FragmentDefinitionNode],
    fragments: Mapping[str, FragmentDefinitionNode],
    max_repeats: int,
    max_fragments: int,
) -> GraphQLError | None:
    """The refusal of the first place under ``roots`` (the operations, and the fragments
    spread nowhere: the rule compares those too) where more than ``max_fragments`` fragments
    are spread or a response name is selected more than ``max_repeats`` times, or None."""
    # (the root, the place's path of response names, the selection sets merged there)
    places = [(root, "", [root.selection_set]) for root in roots]
    while places:
        root, path, merged = places.pop()
        where = f"under {quoted(path)}" if path else _root_of(root)
        groups: dict[str, list[FieldNode]] = {}
        spread: dict[str, FragmentSpreadNode] = {}
        for field in _fields(merged, fragments, spread):
            name = (field.alias or field.name).value
            groups.setdefault(name, []).append(field)
        if len(spread) > max_fragments:
            return GraphQLError(
                f"{len(spread)} fragments are spread {where} (their own spreads and repeated"
                f" parent fields merged), more than the limit of {max_fragments}",
                list(spread.values())[:2],
                extensions={"code": FRAGMENTS_CODE},
            )
        for name, fields in groups.items():
            if len(fields) > max_repeats:
                return GraphQLError(
                    f"{quoted(name)} is selected {len(fields)} times {where} (fragments"
                    f" and repeated parent fields merged), more than the limit of {max_repeats}",
                    fields[:2],
                    extensions={"code": CODE},
                )
            inner = [field.selection_set for field in fields if field.selection_set is not None]
            if inner:
                places.append((root, f"{path}.{name}" if path else name, inner))
    return None


def _root_of(root: OperationDefinitionNode | FragmentDefinitionNode) -> str:
    if isinstance(root, FragmentDefinitionNode):
        return f"in fragment {quoted(root.name.value)}"
    return "at the root of the operation"


def _fields(
    merged: list[SelectionSetNode],
    fragments: Mapping[str, FragmentDefinitionNode],
    spread: dict[str, FragmentSpreadNode],
) -> Iterator[FieldNode]:
    """The fields of selection sets merged at one place, inline fragments and fragment
    spreads expanded (an unknown fragment is graphql-core's error: it holds nothing here);
    the fragments met are added to ``spread``, by name."""
    pending = list(merged)
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    spread.setdefault(fragment.name.value, selection)
                    pending.append(fragment.selection_set)
