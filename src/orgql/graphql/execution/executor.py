"""The executor class given to strawberry: compiled plans for queries, graphql-core for the
rest (mutations, subscriptions, introspection, anything a plan does not cover).

Parsing, validation (with the limits' rules), variable coercion and the choice of operation
stay graphql-core's: this class is built by graphql-core's ``Executor.build`` after all of
them and only replaces ``execute_operation``. The schema extensions (closing the session,
masking unexpected errors, observation) and the request's timeout wrap it as they wrap
graphql-core's. Which path answers when: the package's docstring.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, NamedTuple, cast

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
)
from graphql.execution.values import VariableValues, get_variable_values
from graphql.pyutils import Path

from orgql.graphql import global_id_arguments
from orgql.graphql.execution import paths
from orgql.graphql.execution.answer_budget import BudgetedExecutor, operation_reason
from orgql.graphql.execution.execute import PlanRun
from orgql.graphql.execution.plan import FieldPlan, Plan, compile_operation, directive_variables
from orgql.graphql.execution.sql_plans import SqlPlan, sql_plan

#: Distinct (document, operation) pairs kept; each holds its plans by directive values.
MAX_DOCUMENTS = 256
MAX_PLANS_PER_DOCUMENT = 16
#: Parameters kept per request body (known_sql_read): one per plan, site header and URL.
MAX_KEPT_PARAMETERS = 8


class _Document:
    __slots__ = (
        "alias",
        "answered",
        "directive_variables",
        "fragments",
        "key",
        "node",
        "operation",
        "plans",
    )

    def __init__(self, key: tuple[Any, str, str | None], executor: CompiledExecutor) -> None:
        #: Its key in the cache (under the operation's name), and its key under no name
        #: when the document has one operation (a request may name it or not).
        self.key = key
        self.alias = (
            (*key[:2], None)
            if key[2] is not None and _single_operation(executor.document)
            else None
        )
        #: The parsed document (validated: an operation is planned only after validation),
        #: and what graphql-core's executor built of it: the operation and the fragments.
        self.node = executor.document
        self.operation: OperationDefinitionNode = executor.operation
        self.fragments: dict[str, Any] = executor.fragments
        self.directive_variables = directive_variables(executor.operation, executor.fragments)
        self.plans: dict[tuple[Any, ...], Plan | None] = {}
        #: A SQL plan has answered this operation: later requests may be answered directly
        #: (graphql.execution.direct).
        self.answered = False

    def directive_values(self, variables: VariableValues) -> tuple[Any, ...]:
        """The key of the plan of these variables (the values deciding its directives)."""
        coerced = variables.coerced
        return tuple(coerced.get(variable) for variable in self.directive_variables)


_cache: OrderedDict[tuple[Any, str, str | None], _Document] = OrderedDict()


def clear_cache() -> None:
    _cache.clear()


def cached_plans() -> list[Plan | None]:
    """Every plan cached, once each (a document of one operation is cached under its
    name and under none, the same entry)."""
    documents = {id(document): document for document in _cache.values()}
    return [plan for document in documents.values() for plan in document.plans.values()]


def answered_by_sql_plan(
    schema: GraphQLSchema, query: str, operation_name: str | None
) -> _Document | None:
    """The cache entry of ``query`` when a SQL plan of ``schema`` has answered its
    operation ``operation_name`` (so the document is known valid), else None."""
    document = _cache.get((schema, query, operation_name))
    if document is None or not document.answered:
        return None
    return document


class SqlRequest(NamedTuple):
    """What a SQL plan's checks (SqlPlan.parameters) and the global id check
    (global_id_arguments.refusals) read of an executor, for a document a SQL plan answered,
    asked again: ``sql_read_variables`` checks the global ids with no context (they read
    none), ``known_sql_read`` the plan's parameters with the request's."""

    schema: GraphQLSchema
    operation: OperationDefinitionNode
    fragments: dict[str, Any]
    variable_values: VariableValues
    context_value: Any
    hide_suggestions: bool
    #: The arguments of fields holding variables, by field, kept for the body whose variables
    #: these are (graphql.execution.direct): SqlPlan._arguments' memo. None: none kept.
    known_arguments: dict[FieldPlan, dict[str, Any]] | None = None


def sql_read_variables(
    document: _Document,
    schema: GraphQLSchema,
    raw_variable_values: dict[str, Any] | None,
    hide_suggestions: bool,
) -> VariableValues | None:
    """The variables of a request of ``document`` (``answered_by_sql_plan``) coerced, as
    graphql-core's ``Executor.build`` coerces them, with no ID argument holding the global
    id of another type (global_id_arguments); None: the full pipeline answers (and reports)
    them. Of the document and the raw values alone, neither the caller nor the database:
    the direct path keeps them for the body they came in."""
    operation = document.operation
    variables = get_variable_values(
        schema,
        operation.variable_definitions or (),
        raw_variable_values or {},
        max_errors=50,  # Executor.build's
        hide_suggestions=hide_suggestions,
    )
    if isinstance(variables, list):  # errors: the pipeline answers them
        return None
    checked = SqlRequest(schema, operation, document.fragments, variables, None, hide_suggestions)
    if global_id_arguments.refusals(checked):
        return None
    return variables


def known_sql_read(
    document: _Document,
    schema: GraphQLSchema,
    context: Any,
    variables: VariableValues,
    hide_suggestions: bool,
    known_arguments: dict[FieldPlan, dict[str, Any]] | None = None,
    kept: dict[tuple[Any, ...], tuple[Plan, tuple[SqlPlan, dict[str, Any]]]] | None = None,
) -> tuple[SqlPlan, dict[str, Any]] | None:
    """The SQL plan answering ``document`` (``answered_by_sql_plan``) at this request with
    ``variables`` (``sql_read_variables``) and its parameters, or None: the full pipeline
    answers (and reports) it. Nothing is read.

    What graphql-core's ``Executor.build`` and the plans' lookup (``CompiledExecutor._plan``)
    decide of the document alone (the operation, its fragments, the schema valid, no
    fragment variable refused, no middleware) was decided when it was first answered; what
    depends on the request is done again, as they do it: the plan of these directive values,
    the SQL plan's checks of the caller and the arguments (``known_arguments``: those of
    fields with variables, as coerced for these variables before, else None). No executor is
    built (its construction was 0.04 ms, a twentieth of a request for one organization,
    issue 16).

    ``kept``: the parameters made before for these variables (the direct path's, for one
    request body), by plan and what else they read of the request (SqlPlan.request_key):
    an admin's are the same for every request of that body, site header and URL, and are
    not made again (a thirtieth of issue 16's read of one organization). The parameters
    are read-only."""
    _used(document)
    plan = document.plans.get(document.directive_values(variables))
    if plan is None:  # not planned with these directive values yet, or without a plan
        return None
    key = None
    if kept is not None and plan.sql is not None:
        request_key = plan.sql.request_key(context)
        key = None if request_key is None else (id(plan), *request_key)
        if key is not None and (entry := kept.get(key)) is not None and entry[0] is plan:
            return entry[1]
    request = SqlRequest(
        schema,
        document.operation,
        document.fragments,
        variables,
        context,
        hide_suggestions,
        known_arguments,
    )
    try:
        found = _sql_of(plan, request)
    except GraphQLError:  # an argument refused as the operation runs: the pipeline's error
        return None
    if isinstance(found, str):
        return None
    if key is not None and kept is not None:
        if len(kept) >= MAX_KEPT_PARAMETERS:
            kept.clear()
        kept[key] = (plan, found)
    return found


class CompiledExecutor(BudgetedExecutor):
    #: Pages read in one statement and composed whole (graphql.execution.sql_plans;
    #: ORGQL_GRAPHQL_SQL_PLANS).
    sql_plans = False
    #: Why graphql-core's executor answers (paths.REASONS), when it does.
    _resolvers_reason = "executor_options"
    #: The plans' cache entry of this request's operation (``_plan``).
    _document: _Document | None = None

    #: The parsed document (``build``): the key of the plans' cache entry.
    document: DocumentNode | None = None
    #: SqlRequest's memo of arguments (the direct path's): none for an operation run here.
    known_arguments: dict[FieldPlan, dict[str, Any]] | None = None

    @classmethod
    def build(cls, schema: Any, document: Any, *args: Any, **kwargs: Any) -> Any:
        built = super().build(schema, document, *args, **kwargs)
        if isinstance(built, CompiledExecutor):
            built.document = document
        return built

    def execute_operation(self, serially: bool | None = None) -> Any:
        plan = self._plan() if serially is None else None
        if plan is None:
            return super().execute_operation(serially)  # tells paths why
        if not self.sql_plans:
            paths.note(paths.COMPILED, "sql_plans_off")
            return self._execute_plan(plan)
        found = self._sql_read(plan)
        if isinstance(found, str):
            paths.note(paths.COMPILED, found)
            return self._execute_plan(plan)
        return self._execute_sql(plan, *found)

    def _sql_read(self, plan: Plan) -> tuple[SqlPlan, dict[str, Any]] | str:
        """``plan``'s SQL plan and its parameters for this request, or why the compiled plan
        answers instead (paths.REASONS)."""
        declined = getattr(self.context_value, "sql_plan_declined", None)
        if declined is not None:  # ran and declined already (graphql.execution.direct)
            return cast(str, declined)
        return _sql_of(plan, self)

    def resolvers_reason(self) -> str:
        return self._resolvers_reason

    async def _execute_sql(self, plan: Plan, sql: SqlPlan, parameters: dict[str, Any]) -> Any:
        try:
            answer = await sql.run(self.context_value, parameters, self.answer_budget.left)
        except Exception as error:  # no connection to be had (SqlPlan.run): no fallback
            paths.note(paths.SQL_PLAN)
            return self._root_failed(sql.root, error)
        if not isinstance(answer, str):
            paths.note(paths.SQL_PLAN)
            if self._document is not None:
                self._document.answered = True
            return self.build_response(answer.data)
        paths.note(paths.COMPILED, answer)
        result = self._execute_plan(plan)
        return await result if self.is_awaitable(result) else result

    def _root_failed(self, root: FieldPlan, error: Exception) -> Any:
        """The compiled plan's answer when the resolver of ``root``, the one root field,
        raises ``error``: the field null (the data, when the field is non-null), the error
        kept for the masking to log and the observation to see (a 503 then)."""
        run = PlanRun(self, self.schema._strawberry_schema)  # type: ignore[attr-defined]
        path = Path(None, root.name, root.parent_type.name)
        try:
            run.field_error(error, root, root.return_type, path)
        except GraphQLError as located:
            self.collected_errors.add(located, None)
            return self.build_response(None)
        return self.build_response({root.name: None})

    def _execute_plan(self, plan: Plan) -> Any:
        run = PlanRun(self, self.schema._strawberry_schema)  # type: ignore[attr-defined]
        try:
            result = run.execute_fields(plan.root, self.root_value, None)
            if self.is_awaitable(result):

                async def await_result() -> Any:
                    try:
                        data = await result
                    except GraphQLError as error:
                        self.collected_errors.add(error, None)
                        return self.build_response(None)
                    return self.build_response(data)

                return await_result()
        except GraphQLError as error:
            self.collected_errors.add(error, None)
            return self.build_response(None)
        return self.build_response(cast(dict[str, Any], result))

    def _plan(self) -> Plan | None:
        operation = self.operation
        kind = operation_reason(operation.operation)
        if kind is not None:
            self._resolvers_reason = kind
            return None
        if (
            (self.middleware_manager is not None and self.middleware_manager.middlewares)
            or self.abort_signal is not None
            or not self.error_propagation
        ):
            return None
        self._resolvers_reason = "not_compilable"
        location = self.operation.loc
        if location is None:
            return None
        name = operation.name.value if operation.name else None
        # The schema too: apps with different limits have schemas of their own, and a plan
        # holds its schema's field definitions.
        key = (self.schema, location.source.body, name)
        document = _cache.get(key)
        if document is None:
            document = _cache[key] = _Document(key, self)
        if document.alias is not None:  # a request may name its operation or not
            _cache[document.alias] = document
        _used(document)
        while len(_cache) > MAX_DOCUMENTS:
            _cache.popitem(last=False)
        self._document = document
        values = document.directive_values(self.variable_values)
        try:
            return document.plans[values]
        except KeyError:
            pass
        try:
            plan = compile_operation(
                self.schema, self.fragments, self.variable_values, operation, self.hide_suggestions
            )
        except Exception:  # whatever fails to plan fails the same way in graphql-core's hands
            plan = None
        if len(document.plans) >= MAX_PLANS_PER_DOCUMENT:
            document.plans.clear()
        document.plans[values] = plan
        return plan


def _sql_of(plan: Plan, request: Any) -> tuple[SqlPlan, dict[str, Any]] | str:
    """``plan``'s SQL plan (translated when first asked) and its parameters for
    ``request`` (an executor, or a SqlRequest), or why the compiled plan answers instead
    (paths.REASONS)."""
    if not plan.sql_compiled:
        found = sql_plan(plan)
        if isinstance(found, SqlPlan):
            plan.sql = found
        else:
            plan.sql_reason = found
        plan.sql_compiled = True
    if plan.sql is None:
        assert plan.sql_reason is not None
        return plan.sql_reason
    parameters = plan.sql.parameters(request)
    if isinstance(parameters, str):
        return parameters
    return plan.sql, parameters


def _used(document: _Document) -> None:
    """``document`` used: the last forgotten under both its keys (a request naming no
    operation finds it under the one, and the plans' lookup under the other: each would
    otherwise age while the other is used). A key already forgotten stays so."""
    for key in (document.key, document.alias):
        if key is not None and _cache.get(key) is document:
            _cache.move_to_end(key)


def _single_operation(document: DocumentNode | None) -> bool:
    return document is not None and (
        sum(isinstance(d, OperationDefinitionNode) for d in document.definitions) == 1
    )


class SqlPlanExecutor(CompiledExecutor):
    """The compiled executor with SQL plans for the pages they cover."""

    sql_plans = True
