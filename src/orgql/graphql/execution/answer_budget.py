"""The answer budget: what the document analysis cannot see, bounded while executing.

The cost (``graphql/analysis.py``) bounds an answer by the declared maximum of every list
(``graphql/list_bounds.py``), but data can outgrow a declared maximum: an organization with
more members than ``members`` declares is answered whole. So every object completed spends
its selected fields from the request's budget, the same number the cost is held to
(``ORGQL_GRAPHQL_MAX_COST``). Past it the operation stops with ``ANSWER_TOO_LARGE``: the
field being completed and its non-null ancestors answer null, as for any field error, and
no further object is built, instead of the event loop being held while an answer far larger
than anything the cost allowed is composed.

Both executors spend from it: graphql-core's (:class:`BudgetedExecutor`) and the compiled
plans' (``execution/execute.py``). SQL page plans compose their answer whole, lists such as
members and addresses included, and then count its fields as these would
(``sql_plans.answer_fields``): an answer past the budget is the compiled plan's, which stops
it with ``ANSWER_TOO_LARGE`` (reason ``answer_too_large``).
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, OperationType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from orgql.graphql import global_id_arguments
from orgql.graphql.execution import paths

#: The error's ``extensions.code``.
CODE = "ANSWER_TOO_LARGE"


class AnswerTooLarge(GraphQLError):
    """The answer outgrew the request's budget of fields."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"the answer would hold more than {limit} fields, the limit of one operation"
            " (ORGQL_GRAPHQL_MAX_COST): ask for fewer fields or smaller pages",
            extensions={"code": CODE, "limit": limit},
        )


class AnswerBudget:
    """The fields one operation's answer may still hold."""

    __slots__ = ("left", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit

    def spend(self, fields: int) -> None:
        """Account for an object of ``fields`` fields; AnswerTooLarge once past the limit
        (and for every object after that)."""
        self.left -= fields
        if self.left < 0:
            raise AnswerTooLarge(self.limit)


class BudgetedExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, every object it completes spending from the budget."""

    #: Fields of one operation's answer; build_schema sets it from the limits.
    answer_limit: int = 20_000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.answer_budget = AnswerBudget(self.answer_limit)

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        """graphql-core's, and an operation naming an object by the global id of another
        type refused before it runs, on every path (graphql.global_id_arguments)."""
        built = super().build(*args, **kwargs)
        if isinstance(built, list):
            return built
        return global_id_arguments.refusals(built) or built

    def execute_operation(self, serially: bool | None = None) -> Any:
        paths.note(paths.RESOLVERS, self.resolvers_reason())
        return super().execute_operation(serially)

    def resolvers_reason(self) -> str:
        """Why graphql-core's executor answers (paths.REASONS): here, because the compiled
        executor is off; the compiled executor says why it passed the operation on."""
        return operation_reason(self.operation.operation) or "compiled_executor_off"

    def execute_fields(
        self,
        parent_type: Any,
        source_value: Any,
        path: Any,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        self.answer_budget.spend(len(grouped_field_set))
        return super().execute_fields(
            parent_type, source_value, path, grouped_field_set, position_context
        )


def operation_reason(operation: OperationType) -> str | None:
    """The reason of an operation that never runs on a plan, by its kind."""
    if operation == OperationType.MUTATION:
        return "mutation"
    if operation == OperationType.SUBSCRIPTION:
        return "subscription"
    return None


def with_limit(executor: type[BudgetedExecutor], limit: int) -> type[BudgetedExecutor]:
    """``executor`` whose operations may answer at most ``limit`` fields."""
    return type(
        executor.__name__, (executor,), {"answer_limit": limit, "__module__": executor.__module__}
    )
