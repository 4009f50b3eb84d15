"""One pure ASGI middleware around every HTTP request: its id, its access log line, its
metrics, a 503 when the database was found unavailable while answering it, and a JSON 500
when an exception (a bug) escaped everything below it.

Its send wrapper is the only one of a request (each wrapper is a call per message sent, issue
16), and so the answers of the middlewares below that need to know what was sent go through
it: a body refused while it is read (orgql.body_deadline.BodyRefused) is answered here while
nothing was sent, and the consistency token of a request's writes is added to its answer's
headers here (orgql.consistency.add_token)."""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orgql.asgi_headers import NOT_STORED, header, keep_out_of_caches, set_header
from orgql.body_deadline import BodyRefused
from orgql.consistency import add_token
from orgql.core.common.errors import Codes, ErrorKind, OrgqlError
from orgql.edge_errors import app_path, enter_app, graphql_path, query_refusal, refusal
from orgql.observability.database import (
    RETRY_LATER,
    Observation,
    current_observation,
    retry_advice,
    statement_cancelled,
    unavailability,
)
from orgql.observability.logs import ACCESS_LOGGER
from orgql.observability.metrics import Metrics

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID_KEY = REQUEST_ID_HEADER.encode()
#: A caller's request id is kept when it looks like one; anything else is replaced.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
#: Seconds a client should wait before retrying after a 503.
RETRY_AFTER = "5"

logger = logging.getLogger(ACCESS_LOGGER)


def new_request_id() -> str:
    """A random version-4 UUID's hex: the id of a request that offered none usable. Built
    from the 16 random bytes as ``uuid.uuid4().hex`` is (the version and variant bits set),
    without its UUID object: about 1 us less per request (issue 16)."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40
    raw[8] = raw[8] & 0x3F | 0x80
    return raw.hex()


def transport_of(scope: Scope) -> str:
    path = app_path(scope)
    if graphql_path(path):
        return "graphql"
    if path.startswith(("/ccadmin/", "/ccstore/")):
        return "rest"
    if path in ("/healthz", "/readyz"):
        return "health"
    if path == "/metrics":
        return "metrics"
    return "other"


def outcome_of(status: int, observation: Observation) -> str:
    if observation.database_unavailable is not None or observation.statement_cancelled:
        return "unavailable"
    if status >= 500 or "internal" in observation.error_codes:
        return "server_error"
    if status >= 400 or observation.error_codes:
        return "client_error"
    return "ok"


#: The GraphQL code of an answer the database's loss failed (REST's errorCode: "503").
UNAVAILABLE = "unavailable"


def unavailable_message(reason: str) -> str:
    return f"The database is unavailable ({reason}){RETRY_LATER}"


def cancelled_message(reason: str) -> str:
    return f"The database cancelled the request's work ({reason}){RETRY_LATER}"


def retry_later_error(error: BaseException) -> tuple[str, str] | None:
    """The message and GraphQL code of the 503 that answers ``error``, a failure of the
    database (unavailable, or cancelling a statement: observability.database), else None.
    For an operation over WebSocket, whose answer no 503 replaces (graphql.errors)."""
    lost = unavailability(error)
    if lost is not None:
        return unavailable_message(lost), UNAVAILABLE
    cancelled = statement_cancelled(error)
    if cancelled is not None:
        return cancelled_message(cancelled), Codes.STATEMENT_TIMEOUT
    return None


def unavailable_response(scope: Scope, reason: str) -> Response:
    message = unavailable_message(reason)
    return _retry_later(scope, message, rest_code="503", graphql_code=UNAVAILABLE)


def timed_out_response(scope: Scope, reason: str) -> Response:
    """The database cancelled a statement (another transaction held a lock too long, or the
    statement ran past ORGQL_DB_STATEMENT_TIMEOUT_SECONDS): nothing was changed."""
    message = cancelled_message(reason)
    code = Codes.STATEMENT_TIMEOUT
    return _retry_later(scope, message, rest_code=code, graphql_code=code)


def _retry_later(scope: Scope, message: str, *, rest_code: str, graphql_code: str) -> Response:
    """A 503 with Retry-After, in the shape of the endpoint asked (orgql.edge_errors). After
    a GraphQL mutation of the request committed, none, and a message that says so
    (observability.database.retry_advice): sent again as it is, the request would make
    the committed changes twice."""
    message, headers = retry_advice(message, RETRY_AFTER)
    error = OrgqlError(rest_code, message, None, ErrorKind.INTERNAL)
    return refusal(scope, error, 503, graphql_code, headers)


def rest_error_codes(body: bytes) -> list[str]:
    """The ``errorCode``s of an errorModel body (the top one and each of ``errors``)."""
    try:
        document = json.loads(body)
    except ValueError:
        return []
    if not isinstance(document, dict):
        return []
    entries = document.get("errors")
    details = entries if isinstance(entries, list) and entries else [document]
    return [str(d["errorCode"]) for d in details if isinstance(d, dict) and "errorCode" in d]


class ObserveRequests:
    """``rest_operation(method, path)`` names a REST request in metrics and logs: its
    operationId, or one bounded label for paths that are not routes (never the raw path).
    ``failure_response(scope, error)`` answers an exception that escaped everything below
    (a bug) in the transport's shape, and logs it, while it is being handled."""

    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics,
        rest_operation: Callable[[str, str], str],
        failure_response: Callable[[Scope, Exception], Response],
        clock: Callable[[], float] | None = None,
    ):
        self.app = app
        self.metrics = metrics
        self.rest_operation = rest_operation
        self.failure_response = failure_response
        self.clock = clock or time.perf_counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            enter_app(scope)  # the outermost of the app's middlewares: its root path, as served
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = header(scope, _REQUEST_ID_KEY)
        if request_id is None or not _REQUEST_ID.fullmatch(request_id):
            request_id = new_request_id()
        transport = transport_of(scope)
        observation = Observation(request_id=request_id, transport=transport)
        token = current_observation.set(observation)
        started = self.clock()
        status = 500
        replaced = False
        responding = False  # the response has started: too late for another
        failing = False  # answering an exception that escaped everything below
        error_body: list[bytes] = []
        self.metrics.in_progress.inc()

        async def observe_send(message: Message) -> None:
            nonlocal status, replaced, responding
            if replaced:
                return
            if message["type"] == "http.response.start":
                responding = True
                # Only when the database failed it (else retry_later_response is None).
                failed = (
                    observation.database_unavailable is not None
                    or observation.statement_cancelled is not None
                )
                replacing = failed and (failing or transport in _REPLACED)
                response = (
                    _replacement(scope, observation, message["status"]) if replacing else None
                )
                if response is not None:
                    replaced = True
                    status = 503
                    response.headers[REQUEST_ID_HEADER] = request_id
                    response.headers.setdefault("Cache-Control", NOT_STORED)
                    await response({"type": "http"}, _no_body, send)
                    return
                status = message["status"]
                if not failing:  # the 500 of an exception carries no token (nor did it)
                    add_token(scope, message)
                set_header(message, _REQUEST_ID_KEY, request_id)
                if status >= 400:
                    keep_out_of_caches(message)
            elif message["type"] == "http.response.body" and transport == "rest" and status >= 400:
                error_body.append(message.get("body", b""))
            await send(message)

        try:
            # A query string no URL can be built from, refused before anything reads it.
            refused = query_refusal(scope)
            if refused is not None:
                await refused(scope, receive, observe_send)
            else:
                await self.app(scope, receive, observe_send)
        except Exception as error:
            failing = True
            if responding:  # too late for an answer: the server ends the response
                logger.exception("request failed")
                status = 500
                raise
            # Logged once, with its traceback and the id the answer quotes; not raised on, so
            # neither Starlette nor the server answers in plain text or logs it again.
            await self.failure_response(scope, error)(scope, receive, observe_send)
        except BodyRefused as refused:
            if responding:  # too late for its answer: the server ends the connection
                raise
            await refused.answer(scope, receive, observe_send)
        finally:
            self.metrics.in_progress.dec()
            seconds = self.clock() - started
            if transport == "rest":
                observation.operation = self.rest_operation(scope["method"], app_path(scope))
                if error_body and not replaced:
                    observation.error_codes.extend(rest_error_codes(b"".join(error_body)))
            if replaced:
                lost = observation.database_unavailable is not None
                observation.error_codes = [UNAVAILABLE if lost else Codes.STATEMENT_TIMEOUT]
            outcome = outcome_of(status, observation)
            self.metrics.observe(
                transport,
                observation.operation,
                outcome,
                seconds,
                observation.error_codes,
                observation.execution_path,
                observation.fallback_reason,
            )
            # The line's fields are built only when it is written: the access log is at
            # INFO, and a deployment logging warnings and up builds none (issue 16).
            if logger.isEnabledFor(logging.INFO):
                logger.info(
                    "%s %s %s",
                    scope["method"],
                    scope["path"],
                    status,
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "transport": transport,
                        "operation": observation.operation,
                        "status": status,
                        "outcome": outcome,
                        "duration_ms": round(seconds * 1000, 3),
                        "error_codes": observation.error_codes,
                        "execution_path": observation.execution_path,
                        "fallback_reason": observation.fallback_reason,
                        "direct": observation.direct,
                    },
                )
            current_observation.reset(token)


#: The transports whose answers a failed database replaces with a 503. The health checks
#: answer their own (the reason a probe reads); an exception escaping on any path, its 500
#: not yet sent, is replaced alike.
_REPLACED = frozenset({"graphql", "rest"})


def retry_later_response(
    scope: Scope, unavailable: str | None, cancelled: str | None
) -> Response | None:
    """The 503 answering a request the database failed: ``unavailable`` (its reason, first)
    or ``cancelled`` a statement of it; None when neither."""
    if unavailable is not None:
        return unavailable_response(scope, unavailable)
    if cancelled is not None:
        return timed_out_response(scope, cancelled)
    return None


def _replacement(scope: Scope, observation: Observation, status: int) -> Response | None:
    """The 503 that replaces an answer (of ``status``) when the database failed it. Not a
    GraphQL answer that reports mutation fields committed before (or after) the failure
    (observability.database.note_commit): it holds their payloads, and the failed fields null
    with the 503's message and code (graphql.errors); a 503 would have the client run the
    whole operation again. An answer that is a failure anyway (5xx: an error outside
    execution, the request's timeout) holds nothing of them, and is replaced, but without
    Retry-After and saying that something committed (:func:`_retry_later`)."""
    if observation.mutation_committed and status < 500:
        return None
    return retry_later_response(
        scope, observation.database_unavailable, observation.statement_cancelled
    )


async def _no_body() -> Message:
    return {"type": "http.disconnect"}
