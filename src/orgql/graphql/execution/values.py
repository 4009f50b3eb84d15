"""Small pieces of plan execution: the resolve info handed to resolvers, the awaitable test
and the completion of leaves the fast paths do not keep as they are."""

from __future__ import annotations

from types import CoroutineType, GeneratorType
from typing import Any

from graphql import GraphQLNonNull
from graphql.execution.executor import Executor
from graphql.pyutils import Path
from strawberry.execution.is_awaitable import optimized_is_awaitable

from orgql.graphql.execution.plan import FieldPlan


class LazyResolveInfo:
    """The resolve info of one call: ``context`` and ``path`` at hand (all our resolvers
    read), anything else from the executor's full resolve info, built when first asked."""

    __slots__ = ("_executor", "_full", "_plan", "context", "path")

    def __init__(self, executor: Any, plan: FieldPlan, path: Path) -> None:
        self._executor = executor
        self._plan = plan
        self._full: Any = None
        self.context = executor.context_value
        self.path = path

    def __getattr__(self, name: str) -> Any:
        if self._full is None:
            plan = self._plan
            self._full = self._executor.build_resolve_info(
                plan.definition, plan.nodes, plan.parent_type, self.path
            )
        return getattr(self._full, name)


# Types whose instances are never awaitable (no ``__await__``): most results are of a few
# types (str, dict, list, the strawberry types), so the test is one set lookup.
PLAIN: set[type] = set()


def is_awaitable(value: Any) -> bool:
    """``optimized_is_awaitable`` (what strawberry gives graphql-core), memoised by type."""
    type_ = type(value)
    if type_ in PLAIN:
        return False
    if type_ is CoroutineType:
        return True
    if optimized_is_awaitable(value):
        return True
    if not hasattr(type_, "__await__") and type_ is not GeneratorType:
        PLAIN.add(type_)
    return False


def is_non_null(type_: Any) -> bool:
    return isinstance(type_, GraphQLNonNull)


def complete_leaf(leaf: Any, result: Any) -> Any:
    """graphql-core's own completion of a scalar or enum (its errors included)."""
    return Executor.complete_leaf_value(leaf, result)
