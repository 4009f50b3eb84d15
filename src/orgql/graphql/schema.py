"""The GraphQL schema: each domain contributes its queries and mutations."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLObjectType
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext, StreamExecutionResult

from orgql.graphql.addresses.operations import AddressMutations
from orgql.graphql.addresses.profile_operations import ProfileAddressMutations
from orgql.graphql.committed_fields import note_committed_fields
from orgql.graphql.context import RouteReads
from orgql.graphql.errors import MaskUnexpectedErrors
from orgql.graphql.events.operations import WebhookMutations, WebhookQueries
from orgql.graphql.events.subscriptions import LiveSubscriptions
from orgql.graphql.execution.answer_budget import BudgetedExecutor, with_limit
from orgql.graphql.execution.executor import CompiledExecutor, SqlPlanExecutor
from orgql.graphql.financial.operations import FinancialMutations
from orgql.graphql.global_ids import ID_SCALAR, Node
from orgql.graphql.limits import Limits, limit_extensions
from orgql.graphql.node import NodeQueries
from orgql.graphql.organizations.lookups import OrganizationLookupQueries
from orgql.graphql.organizations.operations import OrganizationMutations, OrganizationQueries
from orgql.graphql.organizations.updates import OrganizationUpdateMutations
from orgql.graphql.people.mutations import PeopleMutations
from orgql.graphql.people.operations import PeopleQueries
from orgql.graphql.requests.operations import (
    OrganizationRequestMutations,
    OrganizationRequestQueries,
    OrganizationRequestStoreMutations,
)
from orgql.graphql.sites.operations import SitePropertiesMutations
from orgql.graphql.viewer.operations import ViewerQueries
from orgql.graphql.websocket import SubscriptionsOverWebSocket
from orgql.observability.graphql import ObserveOperation
from orgql.settings import Settings

Query = merge_types(
    "Query",
    (
        OrganizationQueries,
        OrganizationLookupQueries,
        PeopleQueries,
        OrganizationRequestQueries,
        ViewerQueries,
        WebhookQueries,
        NodeQueries,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        OrganizationMutations,
        OrganizationUpdateMutations,
        AddressMutations,
        ProfileAddressMutations,
        SitePropertiesMutations,
        PeopleMutations,
        OrganizationRequestStoreMutations,
        OrganizationRequestMutations,
        FinancialMutations,
        WebhookMutations,
    ),
)
note_committed_fields(Mutation)  # an error below a committed field says so (graphql.errors)


class CloseSession(SchemaExtension):
    """Releases the request's session (and its connection) when the operation ends, and a
    streamed operation's (WebSocket) before each of its results is sent."""

    async def on_operation(self) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await self.execution_context.context.close()

    async def on_stream_result(self, result: StreamExecutionResult) -> AsyncIterator[None]:
        """strawberry sends a streamed result from within the operation: a client that does
        not read would keep the send waiting, and the session's connection with it (each
        WebSocket operation has a session of its own: a few large queries held the whole
        pool). The result is whole; the next one (a subscription's next event) reads
        afresh."""
        await self.execution_context.context.close()
        yield


# Classes and factories: strawberry builds the extensions anew for each request. A shared
# instance holds the execution context of whichever request started last, so a request
# ending while another runs had its errors left unmasked. (The parser cache lives at module
# level, keyed by maxsize, so new instances share it; validation is cached by limits.py.)
_EXTENSIONS: list[Any] = [
    CloseSession,
    RouteReads,  # read replicas: a mutation reads the primary (docs/scaling.md)
    SubscriptionsOverWebSocket,
    MaskUnexpectedErrors,
    ObserveOperation,  # after the masking: it sees the errors before they are masked
    lambda: ParserCache(maxsize=256),
]


class Schema(strawberry.Schema):
    """strawberry's schema without its error log: strawberry logs every error of every
    answer with its traceback, as plain text, including those the caller caused (an unknown
    site, a bad cursor), once per field. Unexpected errors are logged by
    MaskUnexpectedErrors, in the JSON log, under the reference the caller gets; an error
    the caller caused is answered, not logged."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        return None

    def _get_custom_context_kwargs(
        self, operation_extensions: dict[str, Any] | None = None, *, sync: bool = False
    ) -> dict[str, Any]:
        # Suggestions off (production) also in the errors of execution: variable and
        # argument coercion ("Did you mean 'REVIEW'?"), which strawberry does not pass on.
        kwargs = super()._get_custom_context_kwargs(operation_extensions, sync=sync)
        kwargs["hide_suggestions"] = self.config.disable_field_suggestions
        return kwargs


@functools.cache
def build_schema(
    limits: Limits, compiled: bool = True, sql_plans: bool = True
) -> strawberry.Schema:
    """The schema with ``limits`` enforced (one per distinct limits, shared by apps);
    ``compiled``: queries run on compiled plans (ORGQL_GRAPHQL_COMPILED_EXECUTOR);
    ``sql_plans``: with ``compiled``, pages read in one statement (ORGQL_GRAPHQL_SQL_PLANS)."""
    executor = (
        (SqlPlanExecutor if sql_plans else CompiledExecutor) if compiled else BudgetedExecutor
    )
    schema = Schema(
        query=Query,
        mutation=Mutation,
        subscription=LiveSubscriptions,
        scalar_overrides={strawberry.ID: ID_SCALAR},
        extensions=[*limit_extensions(limits), *_EXTENSIONS],
        execution_context_class=with_limit(executor, limits.max_cost),
        config=StrawberryConfig(
            disable_field_suggestions=not limits.field_suggestions,
            batching_config={"max_operations": limits.max_batch},
        ),
    )
    _resolve_nodes_by_class(schema)
    return schema


def app_schema(settings: Settings) -> strawberry.Schema:
    """The schema an app serves under ``settings`` (graphql.asgi.graphql_app): their limits
    and executors. ``orgql serve`` checks a trusted-documents manifest against this one
    before it starts (cli_serve), so the check judges by the limits the app will."""
    limits = Limits.from_settings(settings)
    return build_schema(limits, settings.graphql_compiled_executor, settings.graphql_sql_plans)


def _resolve_nodes_by_class(schema: strawberry.Schema) -> None:
    """Node's types without ``is_type_of``: strawberry gives one to every type implementing
    an interface (an isinstance check graphql-core runs on every object completed), and the
    compiled executor (graphql.execution.plan) leaves a type that has one to graphql-core.
    Each Node type's objects are instances of its class, so Node's ``resolve_type`` (the
    class's type name) is all an abstract field needs."""
    for type_ in schema._schema.type_map.values():
        if isinstance(type_, GraphQLObjectType) and any(
            interface.name == Node.__name__ for interface in type_.interfaces
        ):
            type_.is_type_of = None


def default_schema() -> strawberry.Schema:
    """The schema with the default limits (export-schema, tests of the schema's shape), built
    on first use like every other: importing a module builds nothing."""
    return build_schema(Limits.from_settings(Settings.model_construct()))
