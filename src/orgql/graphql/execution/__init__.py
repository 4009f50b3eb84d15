"""How an operation is executed: by one of three paths, chosen per request.

Parsing, validation (with the limits' rules), variable coercion and the choice of operation
are graphql-core's on every path; the schema extensions (closing the session, masking
unexpected errors, observation) and the request's timeout (``graphql/asgi.py``) wrap every
path alike. Only the execution of the validated operation differs. ``build_schema``
(``graphql/schema.py``) gives strawberry one executor class from two settings:

- ORGQL_GRAPHQL_COMPILED_EXECUTOR off: :class:`answer_budget.BudgetedExecutor`, graphql-core's
  executor, for everything (ORGQL_GRAPHQL_SQL_PLANS then changes nothing).
- on, ORGQL_GRAPHQL_SQL_PLANS off: :class:`executor.CompiledExecutor`.
- both on (the default): :class:`executor.SqlPlanExecutor`.

The compiled executor answers in the first of these that applies:

1. **graphql-core** (``BudgetedExecutor``): a mutation or a subscription; a query run with
   middleware, an abort signal or error propagation off; or a query no plan can express
   (``plan.compile_operation`` returns None: introspection, abstract types, ``@defer``,
   fragment variables, among others).
2. **SQL page plan** (``sql_plans``, ``sql_nodes``, ``page_sql``, ``page_compose``,
   ``page_rows``, ``page_links``, ``page_sites``, ``page_filters``; SqlPlanExecutor only):
   the query's only root field is ``organizations`` (its ``filter`` without ``effective``)
   or ``organization(id)`` without ``asOf`` (a page of that one id, its node the answer), its
   selection stays within what ``sql_nodes`` translates (columns, derived values, the
   hierarchy, values and contracts on sites, addresses, roles, members, children and
   descendants pages), and at this request the caller is an admin, or a shopper whose
   selection asks the ancestors only for id and name and no children (the page narrowed to
   their memberships in the statement), the page sizes and cursors are ones the resolvers
   accept, every site named exists and the statement succeeds. The page is read in one
   statement (two with the page's ``totalCount``) and its answer composed without resolvers.
3. **compiled plan** (``plan``, ``execute``, ``values``): every other query, and any request a
   SQL page plan declined at run time (an anonymous caller, a bad cursor or page size, an
   unknown site, a failed statement or its lost connection, though not a database found
   unavailable: answered 503 without a second wait on the pool): the plan, compiled once
   per document and directive values, calls the same resolvers in graphql-core's order, so
   it answers (or refuses) as graphql-core would.

Which path answered, and why not a faster one when it fell back, is told to the request's
observation (``paths``): the access log line's ``execution_path`` and ``fallback_reason``,
and the ``path`` and ``fallback_reason`` labels of ``orgql_requests``.

The answer budget (``answer_budget``: at most ORGQL_GRAPHQL_MAX_COST fields per answer,
``ANSWER_TOO_LARGE`` past it) is spent by paths 1 and 3, per object completed. Path 2 counts
the fields of the answer it composed (lists the core does not bound, addresses, members and
sites, may outgrow the cost's declared maxima: graphql.list_bounds) and leaves an answer
past the budget to path 3, which refuses it as the resolvers do.
"""
