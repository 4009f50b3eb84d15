"""The ``filter`` of an ``organizations`` page read by a SQL plan: the GraphQL input turned
into the core's filter as the resolvers turn it (graphql.organizations.connections:
``OrganizationFilter.to_core``, ``access.scoped_filter``, ``list_page``'s checks), and the
core's condition (``repository.filtered``, the one every read of a filtered page uses)
compiled to text with bound parameters, for page_sql's statement.

The same for ``descendants(filter: ...)`` under an organization: a page of them and their
count, link columns of the row (page_links). A filter on values in effect (``effective``)
resolves its site first: the resolvers answer it (reason "selection")."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from orgql.core.access import checks as access
from orgql.core.common.names import snake
from orgql.core.common.validation import unstorable_fields
from orgql.core.organizations import repository
from orgql.db import models
from orgql.graphql.execution import page_links
from orgql.graphql.execution.page_links import DIALECT, OWNER

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
#: Parameters the page statement names itself (page_sql): these, and the named sites'
#: (``named_site_0``...).
_RESERVED = frozenset({"after", "member", "id"})
NAMED_SITE = "named_site_"


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
    reserved = set(parameters) & _RESERVED or any(p.startswith(NAMED_SITE) for p in parameters)
    if "::" in sql or "POSTCOMPILE" in sql or reserved:
        return "selection"
    return Condition(sql, parameters)


#: The DescendantsFilter's fields the page plans take (all but ``effective``).
_DESCENDANT_FIELDS = frozenset({"name_contains", "active", "type", "customer_type", "max_depth"})


@dataclass(frozen=True)
class Descendants:
    """A filtered page of the row's descendants and their count (link columns), with the
    filter's values bound under names of their own (``{parameter}_...``)."""

    page: str
    count: str
    parameters: dict[str, Any]


def descendants(
    parameter: str, columns: Sequence[str | None], given: dict[str, Any]
) -> Descendants | str:
    """The links of ``descendants(filter: given)`` (GraphQL argument values), as
    ``descendant_connection`` reads them (DescendantsFilter.to_core,
    core.organizations.descendants.check_page), or why the compiled plan answers."""
    values = {snake(name): value for name, value in given.items()}
    if values.pop("effective", None) is not None or not set(values) <= _DESCENDANT_FIELDS:
        return "selection"
    where = repository.OrganizationFilter(**values)
    if (where.max_depth is not None and where.max_depth < 1) or unstorable_fields(where, "f"):
        return "arguments"  # the resolvers answer the error
    org = models.Organization
    below = repository.descendant_conditions(OWNER, where.max_depth)
    rest = dataclasses.replace(where, max_depth=None)

    def select_rows(rows: Any) -> Any:
        return repository.filtered(rows.where(*below), rest)

    page = page_links.page_of(parameter, columns, org.__table__, select_rows)
    count = repository.filtered(select(func.count()).select_from(org).where(*below), rest)
    texts, bound = [], {}
    for element in (page, count.scalar_subquery()):
        compiled = element.compile(dialect=DIALECT)
        own = {k: v for k, v in compiled.params.items() if not k.startswith(f"{parameter}_")}

        def renamed(match: re.Match[str], own: dict[str, Any] = own) -> str:
            name = match.group(1)
            return f":{parameter}_{name}" if name in own else match.group(0)

        texts.append(_BIND.sub(renamed, str(compiled).replace("\n", " ")))
        bound.update({f"{parameter}_{k}": v for k, v in own.items()})
    if any("::" in t or "POSTCOMPILE" in t for t in texts):
        return "selection"
    return Descendants(texts[0], texts[1], bound)


#: A bound parameter in compiled text.
_BIND = re.compile(r"(?<![:\w]):(\w+)")
