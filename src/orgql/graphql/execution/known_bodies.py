"""The request bodies the direct path answered (graphql.execution.direct), each with what it
made of the body alone: a later POST of the same bytes skips that work.

What a body decides by itself (the JSON decoded, its keys and types checked, no string
PostgreSQL text cannot hold), what its document decides with it (the analysis within the
limits, the variables coerced, no global id of the wrong type) and the SQL plan's arguments
holding variables are a function of the body's bytes and of the document it names: kept
here for the document they were made for (``KnownBody.document``), made again when the
document is another (the executor's cache forgot it, or the schema's plans changed). What
depends on the caller, the headers, the time or the database is checked at each request:
the caller and the content type before the memo is asked, the document looked up; the SQL
plan's parameters are kept by what they read of the request besides the body (an admin's
site header and URL base, SqlPlan.request_key), and a shopper's made at each request.

For issue 16's read of one organization by id (a 1.7 KB body) this is about 40 µs of the
75 the direct path spent around its statement (in-process, the statement's read left out):
the body's decoding (9 µs in a loop of its own), the analysis (3 µs), the variables'
coercion (4 µs), the ``organization(id: $id)`` argument's (4 µs), and the allocations and
cache misses that go with them.

Bounded twice: :data:`MAX_ENTRIES` bodies, the least recently used forgotten first, and
none longer than :data:`MAX_BODY_BYTES` (not hashed either: a body of hostile size costs
its length's comparison). A body is kept only once the direct path answered it, so a
stream of bodies that are not answered there (not JSON, unseen documents, refused
variables) does not push the answered ones out.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from graphql import OperationDefinitionNode

#: Bodies kept (and their values, the variables the operation declares: at most about
#: twice a body's size each).
MAX_ENTRIES = 64
#: The longest body kept; a longer one is decoded at each request.
MAX_BODY_BYTES = 16 * 1024


class KnownBody:
    """What the direct path made of one request body: its operation (the JSON's query,
    variables and operation name, checked), and, for the document they were made for, the
    analysis passed, the variables coerced and the arguments of fields holding variables."""

    __slots__ = (
        "analysed",
        "arguments",
        "coerced",
        "document",
        "operation_name",
        "parameters",
        "query",
        "variables",
    )

    def __init__(self, query: str, variables: Any, operation_name: str | None) -> None:
        self.query = query
        #: The raw variables, as decoded (read by the analysis and coercion, never changed in
        #: place; only_declared puts a smaller dict here before the body is kept).
        self.variables: dict[str, Any] | None = variables
        self.operation_name = operation_name
        #: The parsed document the analysis (graphql.limits) passed with these variables.
        self.analysed: object | None = None
        #: The executor's cache entry the variables below were coerced for, and them.
        self.document: object | None = None
        self.coerced: Any = None
        #: SqlPlan._arguments' memo: the arguments of fields holding variables, by field.
        self.arguments: dict[Any, dict[str, Any]] = {}
        #: The SQL plans' parameters made for these variables (executor.known_sql_read).
        self.parameters: dict[Any, Any] = {}

    def only_declared(self, operation: OperationDefinitionNode) -> None:
        """Forgets the raw variables ``operation`` does not declare, before the body is kept:
        the coercion ignores them and the analysis reads only the declared ones once they
        passed the variables' bounds (a part of them passes too). Kept, 16 KiB of empty
        lists no operation declares held 20 times the body's size (tests/graphql/
        test_known_bodies.py). A new dict: the decoded one is left as it was."""
        definitions = operation.variable_definitions or ()
        names = {definition.variable.name.value for definition in definitions}
        if self.variables is not None and not self.variables.keys() <= names:
            self.variables = {k: v for k, v in self.variables.items() if k in names}

    def for_document(self, document: object, coerced: Any) -> None:
        """The variables coerced for ``document``: the arguments kept for another go."""
        self.document = document
        self.coerced = coerced
        self.arguments = {}
        self.parameters = {}


class KnownBodies:
    """The bodies the direct path answered (see the module), the least recently used
    forgotten first."""

    def __init__(self, entries: int = MAX_ENTRIES, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.entries = entries
        self.max_body_bytes = max_body_bytes
        self._known: OrderedDict[bytes, KnownBody] = OrderedDict()

    def __len__(self) -> int:
        return len(self._known)

    def get(self, body: bytes) -> KnownBody | None:
        """What was made of ``body`` before, or None (never answered here, forgotten, or
        longer than a body kept: not hashed)."""
        if len(body) > self.max_body_bytes:
            return None
        found = self._known.get(body)
        if found is not None:
            self._known.move_to_end(body)
        return found

    def keep(self, body: bytes, known: KnownBody) -> None:
        """``known`` made of ``body``, answered directly: kept if the body is short enough."""
        if len(body) > self.max_body_bytes:
            return
        self._known[body] = known
        self._known.move_to_end(body)
        while len(self._known) > self.entries:
            self._known.popitem(last=False)

    def clear(self) -> None:
        self._known.clear()
