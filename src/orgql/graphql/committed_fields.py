"""Which mutation fields of an operation committed their change: the fields of a mutation
run one after the other, each in a transaction of its own (graphql.context.unit_of_work),
and a field's payload is read after its commit. When the database fails that read, the
field's error must say that the change was made (``extensions.committed``: graphql.errors),
else the caller, told to send the failed fields again, would make it twice
(docs/graphql.md, "Several mutation fields")."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.extensions import FieldExtension
from strawberry.types import Info


class NoteCommittedField(FieldExtension):
    """On each mutation field: its response key is remembered in the context's
    ``committed_fields`` when a unit of work committed while it resolved (even if it
    raised afterwards)."""

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        context = info.context
        before = context.commits
        try:
            return await next_(source, info, **kwargs)
        finally:
            if context.commits != before:
                context.committed_fields.add(info.path.key)


def note_committed_fields(mutation: type) -> None:
    """Put :class:`NoteCommittedField` on every field of the ``mutation`` type (once)."""
    definition = mutation.__strawberry_definition__  # type: ignore[attr-defined]
    for field in definition.fields:
        if not any(isinstance(e, NoteCommittedField) for e in field.extensions):
            field.extensions.append(NoteCommittedField())


def committed_field(context: object, path: list[str | int] | None) -> bool:
    """Whether an error at ``path`` is at or below a mutation field that committed."""
    committed: set[str] | None = getattr(context, "committed_fields", None)
    return bool(committed and path and path[0] in committed)
