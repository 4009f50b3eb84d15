"""SQL plans: ``organizations(first, after)`` pages (and ``organization(id)``, a page of one
id) read with a fixed number of statements and composed without per-field resolution.

A compiled plan (graphql.execution.plan: fragments inlined, directives decided, aliases
merged) whose only root field is ``organizations`` (with a ``filter`` or not: page_filters
takes it at each request, but a filter on values in effect) and whose selection
stays within what graphql.execution.sql_nodes translates (plain and derived columns, the
hierarchy, values on sites with their contracts, addresses, roles, members, children) is
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
is answered by the compiled plan, and so is a selection with children (admins only).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import ListValueNode, ObjectValueNode, ValueNode, VariableNode
from graphql.execution.values import get_argument_values

from orgql.core.access import checks as access
from orgql.core.common.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Unreadable
from orgql.core.organizations import repository
from orgql.db.raw import RawReads
from orgql.graphql import cursors
from orgql.graphql.execution import page_filters, page_sql, sql_nodes
from orgql.graphql.execution.plan import FieldPlan, Plan
from orgql.observability.database import expected_failure, no_connection

log = logging.getLogger(__name__)

#: The fields whose arguments one request body's memo holds (SqlPlan._arguments): past them
#: the memo is emptied (its document's plans compiled again hold fields anew; a SQL plan
#: with more fields of variable arguments coerces some again at each request).
MAX_KNOWN_ARGUMENTS = 64


@dataclass(frozen=True)
class SqlAnswer:
    """A SQL plan's answer: the response's ``data``, and its JSON (orjson's bytes, as the
    pipeline writes it; None when orjson cannot write it, an integer past 64 bits)."""

    data: dict[str, Any]
    encoded: bytes | None


@dataclass(frozen=True)
class SqlPlan:
    key: str  # the root field's response key
    root: FieldPlan
    page: page_sql.PagePlan
    #: The keys of the root field's answer (a connection's; ``single``: its node's).
    keys: tuple[page_sql.Key, ...]
    #: Site parameters and the field (with a ``site`` argument) each belongs to.
    sites: tuple[tuple[str, FieldPlan], ...]
    #: Parameters of children pages and the childOrganizations field each belongs to.
    children: tuple[tuple[str, FieldPlan], ...]
    #: Parameters of the siteOrganizationProperties fields (their ``site`` argument).
    site_lists: tuple[tuple[str, FieldPlan], ...]
    #: Whether a shopper's page reads as an admin's (narrowed to their memberships): the
    #: ancestors (parentOrganization, ancestorOrganizations) asked only for what a shopper
    #: sees of them, id and name (core.access.checks, BREADCRUMB); else the resolvers
    #: answer the FORBIDDEN errors of the other fields.
    for_shoppers: bool
    #: ``organization(id)``: the page of that one organization, answered as its node or null.
    single: bool = False
    #: Whether the selection asks for what only admins read (children: FORBIDDEN to a
    #: shopper, which the resolvers answer).
    admin_only: bool = False
    #: The coerced arguments of fields whose arguments hold no variable (``_arguments``).
    literal_arguments: dict[FieldPlan, dict[str, Any]] = dataclasses.field(
        default_factory=dict, compare=False, repr=False
    )

    def parameters(self, executor: Any) -> dict[str, Any] | str:
        """The statement's parameters for this request, or why the compiled plan must answer
        (graphql.execution.paths.REASONS: not an admin, arguments the resolvers refuse)."""
        context = executor.context_value
        principal = getattr(context, "principal", None)
        if principal is None or not (principal.is_admin or principal.is_shopper):
            return "caller"
        member = None
        if not principal.is_admin:
            if self.admin_only:
                return "caller"
            if not self.for_shoppers:
                return "breadcrumbs"
            scoped = access.scoped_filter(principal, repository.OrganizationFilter())
            member = scoped.member_profile_id
        arguments = self._arguments(executor, self.root)
        if self.single:
            organization_id = str(arguments["id"])
            if "\x00" in organization_id:  # cannot be stored: the resolvers answer null
                return "arguments"
            links = self._links(executor, context)
            if isinstance(links, str):
                return links
            return {
                "first": 1,
                "after": None,
                "sites": self._sites(executor, context),
                "member": member,
                "organization_id": organization_id,
                "links": links,
            }
        first = arguments.get("first")
        size = DEFAULT_PAGE_SIZE if first is None else first
        condition = None
        if arguments.get("filter") is not None:
            # The filter narrows a shopper's page to their memberships (scoped_filter).
            condition = page_filters.condition(principal, arguments["filter"])
            if isinstance(condition, str):
                return condition
        if not 0 <= size <= MAX_PAGE_SIZE:
            return "arguments"
        after = arguments.get("after")
        after_id = cursors.organization_after(after)
        if isinstance(after_id, Unreadable):
            return "arguments"
        sites = self._sites(executor, context)
        links = self._links(executor, context)
        if isinstance(links, str):
            return links
        return {
            "first": size,
            "after": after_id,
            "sites": sites,
            "member": None if condition is not None else member,
            "links": links,
            "condition": condition,
            "withholding": member is not None,
        }

    def _links(self, executor: Any, context: Any) -> dict[str, Any] | str:
        """The parameters of the children and descendants pages (their size, cursor and
        filter) and the logo URLs' prefix (graphql.organizations.links), or why the
        compiled plan answers (arguments the resolvers refuse, a filter on values in
        effect)."""
        links: dict[str, Any] = {}
        for parameter, field in self.children:
            arguments = self._arguments(executor, field)
            first = arguments.get("first")
            size = DEFAULT_PAGE_SIZE if first is None else first
            after = cursors.organization_after(arguments.get("after"))
            if not 0 <= size <= MAX_PAGE_SIZE or isinstance(after, Unreadable):
                return "arguments"
            links[f"{parameter}_limit"] = size + 1
            links[f"{parameter}_after"] = after
            if arguments.get("filter") is not None:
                columns = self.page.child_columns(parameter)
                found = page_filters.descendants(parameter, columns, arguments["filter"])
                if isinstance(found, str):
                    return found
                links[f"{parameter}_filtered"] = found
        for parameter, field in self.site_lists:
            site = self._arguments(executor, field).get("site")
            links[parameter] = None if site is None else str(site)
        if self.page.composer.logo:
            base = _base_url(context)
            links["logo_prefix"] = f"{base.rstrip('/')}{context.settings.media_path}"
        return links

    def request_key(self, context: Any) -> tuple[Any, ...] | None:
        """What ``parameters`` reads of the request besides the arguments, when that is all
        it reads: an admin's site header, and the base of the logo URLs when the selection
        has them (the settings are the app's). None: another caller (a shopper's
        memberships, read at each request)."""
        principal = getattr(context, "principal", None)
        if principal is None or not principal.is_admin:
            return None
        if not self.page.composer.logo:
            return (context.site_header,)
        return (context.site_header, _base_url(context))

    def _sites(self, executor: Any, context: Any) -> dict[str, str | None]:
        sites: dict[str, str | None] = {}
        for parameter, field in self.sites:
            site = self._arguments(executor, field).get("site")
            sites[parameter] = str(site) if site is not None else context.site_header
        return sites

    def _arguments(self, executor: Any, field: FieldPlan) -> dict[str, Any]:
        """``field``'s arguments at this request (read-only): those written without a
        variable (``childOrganizations(first: 10)``) coerced once per plan, those with one
        once per request body when the direct path keeps them (``executor.known_arguments``,
        graphql.execution.direct: 4 µs for ``organization(id: $id)``)."""
        node = field.nodes[0]
        if not node.arguments:
            return {}
        found = self.literal_arguments.get(field)
        if found is not None:
            return found
        known: dict[FieldPlan, dict[str, Any]] | None = executor.known_arguments
        if known is not None:
            found = known.get(field)
            if found is not None:
                return found
        arguments = get_argument_values(
            field.definition, node, executor.variable_values, None, executor.hide_suggestions
        )
        if not any(_has_variable(argument.value) for argument in node.arguments):
            self.literal_arguments[field] = arguments
        elif known is not None:
            if len(known) >= MAX_KNOWN_ARGUMENTS:  # plans compiled again: fields anew
                known.clear()
            known[field] = arguments
        return arguments

    async def run(self, context: Any, parameters: dict[str, Any], limit: int) -> SqlAnswer | str:
        """The response's data, or why the compiled plan must answer instead
        (graphql.execution.paths.REASONS): an answer of more than ``limit`` fields (the
        answer budget, graphql.execution.answer_budget: lists such as members and addresses
        are answered whole, and may outgrow what the cost counted) is the compiled plan's,
        which stops it with ANSWER_TOO_LARGE as the resolvers do.

        No connection to be had (observability.database.no_connection: none free within
        ORGQL_DB_POOL_TIMEOUT_SECONDS, a new one refused or not opened in time) is raised,
        not answered by the compiled plan: its resolvers would wait once more and fail
        alike, where the caller is answered 503 all the same. The statement's one connection
        lost (the server ended it: a restart, a failover, pg_terminate_backend), or its
        answer not come within ORGQL_DB_COMMAND_TIMEOUT_SECONDS, is answered by the compiled
        plan, as a failed statement is: read_once dropped a lost connection."""

        async def execute(reads: RawReads) -> dict[str, Any] | None:
            return await self.page.read(reads, **parameters)

        try:
            answer = await context.read_alone(execute)
        except Exception as error:  # the compiled plan answers, or reports the failure as it does
            if no_connection(error) is not None:
                raise
            # Cancelled, timed out or its connection lost: the compiled plan's may succeed.
            expected = expected_failure(error)
            if expected is not None:
                log.warning("SQL plan failed (%s); the compiled plan answers", expected)
            else:
                log.warning("SQL plan failed; the compiled plan answers", exc_info=True)
            return "statement_failed"
        if answer is None:  # a site it names does not exist
            return "unknown_site"
        if self.single:
            edges = answer["edges"]
            answer = edges[0]["node"] if edges else None
        data = {self.key: answer}
        try:
            encoded = orjson.dumps(data)
        except orjson.JSONEncodeError:  # an integer past 64 bits: the pipeline encodes it
            encoded = None
        # The root object's one field, and every object of the answer (answer_budget):
        # counted only when the answer may be past the budget. Every field is a key, and
        # every key is written `"key":` (orjson writes no spaces), so the count of `":` in
        # the encoded answer is at least its fields (strings holding `":` only add to it).
        bound = encoded.count(b'":') if encoded is not None else limit + 1
        if bound > limit and 1 + answer_fields(self.keys, answer) > limit:
            return "answer_too_large"
        return SqlAnswer(data, encoded)


def _base_url(context: Any) -> str:
    """The base of the answer's URLs: the configured public one, else the request's."""
    return str(context.settings.public_base_url or context.request.base_url)


def _has_variable(value: ValueNode) -> bool:
    if isinstance(value, VariableNode):
        return True
    if isinstance(value, ListValueNode):
        return any(_has_variable(item) for item in value.values)
    if isinstance(value, ObjectValueNode):
        return any(_has_variable(item.value) for item in value.fields)
    return False


def answer_fields(keys: tuple[page_sql.Key, ...], value: Any) -> int:
    """The fields of the objects of ``value``, composed from ``keys``, as the resolvers
    spend them from the answer budget (one per field of every object completed; a key with
    keys of its own is an object, a list of them or null; any other value a leaf, a JSON
    scalar's object included)."""
    if isinstance(value, list):
        return sum(answer_fields(keys, item) for item in value)
    if not isinstance(value, dict):
        return 0
    return len(value) + sum(answer_fields(k.keys, value[k.name]) for k in keys if k.keys)


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
    found = sql_nodes.Translation()
    try:
        keys = sql_nodes.connection(sql_nodes.object_fields(root.completion), found)
        page = page_sql.PagePlan(keys)
    except (sql_nodes.Unsupported, ValueError):
        return "selection"
    return _sql_plan(root, page, keys, found)


def _sql_plan(
    root: FieldPlan,
    page: page_sql.PagePlan,
    keys: tuple[page_sql.Key, ...],
    found: sql_nodes.Translation,
    single: bool = False,
    answer: tuple[page_sql.Key, ...] | None = None,
) -> SqlPlan:
    return SqlPlan(
        key=root.name,
        root=root,
        page=page,
        keys=keys if answer is None else answer,
        sites=tuple(found.sites),
        children=tuple(found.children),
        site_lists=tuple(found.site_lists),
        for_shoppers=_breadcrumbs(keys),
        single=single,
        admin_only=bool(found.children),
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
    found = sql_nodes.Translation()
    try:
        node = sql_nodes.node(sql_nodes.nullable_object(root.completion), found)
        keys = (page_sql.Key("edges", "edges", keys=(page_sql.Key("node", "node", keys=node),)),)
        page = page_sql.PagePlan(keys, single=True)
    except (sql_nodes.Unsupported, ValueError):
        return "selection"
    return _sql_plan(root, page, keys, found, single=True, answer=node)


def _field(type_: Any, name: str) -> Any:
    return type_.fields.get(name)
