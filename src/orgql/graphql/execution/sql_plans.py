"""SQL plans: ``organizations(first, after)`` pages (and ``organization(id)``, a page of one
id) read with a fixed number of statements and composed without per-field resolution.

A compiled plan (graphql.execution.plan: fragments inlined, directives decided, aliases
merged) whose only root field is ``organizations`` without ``filter`` and whose selection
stays within the connection, plain and derived columns, ``parentOrganization``,
``ancestorOrganizations``, ``inheritedFrom`` and ``effectiveSiteProperties`` (values,
contract, sources) is
translated once into a :class:`graphql.execution.page_sql.PagePlan`: one statement (two with
``totalCount``) and the functions composing the answer from its rows. At each request, for
an admin or a shopper, the arguments are checked as the resolvers check them; anything else
(an anonymous caller, a bad cursor or page size, an unknown site, a statement failure) runs
the compiled plan instead, which answers or reports it as before (graphql.execution.paths
says which and why).

A shopper's page is narrowed to their memberships inside the statement (the core's rule,
``core.organizations.membership.member_of``: from above too), an inactive account answered
without the values withheld from its shoppers (``core.access.checks``), as the resolvers
answer it; a selection asking the
ancestors for more than their id and name (which the resolvers refuse a shopper, FORBIDDEN)
is answered by the compiled plan.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from graphql.execution.values import get_argument_values

from orgql.core.access import checks as access
from orgql.core.common.names import camel
from orgql.core.common.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Unreadable
from orgql.core.inheritance.fields import ORGANIZATION_FIELDS, SITE_FIELDS
from orgql.core.organizations import repository
from orgql.graphql import cursors
from orgql.graphql.execution import page_compose, page_sql
from orgql.graphql.execution.plan import LIST, NON_NULL, OBJECT, Completion, FieldPlan, Plan

log = logging.getLogger(__name__)


#: Organization fields read from a column (``id`` is the global id: a "global_id" key).
_ORGANIZATION = {"repositoryId": "id"} | {camel(c): c for c in page_compose.COLUMNS - {"id"}}
#: GraphQL field -> column, from the declaration of the inherited fields: the derived values
#: answered as stored, the values in effect on a site (the contract apart), and the fields of
#: the inheritedFrom objects (derived values and site values).
_DERIVED = {f.name: f.column for f in ORGANIZATION_FIELDS if f.wire.plain}
_SITE_VALUES = {f.own: f.column for f in SITE_FIELDS if f.wire.plain}
_DERIVED_SOURCES = {f.source: f.column for f in ORGANIZATION_FIELDS}
_SOURCES = {f.source: f.column for f in SITE_FIELDS}
_CONTRACT = {
    "repositoryId": "id",
    "displayName": "display_name",
    "description": "description",
    "externalContractReference": "external_contract_reference",
}


class _Unsupported(Exception):
    pass


@dataclass(frozen=True)
class SqlPlan:
    key: str  # the root field's response key
    root: FieldPlan
    page: page_sql.PagePlan
    #: Site parameters and the effectiveSiteProperties field each belongs to.
    sites: tuple[tuple[str, FieldPlan], ...]
    #: Whether a shopper's page reads as an admin's (narrowed to their memberships): the
    #: ancestors (parentOrganization, ancestorOrganizations) asked only for what a shopper
    #: sees of them, id and name (core.access.checks, BREADCRUMB); else the resolvers
    #: answer the FORBIDDEN errors of the other fields.
    for_shoppers: bool
    #: ``organization(id)``: the page of that one organization, answered as its node or null.
    single: bool = False

    def parameters(self, executor: Any) -> dict[str, Any] | str:
        """The statement's parameters for this request, or why the compiled plan must answer
        (graphql.execution.paths.REASONS: not an admin, arguments the resolvers refuse)."""
        context = executor.context_value
        principal = getattr(context, "principal", None)
        if principal is None or not (principal.is_admin or principal.is_shopper):
            return "caller"
        member = None
        if not principal.is_admin:
            if not self.for_shoppers:
                return "breadcrumbs"
            scoped = access.scoped_filter(principal, repository.OrganizationFilter())
            member = scoped.member_profile_id
        arguments = self._arguments(executor, self.root)
        if self.single:
            organization_id = str(arguments["id"])
            if "\x00" in organization_id:  # cannot be stored: the resolvers answer null
                return "arguments"
            return {
                "first": 1,
                "after": None,
                "sites": self._sites(executor, context),
                "member": member,
                "organization_id": organization_id,
            }
        first = arguments.get("first")
        size = DEFAULT_PAGE_SIZE if first is None else first
        if arguments.get("filter") is not None:
            return "selection"
        if not 0 <= size <= MAX_PAGE_SIZE:
            return "arguments"
        after = arguments.get("after")
        after_id = cursors.organization_after(after)
        if isinstance(after_id, Unreadable):
            return "arguments"
        sites = self._sites(executor, context)
        return {"first": size, "after": after_id, "sites": sites, "member": member}

    def _sites(self, executor: Any, context: Any) -> dict[str, str | None]:
        sites: dict[str, str | None] = {}
        for parameter, field in self.sites:
            site = self._arguments(executor, field).get("site")
            sites[parameter] = str(site) if site is not None else context.site_header
        return sites

    @staticmethod
    def _arguments(executor: Any, field: FieldPlan) -> dict[str, Any]:
        if not field.nodes[0].arguments:
            return {}
        return get_argument_values(
            field.definition,
            field.nodes[0],
            executor.variable_values,
            None,
            executor.hide_suggestions,
        )

    async def run(self, context: Any, parameters: dict[str, Any]) -> dict[str, Any] | str:
        """The response's data, or why the compiled plan must answer instead
        (graphql.execution.paths.REASONS)."""

        async def execute(session: Any) -> dict[str, Any] | None:
            connection = await session.connection()
            return await self.page.read(connection, **parameters)

        try:
            answer = await context.run(execute)
        except Exception:  # the compiled plan answers, or reports the failure as it does
            log.warning("SQL plan failed; the compiled plan answers", exc_info=True)
            return "statement_failed"
        if answer is None:  # a site it names does not exist
            return "unknown_site"
        if self.single:
            edges = answer["edges"]
            return {self.key: edges[0]["node"] if edges else None}
        return {self.key: answer}


def sql_plan(plan: Plan) -> SqlPlan | str:
    """The SQL plan of a compiled plan, or why it has to run as compiled
    (graphql.execution.paths.REASONS)."""
    if len(plan.root) != 1:
        return "root_fields"
    root = plan.root[0]
    if root.parent_type is not plan.root_type:
        return "root_fields"
    if root.definition is _field(plan.root_type, "organization"):
        return _single(root)
    if root.definition is not _field(plan.root_type, "organizations"):
        return "root_fields"
    if any(a.name.value == "filter" for a in root.nodes[0].arguments or ()):
        return "selection"
    sites: list[tuple[str, FieldPlan]] = []
    try:
        keys = _connection(_object(root.completion), sites)
        page = page_sql.PagePlan(keys)
    except (_Unsupported, ValueError):
        return "selection"
    return SqlPlan(
        key=root.name, root=root, page=page, sites=tuple(sites), for_shoppers=_breadcrumbs(keys)
    )


#: What a shopper sees of an ancestor of their accounts (graphql.organizations.breadcrumbs).
#: The columns of a breadcrumb (its ``id``, the global id, is a "global_id" key).
_BREADCRUMB = frozenset({"id", "name"})


def _breadcrumbs(keys: tuple[page_sql.Key, ...], above: bool = False) -> bool:
    """Whether every ancestor in ``keys`` is asked only for its id and name."""
    for key in keys:
        if key.kind in ("parent", "ancestors"):
            # A breadcrumb's own ancestors are FORBIDDEN, a member ancestor's are not.
            allowed = not above and _breadcrumbs(key.keys, above=True)
        elif above:
            allowed = key.kind in ("const", "global_id") or (
                key.kind == "column" and key.what in _BREADCRUMB
            )
        else:
            allowed = _breadcrumbs(key.keys)
        if not allowed:
            return False
    return True


def _single(root: FieldPlan) -> SqlPlan | str:
    """``organization(id)``: a page of that organization alone, its node the answer."""
    if any(a.name.value != "id" for a in root.nodes[0].arguments or ()):
        return "selection"  # asOf: a point-in-time read
    sites: list[tuple[str, FieldPlan]] = []
    try:
        node = _node(_nullable_object(root.completion), sites)
        keys = (page_sql.Key("edges", "edges", keys=(page_sql.Key("node", "node", keys=node),)),)
        page = page_sql.PagePlan(keys)
    except (_Unsupported, ValueError):
        return "selection"
    return SqlPlan(
        key=root.name,
        root=root,
        page=page,
        sites=tuple(sites),
        for_shoppers=_breadcrumbs(keys),
        single=True,
    )


def _field(type_: Any, name: str) -> Any:
    return type_.fields.get(name)


def _object(completion: Completion) -> list[FieldPlan]:
    """The fields of a non-null object."""
    if completion.kind != NON_NULL or completion.inner is None:
        raise _Unsupported
    return _nullable_object(completion.inner)


def _nullable_object(completion: Completion) -> list[FieldPlan]:
    if completion.kind != OBJECT or completion.fields is None:
        raise _Unsupported
    return completion.fields


def _list_of_objects(completion: Completion) -> list[FieldPlan]:
    """The fields of the items of ``[T!]!``."""
    if completion.kind != NON_NULL or completion.inner is None or completion.inner.kind != LIST:
        raise _Unsupported
    assert completion.inner.inner is not None
    return _object(completion.inner.inner)


def _name(field: FieldPlan) -> str:
    return field.nodes[0].name.value


def _typename(field: FieldPlan) -> page_sql.Key | None:
    if _name(field) == "__typename":
        return page_sql.Key(field.name, "const", field.parent_type.name)
    return None


def _connection(
    fields: list[FieldPlan], sites: list[tuple[str, FieldPlan]]
) -> tuple[page_sql.Key, ...]:
    keys: list[page_sql.Key] = []
    for field in fields:
        name = _name(field)
        if (typename := _typename(field)) is not None:
            keys.append(typename)
        elif name == "totalCount":
            keys.append(page_sql.Key(field.name, "total"))
        elif name == "pageInfo":
            info = []
            for item in _object(field.completion):
                kind = {"hasNextPage": "has_next", "endCursor": "end_cursor"}.get(_name(item))
                info.append(_typename(item) or page_sql.Key(item.name, _known(kind)))
            keys.append(page_sql.Key(field.name, "page_info", keys=tuple(info)))
        elif name == "edges":
            edge = []
            for item in _list_of_objects(field.completion):
                if (typename := _typename(item)) is not None:
                    edge.append(typename)
                elif _name(item) == "cursor":
                    edge.append(page_sql.Key(item.name, "cursor"))
                elif _name(item) == "node":
                    node = _node(_object(item.completion), sites)
                    edge.append(page_sql.Key(item.name, "node", keys=node))
                else:
                    raise _Unsupported
            keys.append(page_sql.Key(field.name, "edges", keys=tuple(edge)))
        else:
            raise _Unsupported
    return tuple(keys)


def _known(kind: str | None) -> str:
    if kind is None:
        raise _Unsupported
    return kind


def _node(fields: list[FieldPlan], sites: list[tuple[str, FieldPlan]]) -> tuple[page_sql.Key, ...]:
    keys: list[page_sql.Key] = []
    for field in fields:
        name = _name(field)
        if (typename := _typename(field)) is not None:
            keys.append(typename)
        elif field.nodes[0].arguments and name != "effectiveSiteProperties":
            raise _Unsupported
        elif name == "id":
            keys.append(page_sql.Key(field.name, "global_id"))
        elif name in _ORGANIZATION:
            keys.append(page_sql.Key(field.name, "column", _ORGANIZATION[name]))
        elif name in _DERIVED:
            keys.append(page_sql.Key(field.name, "derived", _DERIVED[name]))
        elif name == "inheritedFrom":
            sources = [
                _typename(item)
                or page_sql.Key(item.name, "derived_source", _mapped(_DERIVED_SOURCES, item))
                for item in _object(field.completion)
            ]
            keys.append(page_sql.Key(field.name, "derived_sources", keys=tuple(sources)))
        elif name == "parentOrganization":
            inner = _node(_nullable_object(field.completion), sites)
            keys.append(page_sql.Key(field.name, "parent", keys=inner))
        elif name == "ancestorOrganizations":
            inner = _node(_list_of_objects(field.completion), sites)
            keys.append(page_sql.Key(field.name, "ancestors", keys=inner))
        elif name == "effectiveSiteProperties":
            parameter = f"site{len(sites)}"
            sites.append((parameter, field))
            inner = _effective(_nullable_object(field.completion))
            keys.append(page_sql.Key(field.name, "effective", keys=inner, site_param=parameter))
        else:
            raise _Unsupported
    return tuple(keys)


def _effective(fields: list[FieldPlan]) -> tuple[page_sql.Key, ...]:
    keys: list[page_sql.Key] = []
    for field in fields:
        name = _name(field)
        if (typename := _typename(field)) is not None:
            keys.append(typename)
        elif name in _SITE_VALUES:
            keys.append(page_sql.Key(field.name, "value", _SITE_VALUES[name]))
        elif name == "contract":
            contract = [
                _typename(item) or page_sql.Key(item.name, "column", _mapped(_CONTRACT, item))
                for item in _nullable_object(field.completion)
            ]
            keys.append(page_sql.Key(field.name, "contract", keys=tuple(contract)))
        elif name == "inheritedFrom":
            sources = [
                _typename(item) or page_sql.Key(item.name, "source", _mapped(_SOURCES, item))
                for item in _nullable_object(field.completion)
            ]
            keys.append(page_sql.Key(field.name, "sources", keys=tuple(sources)))
        else:
            raise _Unsupported
    return tuple(keys)


def _mapped(names: dict[str, str], field: FieldPlan) -> str:
    try:
        return names[_name(field)]
    except KeyError:
        raise _Unsupported from None
