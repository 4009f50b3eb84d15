"""The ``filter`` of an ``organizations`` page read by a SQL plan: the GraphQL input turned
into the core's filter as the resolvers turn it (graphql.organizations.connections:
``OrganizationFilter.to_core``, ``access.scoped_filter``, ``list_page``'s checks), and the
core's condition (``repository.filtered``, the one every read of a filtered page uses)
compiled to text with bound parameters, for page_sql's statement.

A filter on values in effect (``effective``) resolves its site first: the resolvers answer
it (reason "selection")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from orgql.core.access import checks as access
from orgql.core.common.names import snake
from orgql.core.common.validation import unstorable_fields
from orgql.core.organizations import repository
from orgql.db import models
from orgql.graphql.execution.page_links import DIALECT

#: The filter's fields the page plans take (the GraphQL OrganizationFilter's but
#: ``effective``), by their core names.
_FIELDS = frozenset(
    {
        "name_contains",
        "parent_id",
        "roots_only",
        "active",
        "type",
        "customer_type",
        "external_organization_id",
        "unique_id",
        "duns_number",
        "party_number",
    }
)
#: Parameters the page statement names itself (page_sql).
_RESERVED = frozenset({"after", "member", "id", "sites", "default"})


@dataclass(frozen=True)
class Condition:
    """``o.id IN (sql)`` with ``parameters``: the organizations a filter admits."""

    sql: str
    parameters: dict[str, Any]


def condition(principal: Any, given: dict[str, Any]) -> Condition | str:
    """The condition of the filter ``given`` (GraphQL argument values) for ``principal``,
    or why the compiled plan answers (graphql.execution.paths.REASONS)."""
    values = {snake(name): value for name, value in given.items()}
    if values.get("effective") is not None:
        return "selection"
    values.pop("effective", None)
    if not set(values) <= _FIELDS:
        return "selection"
    if values.get("parent_id") is not None:
        values["parent_id"] = str(values["parent_id"])
    values["roots_only"] = bool(values.get("roots_only"))
    where = access.scoped_filter(principal, repository.OrganizationFilter(**values))
    if unstorable_fields(where, "filter"):
        return "arguments"  # the resolvers answer the error
    compiled = repository.filtered(select(models.Organization.id), where).compile(dialect=DIALECT)
    sql = str(compiled).replace("\n", " ")
    parameters = dict(compiled.params)
    if "::" in sql or "POSTCOMPILE" in sql or set(parameters) & _RESERVED:
        return "selection"
    return Condition(sql, parameters)
