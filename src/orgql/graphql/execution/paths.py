"""Which execution path answered an operation, and why not a faster one: told to the
request's observation (``observability.database.Observation``), which the access log line
(``path``, ``fallback_reason``) and the request metrics (labels of ``orgql_requests``) show.

The paths, fastest first (the package's docstring says which answers when):

- ``sql_plan``: the SQL plan (one statement, two with a count), composed without resolvers;
- ``compiled``: the compiled plan, calling the resolvers;
- ``resolvers``: graphql-core's executor.

A reason is one of :data:`REASONS`, a fixed vocabulary (it is a metrics label): never a
field name, a value or anything else the caller wrote.
"""

from __future__ import annotations

from orgql.observability.database import current_observation

SQL_PLAN, COMPILED, RESOLVERS = "sql_plan", "compiled", "resolvers"

#: Why an operation did not run on the SQL plan path.
REASONS = frozenset(
    {
        # graphql-core's executor answered
        "mutation",  # mutations run on graphql-core's executor, serially
        "subscription",
        "executor_options",  # middleware, an abort signal or error propagation off
        "not_compilable",  # introspection, abstract types, @defer, fragment variables
        "compiled_executor_off",  # ORGQL_GRAPHQL_COMPILED_EXECUTOR=false
        # the compiled plan answered
        "sql_plans_off",  # ORGQL_GRAPHQL_SQL_PLANS=false
        "root_fields",  # not one root field a SQL plan reads
        "selection",  # a field or argument the SQL plans do not translate
        "caller",  # a caller the SQL plans do not answer (anonymous; a shopper's children)
        "breadcrumbs",  # a shopper asking their accounts' ancestors for more than id and name
        "arguments",  # a page size or cursor the resolvers refuse: they answer the error
        "unknown_site",  # a site named that does not exist: the resolvers answer the error
        "statement_failed",  # the statement failed: the resolvers answer or report it
        "answer_too_large",  # past the answer budget: the resolvers answer ANSWER_TOO_LARGE
    }
)


def note(path: str, reason: str | None = None) -> None:
    """Tell the request's observation (when there is one) which path answered and why."""
    assert reason is None or reason in REASONS, reason
    observation = current_observation.get()
    if observation is not None:
        observation.execution_path = path
        observation.fallback_reason = reason
