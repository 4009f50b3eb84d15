"""Direct answers: a query a SQL plan has answered is answered again without strawberry's
request pipeline.

A read the SQL plans answer (one statement, composed whole) spends more CPU in the pipeline
around it than in its own work: the HTTP view, a dozen schema extensions built and run per
request, the parsing and validation caches, the result's processing (issue 16's profile: a
third of a request for one organization). Most of what that pipeline decides depends only
on the document's text, and was decided when the document was first answered:

- it parsed within the token limit and passed validation, the limits' rules included
  (graphql.limits), with one operation chosen by ``operationName``;
- its operation is a query whose compiled plan has a SQL plan (graphql.execution.executor).

So the first request of a document takes the full pipeline. Once a SQL plan has answered it
(``executor.answered_by_sql_plan``), a later POST of the same text and ``operationName`` is
answered here, with what still depends on the request done again, as the pipeline does it:

- the cost analysis when the document's cost depends on ``first`` variables (cached by their
  values, graphql.limits; once per body kept, see the end);
- what graphql-core's executor build does per request, as strawberry builds it: variables
  coerced, global id arguments checked (executor.sql_read_variables, once per body kept;
  the operation and its fragments were chosen when the document was first answered);
- the SQL plan's own checks of the caller and the arguments (sql_plans.SqlPlan.parameters),
  its statement, its answer budget, the request's timeout and read routing (the context);
- the observation told the operation and the path (``sql_plan``), as ObserveOperation does.

Anything else goes to the full pipeline before anything is read: a batch, a persisted or
unseen document, extensions, a body that is not a JSON object or holds a string PostgreSQL
text cannot hold (refused there, graphql.request_body), variables that do not coerce,
an anonymous caller, arguments the SQL plan leaves to the resolvers. A read the SQL plan
declines after its statement (an unknown site, an answer past the budget, a failed
statement) is answered by the full pipeline too, told so: its compiled plan answers (or
refuses) as it would after the SQL plan declined, without running that statement again.
What the pipeline does per request is done again then, the variables coerced again by its
executor's build (17 microseconds for two variables): declines are rare, and handing this
path's coerced values to that build would tie graphql-core's executor to this path. A
database found unavailable (no connection free in time, the server refusing them) is not
declined: raised (sql_plans.SqlPlan.run), it is answered 503 as the pipeline answers it
(graphql.errors.unexpected_error_response; observability.requests), after one wait on the
pool, not a second one in the pipeline.
The answer is the pipeline's byte for byte (tests/graphql/test_direct.py).

A body answered here is kept with what was made of it alone (graphql.execution.known_bodies:
its operation, the analysis, the variables coerced, the arguments holding variables): the
same bytes sent again are not decoded again, and their document's work is redone only for
another document. The caller, the content type (its parse remembered by the header's value,
``json_media_type``) and the document's lookup stay per request; the SQL plan's parameters
too, but for an admin's, kept by site header and URL base (executor.known_sql_read). Such a
body, if its read declines, is decoded by the pipeline (``decoded`` is set only by a
decoding here): still once a request.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any, cast

from cross_web import HTTPException
from starlette.requests import Request
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.schema import Schema
from strawberry.utils.operation import get_first_operation

from orgql.asgi_headers import header
from orgql.auth.asgi import principal_of
from orgql.core.common.validation import unstorable_text_in
from orgql.graphql import request_body
from orgql.graphql.context import Context
from orgql.graphql.execution import paths
from orgql.graphql.execution.executor import (
    CompiledExecutor,
    answered_by_sql_plan,
    known_sql_read,
    sql_read_variables,
)
from orgql.graphql.execution.known_bodies import KnownBodies, KnownBody
from orgql.graphql.limits import Limits, analysis_errors, document_limits
from orgql.observability.database import current_observation

#: ``request.state``'s attribute holding why the SQL plan declined a read it ran here: the
#: pipeline answering next is told (Context.sql_plan_declined) and does not run it again.
DECLINED = "sql_plan_declined"

#: The POST body this request's direct path decoded, and its value: the pipeline answering
#: the request next takes it from here rather than decoding it again (OrgqlGraphQL.parse_json;
#: a body of a megabyte takes 20 ms to decode). Not set for a body known before (its value
#: kept is never handed to the pipeline, which may change what it is given).
decoded: ContextVar[tuple[bytes, Any] | None] = ContextVar("orgql_direct_decoded", default=None)

log = logging.getLogger(__name__)

#: The keys of a request body answered here; any other (extensions, a persisted document's
#: id) is the full pipeline's.
_KEYS = frozenset({"query", "variables", "operationName"})


class DirectReads:
    """Answers the SQL plans' reads of one schema directly (see the module)."""

    def __init__(self, schema: Schema, limits: Limits) -> None:
        self.schema = schema
        self.limits = document_limits(limits)
        executor_class = schema.execution_context_class
        self.enabled = False
        #: The fields an operation's answer may hold (answer_budget), all left before a read.
        self.answer_limit = 0
        #: The bodies answered here, with what was made of them (known_bodies).
        self.known = KnownBodies()
        if isinstance(executor_class, type) and issubclass(executor_class, CompiledExecutor):
            self.enabled = True
            self.answer_limit = cast(type[CompiledExecutor], executor_class).answer_limit

    async def answer(self, request: Request, body: bytes) -> bytes | None:
        """The JSON answer of the POST ``request`` with ``body`` (graphql.direct_http sends
        it), or None: the full pipeline's."""
        principal = principal_of(request)
        if not (principal.is_admin or principal.is_shopper):  # before the body is decoded
            return None
        # Strawberry's test of a JSON body (parse_http_body), whatever one may think of it:
        # the media type as sent, case included ("Application/JSON" is refused with a 400).
        if not json_media_type(header(request.scope, b"content-type") or ""):
            return None
        known = self.known.get(body)
        fresh = known is None
        if known is None:
            known = self._operation(body)
            if known is None:
                return None
        graphql_schema = self.schema._schema
        document = answered_by_sql_plan(graphql_schema, known.query, known.operation_name)
        if document is None or document.node is None:
            return None
        if known.analysed is not document.node:
            if analysis_errors(graphql_schema, document.node, self.limits, known.variables):
                return None
            known.analysed = document.node
        observation = current_observation.get()
        if observation is not None:
            # Named as ObserveOperation names it (strawberry's first operation's name), before
            # the read: a database found unavailable is raised from it (the pipeline would
            # name the operation it answers 503 too).
            first = get_first_operation(document.node)
            observation.operation = known.operation_name or (
                first.name.value if first and first.name else None
            )
            # Answered here from now on, its failures too (a 503 for want of a connection,
            # the request's timeout), unless the read declines: then the pipeline answers.
            observation.direct = True
        context = Context.of_request(request, principal)
        try:
            encoded = await self._read(context, document, known)
        finally:
            await context.close()
        if encoded is None:
            if observation is not None:
                observation.direct = False
            return None
        if fresh:
            known.only_declared(document.operation)
            self.known.keep(body, known)
        paths.note(paths.SQL_PLAN)
        # orjson.dumps({"data": data}), as the pipeline writes it, from the data's bytes.
        return b'{"data":' + encoded + b"}"

    async def _read(self, context: Context, document: Any, known: KnownBody) -> bytes | None:
        """The JSON of the SQL plan's ``data``, or None: the pipeline answers."""
        hide_suggestions = self.schema.config.disable_field_suggestions
        try:
            if known.document is not document:
                coerced = sql_read_variables(
                    document, self.schema._schema, known.variables, hide_suggestions
                )
                if coerced is None:
                    return None
                known.for_document(document, coerced)
            found = known_sql_read(
                document,
                self.schema._schema,
                context,
                known.coerced,
                hide_suggestions,
                known.arguments,
                known.parameters,
            )
        except Exception:  # a bug before anything is read: the pipeline answers (masks) it
            log.warning("direct answer failed before its read; the pipeline answers", exc_info=True)
            return None
        if found is None:
            return None
        sql, parameters = found
        try:
            answer = await sql.run(context, parameters, self.answer_limit)
        except Exception:  # no connection to be had (SqlPlan.run): the SQL plan's path
            paths.note(paths.SQL_PLAN)
            raise
        if isinstance(answer, str):
            setattr(context.request.state, DECLINED, answer)
            return None
        return answer.encoded

    @staticmethod
    def _operation(body: bytes) -> KnownBody | None:
        """The query, variables and operation name of a plain JSON POST body, else None."""
        try:  # the pipeline's decoder: the same values (integers past 64 bits included)
            parsed = request_body.decode(body)
        except HTTPException:
            return None
        decoded.set((body, parsed))
        if not isinstance(parsed, dict) or not parsed.keys() <= _KEYS:
            return None
        if request_body.may_hold_unstorable_text(body) and unstorable_text_in(parsed):
            return None  # the pipeline's refusal (a 400), not a statement the driver fails
        query = parsed.get("query")
        variables = parsed.get("variables")
        operation_name = parsed.get("operationName")
        if (
            not isinstance(query, str)
            or not (variables is None or isinstance(variables, dict))
            or not (operation_name is None or isinstance(operation_name, str))
        ):
            return None
        return KnownBody(query, variables, operation_name)


#: The content types told apart (``json_media_type``): more, and the memo starts anew.
MAX_CONTENT_TYPES = 32
#: The longest content type remembered; a longer one is parsed at each request.
MAX_CONTENT_TYPE_LENGTH = 256
_json_media_types: dict[str, bool] = {}


def json_media_type(content_type: str) -> bool:
    """Whether the ``Content-Type`` header ``content_type`` names JSON as strawberry's
    parse_http_body tells it (its media type holds "application/json", case as sent).
    Remembered by the header's value (strawberry's parse_content_type builds an
    email.message.Message: 3 to 15 µs a request), at most :data:`MAX_CONTENT_TYPES` values
    of at most :data:`MAX_CONTENT_TYPE_LENGTH` characters: a client sending a new one at
    each request costs the parse, and no more memory."""
    if len(content_type) > MAX_CONTENT_TYPE_LENGTH:
        return _names_json(content_type)
    found = _json_media_types.get(content_type)
    if found is None:
        found = _names_json(content_type)
        if len(_json_media_types) >= MAX_CONTENT_TYPES:
            _json_media_types.clear()
        _json_media_types[content_type] = found
    return found


def _names_json(content_type: str) -> bool:
    media_type, _ = parse_content_type(content_type)
    return "application/json" in media_type
