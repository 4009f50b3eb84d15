"""How a query is answered, one of three ways. With ORGQL_GRAPHQL_COMPILED_EXECUTOR off:
graphql-core's executor. Else the compiled plan (plan, execute, values; executor is the
class given to strawberry), and with ORGQL_GRAPHQL_SQL_PLANS on too, a page of organizations
the SQL plans cover is read in one statement and composed without resolvers (sql_plans,
page_sql, page_compose). Mutations, subscriptions and introspection always run on
graphql-core."""
