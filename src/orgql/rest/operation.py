"""One entry of the route table: a path, its handlers, and what the OpenAPI document says of
each (``rest/routes.py`` holds the table, ``rest/openapi.py`` turns it into the document)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from orgql.core.common.errors import Codes, OrgqlError
from orgql.rest.errors import error_response
from orgql.rest.transport import check_parameter_names

Endpoint = Callable[[Request], Awaitable[Response]]
#: An OpenAPI parameter object (path parameters are added from the path itself).
Parameter = Mapping[str, object]


@dataclass(frozen=True)
class Operation:
    """A handler and its contract: the shapes of its body and of its 200 answer, the error
    statuses it answers with an errorModel besides those every route may give (401 when
    secured, 413 and 415 when it reads a body, 422 and 409 of Idempotency-Key, 500)."""

    handler: Endpoint
    operation_id: str
    #: The success body's shape (a TypedDict of ``rest/**/*shapes.py``); None: any JSON object,
    #: or no body when ``ok_status`` is 204.
    ok: type | None
    ok_description: str
    errors: tuple[int, ...] = ()
    body: type | None = None
    body_required: bool = True
    body_media_type: str = "application/json"
    parameters: tuple[Parameter, ...] = ()
    #: Security schemes, any one of which admits the caller; None: an admin access token.
    security: tuple[str, ...] | None = None
    summary: str | None = None
    description: str | None = None
    #: The status of success: 200, 201 (created) or 204 (no content).
    ok_status: int = 200
    #: Headers of the success answer: name → OpenAPI header object.
    ok_headers: Mapping[str, Mapping[str, object]] = field(default_factory=dict)


@dataclass(frozen=True)
class Resource:
    """One path and its operations by method."""

    path: str
    operations: Mapping[str, Operation] = field(default_factory=dict)
    #: The code of a query parameter refused before the handler runs (check_parameter_names):
    #: the path's API's invalid input, 100002, or the organization requests API's 101001
    #: (its vendor pages list that one, and its handlers refuse every other input with it).
    invalid_input: str = Codes.INVALID_INPUT

    def route(self) -> Route:
        """One route per path, so a wrong method gets 405 with every allowed method listed."""
        handlers = {method: operation.handler for method, operation in self.operations.items()}
        # Each method's query parameters by their lower-case name (check_parameter_names).
        names = {
            method: {
                str(parameter["name"]).lower(): str(parameter["name"])
                for parameter in operation.parameters
                if parameter["in"] == "query"
            }
            for method, operation in self.operations.items()
        }
        dispatch = _Dispatch(handlers, names, self.invalid_input)
        return Route(self.path, dispatch, methods=list(handlers), name=self.path)


class _Dispatch:
    """The ASGI app of a Resource's route: the method's handler, its query parameters' names
    checked first. An ASGI app, not a function Starlette wraps in ``request_response``: that
    wrapper's closures and exception handling (a Starlette ``HTTPException`` answered by the
    app's handlers) cost every request and serve none, since the handlers answer every
    exception themselves (rest.transport.endpoint) and raise no ``HTTPException``."""

    def __init__(
        self,
        handlers: Mapping[str, Endpoint],
        names: Mapping[str, Mapping[str, str]],
        invalid_input: str,
    ) -> None:
        self.handlers = handlers
        self.names = names
        self.invalid_input = invalid_input

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        method = "GET" if request.method == "HEAD" else request.method
        response: Response | None = None
        if scope["query_string"]:
            try:
                check_parameter_names(request, self.names[method], self.invalid_input)
            except OrgqlError as err:
                response = error_response(err)
        if response is None:
            response = await self.handlers[method](request)
        await response(scope, receive, send)


def query(name: str, schema: Mapping[str, object], description: str | None = None) -> Parameter:
    parameter: dict[str, object] = {"name": name, "in": "query", "required": False}
    parameter["schema"] = dict(schema)
    if description:
        parameter["description"] = description
    return parameter


def header(name: str, description: str) -> Parameter:
    return {
        "name": name,
        "in": "header",
        "required": False,
        "schema": {"type": "string"},
        "description": description,
    }
