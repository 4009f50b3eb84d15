"""Queries over GET, as the GraphQL-over-HTTP specification describes them: ``query``,
``operationName``, ``variables`` and ``extensions`` (the last two JSON) as URL parameters,
so that browsers, proxies and CDNs can cache answers.

- A mutation over GET is not run: 405 with ``Allow: POST`` (the specification's answer).
- HEAD is answered as the GET without its body (RFC 9110): the same status and headers.
- A URL longer than ORGQL_GRAPHQL_GET_MAX_URL_BYTES is 414; the document limits
  (graphql.analysis, graphql.limits) and the JSON checks of graphql.request_body apply as
  they do to a POST.
- A 200 answer without errors carries a strong ``ETag`` (a hash of its bytes); a request whose
  ``If-None-Match`` names it is answered 304 with no body. The answer is computed either way
  (the caller's permissions may have changed): a 304 saves the transfer, not the work.
- No cache may give one caller's answer to another: an answer to a request with credentials
  (an ``Authorization`` header) is ``private``; every answer varies on ``Authorization`` and
  on ``x-ccsite`` (the site changes the values), and is ``no-cache`` (stored, but checked
  with the server each time, by its ETag). It varies on ``X-CCOrganization`` too: a
  shopper's ``viewer.currentOrganization`` (and ``currentAccount``) is the account that
  header names. An answer with errors, or any other status, is ``no-store``; so is a
  refusal before the operation runs (a malformed ``variables``, a URL too long, a mutation),
  as every error answer without a Cache-Control of its own is (observability.requests,
  by orgql.asgi_headers.keep_out_of_caches).
"""

from __future__ import annotations

import base64
import hashlib

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Send

from orgql.asgi_headers import NOT_STORED

#: The request headers an answer depends on (besides the URL).
VARY = "Authorization, x-ccsite, x-ccorganization"


class MutationOverGet(HTTPException):
    """A GET whose operation is a mutation (or a subscription): 405."""


def check_url(request: Request, max_bytes: int) -> None:
    """414 if the path and query string are longer than ``max_bytes``."""
    length = len(request.scope.get("raw_path") or b"") + len(request.scope.get("query_string", b""))
    if length > max_bytes:
        raise HTTPException(
            414, f"the URL is longer than {max_bytes} bytes: send the operation as a POST"
        )


def without_body(send: Send) -> Send:
    """``send`` for a HEAD answered as a GET (RFC 9110: the same status and headers, a
    Content-Length and ETag included): the body's messages carry no bytes."""

    async def send_head(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return send_head


def refuse_mutation(reason: str) -> MutationOverGet:
    return MutationOverGet(405, f"{reason}: send the operation as a POST")


def finish(request: Request, response: Response) -> Response:
    """The GET answer with its caching headers, or a 304 if the caller holds it already."""
    if response.media_type != "application/json" and not response.headers.get(
        "content-type", ""
    ).startswith("application/json"):
        return response  # GraphiQL's page
    response.headers["Vary"] = VARY
    if response.status_code != 200 or _has_errors(bytes(response.body)):
        response.headers["Cache-Control"] = NOT_STORED
        return response
    private = "authorization" in request.headers
    response.headers["Cache-Control"] = "private, no-cache" if private else "public, no-cache"
    tag = etag(bytes(response.body))
    response.headers["ETag"] = tag
    if _matches(request.headers.get("if-none-match"), tag):
        headers = {name: response.headers[name] for name in ("ETag", "Cache-Control", "Vary")}
        return Response(status_code=304, headers=headers)
    return response


def etag(body: bytes) -> str:
    digest = hashlib.sha256(body).digest()[:18]
    return '"' + base64.urlsafe_b64encode(digest).decode("ascii") + '"'


def _matches(if_none_match: str | None, tag: str) -> bool:
    """Whether If-None-Match names ``tag`` (weak comparison, as RFC 9110 asks for it)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(
        candidate.strip().removeprefix("W/") == tag for candidate in if_none_match.split(",")
    )


def _has_errors(body: bytes) -> bool:
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError:
        return True
    return not isinstance(answer, dict) or "errors" in answer
