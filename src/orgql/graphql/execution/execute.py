"""Executing a plan: graphql-core's algorithm (same order of resolver calls, same awaiting,
same errors), without its per-field work.

graphql-core, for every field of every object, looks the field up, builds a resolve info,
coerces arguments, wraps the resolver in middleware and strawberry's wrapper (an ``Info``,
argument conversion, an extension chain) and walks ``complete_value``'s type tests. Here the
plan has done the lookups and type tests once per document; a plain field is one ``getattr``;
a resolver is called as strawberry would call it, with its arguments coerced and converted
once per request; scalars of the common types are kept as they are. Awaitables are gathered
per object and per list exactly where graphql-core gathers them, so DataLoader batches (and
the statement counts) are the same.
"""

from __future__ import annotations

from collections.abc import Awaitable
from functools import partial
from typing import Any

from graphql import GraphQLError, located_error
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, gather_with_cancel, is_iterable
from strawberry.types.arguments import convert_arguments
from strawberry.utils.await_maybe import await_maybe

from orgql.graphql.execution.plan import (
    ATTRIBUTE,
    DIRECT,
    GUARDED,
    LEAF,
    LIST,
    NON_NULL,
    OBJECT,
    RESOLVER,
    TYPENAME,
    Caller,
    Completion,
    FieldPlan,
)
from orgql.graphql.execution.values import (
    PLAIN,
    LazyResolveInfo,
    complete_leaf,
    is_awaitable,
    is_non_null,
)


class PlanRun:
    """One execution of a plan, on the executor (graphql-core's ``Executor``) that built the
    request: its variables, context, collected errors and resolve-info factory."""

    def __init__(self, executor: Any, strawberry_schema: Any) -> None:
        self.executor = executor
        self.is_awaitable = is_awaitable
        self.errors = executor.collected_errors
        self.budget = executor.answer_budget
        self.propagate = executor.error_propagation
        self.schema = strawberry_schema
        self.info_class = strawberry_schema.config.info_class
        # FieldPlan -> converted arguments (or the error coercing them): once per request.
        self.arguments: dict[FieldPlan, dict[str, Any] | Exception] = {}
        # GUARDED FieldPlan -> whether its context-only permissions allow it: once per request.
        self.permitted: dict[FieldPlan, bool] = {}

    # ------------------------------------------------------------ fields

    def execute_fields(
        self, fields: list[FieldPlan], source: Any, path: Path | None
    ) -> dict[str, Any] | Awaitable[dict[str, Any]]:
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        plain = PLAIN
        awaitable_fields: list[str] = []
        self.budget.spend(len(fields))
        try:
            for plan in fields:
                result = self.execute_field(plan, source, path)
                results[plan.name] = result
                if plan.may_await and type(result) not in plain and is_awaitable(result):
                    awaitable_fields.append(plan.name)
        except Exception:
            if awaitable_fields:
                self.executor.settle_in_background([results[name] for name in awaitable_fields])
            raise
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                name = awaitable_fields[0]
                results[name] = await results[name]
            else:
                awaited = await gather_with_cancel(*(results[name] for name in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

    def execute_field(self, plan: FieldPlan, source: Any, parent_path: Path | None) -> Any:
        completion = plan.completion
        read = plan.read
        if read in (ATTRIBUTE, DIRECT):
            # The commonest fields, read without a path or a try block of their own: an
            # attribute or a plain sync resolver, of a scalar (ids, names) kept as it is when
            # of its leaf's own Python type.
            try:
                if read == DIRECT:
                    result = plan.function(source)
                else:
                    result = getattr(source, plan.attribute)
            except Exception as raw_error:
                path = Path(parent_path, plan.name, plan.parent_type.name)
                self.field_error(raw_error, plan, plan.return_type, path)
                return None
            if type(result) is plan.identity or (result is None and plan.nullable_leaf):
                return result
        path = Path(parent_path, plan.name, plan.parent_type.name)
        try:
            if read == TYPENAME:
                result = plan.parent_type.name
            elif read == GUARDED:
                result = self.guarded(plan, source, path)
            elif read == RESOLVER:
                result = self.call(plan, source, path)
            if read >= DIRECT and is_awaitable(result):
                return self.complete_awaitable(plan, completion, result, path)
            completed = self.complete(plan, completion, result, path)
            if plan.composite and is_awaitable(completed):
                return self.await_completed(plan, completed, path)
        except Exception as raw_error:
            self.field_error(raw_error, plan, plan.return_type, path)
            return None
        return completed

    async def await_completed(self, plan: FieldPlan, completed: Awaitable[Any], path: Path) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.field_error(raw_error, plan, plan.return_type, path)
            return None

    async def complete_awaitable(
        self, plan: FieldPlan, completion: Completion, result: Awaitable[Any], path: Path
    ) -> Any:
        try:
            resolved = await result
            completed = self.complete(plan, completion, resolved, path)
            if plan.composite and is_awaitable(completed):
                completed = await completed
        except Exception as raw_error:
            self.field_error(raw_error, plan, plan.return_type, path)
            completed = None
        return completed

    def field_error(self, raw_error: Exception, plan: FieldPlan, type_: Any, path: Path) -> None:
        """graphql-core's ``handle_field_error``: a non-null position passes the error up to
        the nearest nullable one, which becomes null and keeps the error."""
        error = located_error(raw_error, plan.nodes, path.as_list())
        if self.propagate and type_ is not None and is_non_null(type_):
            raise error
        self.errors.add(error, path)

    # ------------------------------------------------------------ resolvers

    def guarded(self, plan: FieldPlan, source: Any, path: Path) -> Any:
        """A plain resolver behind context-only permissions: asked once per request and
        field; refused, strawberry's own chain raises the refusal (message and code)."""
        allowed = self.permitted.get(plan)
        if allowed is None:
            caller = plan.caller
            assert caller is not None
            assert plan.permissions is not None
            info = self.info_class(
                _raw_info=LazyResolveInfo(self.executor, plan, path), _field=caller.field
            )
            allowed = all(
                permission.has_permission(source, info) is True for permission in plan.permissions
            )
            self.permitted[plan] = allowed
        if allowed:
            return plan.function(source)
        return self.call(plan, source, path)

    def call(self, plan: FieldPlan, source: Any, path: Path) -> Any:
        """The resolver, called as strawberry's (sync or async) resolver wrapper calls it."""
        caller = plan.caller
        assert caller is not None
        raw_info = LazyResolveInfo(self.executor, plan, path)
        if caller.is_async:
            return self._call_async(plan, caller, source, raw_info)
        return self._call(plan, caller, source, raw_info)

    async def _call_async(self, plan: FieldPlan, caller: Caller, source: Any, raw: Any) -> Any:
        return await await_maybe(self._call(plan, caller, source, raw))

    def _call(self, plan: FieldPlan, caller: Caller, source: Any, raw_info: Any) -> Any:
        info = self.info_class(_raw_info=raw_info, _field=caller.field)
        kwargs = dict(self.converted(plan, info)) if plan.has_arguments else {}
        if caller.parent_name is not None:
            kwargs[caller.parent_name] = source
        if caller.root_name is not None:
            kwargs[caller.root_name] = source
        if not caller.extension_functions:
            if caller.info_name is not None:
                kwargs[caller.info_name] = info
            return self._result(caller, source, kwargs)
        # strawberry passes ``info`` to the extensions separately (only when so named).
        requested_info = caller.info_name == "info"
        if caller.info_name is not None and not requested_info:
            kwargs[caller.info_name] = info

        def get_result(_source: Any, info: Any, **kw: Any) -> Any:
            if requested_info:
                kw["info"] = info
            return self._result(caller, source, kw)

        chained: Any = get_result
        for function in caller.extension_functions:
            chained = partial(function, chained)
        return chained(source, info, **kwargs)

    @staticmethod
    def _result(caller: Caller, source: Any, kwargs: dict[str, Any]) -> Any:
        if caller.function is None:
            return getattr(source, caller.field.python_name)
        if caller.takes_self:
            return caller.function(source, **kwargs)
        return caller.function(**kwargs)

    def converted(self, plan: FieldPlan, info: Any) -> dict[str, Any]:
        found = self.arguments.get(plan)
        if found is None:
            executor = self.executor
            try:
                coerced = get_argument_values(
                    plan.definition,
                    plan.nodes[0],
                    executor.variable_values,
                    None,
                    executor.hide_suggestions,
                )
                caller = plan.caller
                assert caller is not None
                found = convert_arguments(
                    coerced,
                    caller.field.arguments,
                    scalar_registry=self.schema.schema_converter.scalar_registry,
                    config=self.schema.config,
                    info=info,
                )
                for extension in caller.field.extensions:
                    found = extension.map_arguments(found)
            except Exception as error:  # raised again for every call, as graphql-core does
                found = error
            self.arguments[plan] = found
        if isinstance(found, Exception):
            raise found
        return found

    # ------------------------------------------------------------ completion

    def complete(self, plan: FieldPlan, completion: Completion, result: Any, path: Path) -> Any:
        if isinstance(result, Exception):
            raise result
        kind = completion.kind
        if kind == NON_NULL:
            inner = completion.inner
            assert inner is not None
            completed = self.complete(plan, inner, result, path)
            if completed is None:
                raise TypeError(
                    "Cannot return null for non-nullable field"
                    f" {plan.parent_type}.{plan.nodes[0].name.value}."
                )
            return completed
        if result is None:
            return None
        if kind == LEAF:
            if type(result) is completion.identity:
                return result
            return complete_leaf(completion.leaf, result)
        if kind == OBJECT:
            assert completion.fields is not None
            return self.execute_fields(completion.fields, result, path)
        if kind == LIST:
            return self.complete_list(plan, completion, result, path)
        raise TypeError(f"unexpected completion {kind}")  # pragma: no cover

    def complete_list(
        self, plan: FieldPlan, completion: Completion, result: Any, path: Path
    ) -> Any:
        if not is_iterable(result):
            raise GraphQLError(
                "Expected Iterable, but did not find one for field"
                f" '{plan.parent_type}.{plan.nodes[0].name.value}'."
            )
        item = completion.inner
        assert item is not None
        is_awaitable = self.is_awaitable
        completed_results: list[Any] = []
        awaitable_indices: list[int] = []
        for index, value in enumerate(result):
            item_path = path.add_key(index, None)
            if is_awaitable(value):
                completed_results.append(self.complete_awaitable_item(plan, item, value, item_path))
                awaitable_indices.append(index)
                continue
            try:
                completed = self.complete(plan, item, value, item_path)
                if completed is not None and is_awaitable(completed):
                    completed_results.append(self.await_item(plan, item, completed, item_path))
                    awaitable_indices.append(index)
                    continue
            except Exception as raw_error:
                self.item_error(raw_error, plan, item, item_path)
                completed = None
            completed_results.append(completed)
        if not awaitable_indices:
            return completed_results

        async def get_completed_results() -> list[Any]:
            if len(awaitable_indices) == 1:
                index = awaitable_indices[0]
                completed_results[index] = await completed_results[index]
            else:
                awaited = await gather_with_cancel(
                    *(completed_results[index] for index in awaitable_indices)
                )
                for index, value in zip(awaitable_indices, awaited, strict=True):
                    completed_results[index] = value
            return completed_results

        return get_completed_results()

    def item_error(
        self, raw_error: Exception, plan: FieldPlan, item: Completion, path: Path
    ) -> None:
        error = located_error(raw_error, plan.nodes, path.as_list())
        if self.propagate and item.kind == NON_NULL:
            raise error
        self.errors.add(error, path)

    async def await_item(
        self, plan: FieldPlan, item: Completion, completed: Awaitable[Any], path: Path
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.item_error(raw_error, plan, item, path)
            return None

    async def complete_awaitable_item(
        self, plan: FieldPlan, item: Completion, value: Awaitable[Any], path: Path
    ) -> Any:
        try:
            resolved = await value
            completed = self.complete(plan, item, resolved, path)
            if completed is not None and self.is_awaitable(completed):
                completed = await completed
        except Exception as raw_error:
            self.item_error(raw_error, plan, item, path)
            return None
        return completed
