"""What every REST handler shares: the unit of work, reading input, building URLs.

The transport owns the transaction: one ``AsyncSession`` per request, committed when the
handler returns, rolled back when anything raises (the core only flushes), so a failed
request changes nothing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from orgql.asgi_headers import header
from orgql.auth.asgi import principal_of
from orgql.body_limit import BODY_CUT_SHORT
from orgql.consistency import committed, reading_engine, reads_from
from orgql.core.common import json_text
from orgql.core.common.errors import Codes, OrgqlError
from orgql.core.common.paging import MAX_OFFSET
from orgql.core.common.validation import unstorable_text_in
from orgql.core.history import service as history
from orgql.idempotency import claims as idempotency_claims
from orgql.rest.errors import (
    INTERNAL_ERROR,
    bad_request,
    error_response,
    unexpected_error_response,
)
from orgql.rest.render import Urls
from orgql.settings import Settings

#: Largest request body accepted; bigger ones get 413 before being read to the end.
MAX_BODY_BYTES = 1024 * 1024

SITE_HEADER = "x-ccsite"
_SITE_HEADER_BYTES = SITE_HEADER.encode("latin-1")  # its name in the scope's raw list

Endpoint = Callable[[Request], Awaitable[Response]]


class BodyTooLarge(OrgqlError):
    """Raised while reading a body past :data:`MAX_BODY_BYTES` (answered with 413)."""


def endpoint(*, internal_code: str = INTERNAL_ERROR) -> Callable[[Endpoint], Endpoint]:
    """Turn failures into errorModel responses: the core's errors as they are, anything else
    as a 500 carrying ``internal_code`` and a logged error id."""

    def decorate(handler: Endpoint) -> Endpoint:
        @functools.wraps(handler)
        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except BodyTooLarge as err:
                return error_response(err, 413)
            except OrgqlError as err:
                return error_response(err)
            except Exception as error:  # allow-list: only OrgqlError may speak to the caller
                where = f"{request.method} {request.url.path}"
                return unexpected_error_response(where, error, internal_code)

        return run

    return decorate


#: Methods that only read: their transaction records no history, so names no actor.
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


@asynccontextmanager
async def unit_of_work(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's transaction: on a read replica for a GET (docs/scaling.md), else on
    the primary, whose commit position then answers as the consistency token."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.state.sessionmaker
    reads = request.method in _READS
    engine = await reads_from(request.state, writes=not reads)
    async with sessionmaker(**({"bind": engine} if engine else {})) as session, session.begin():
        if not reads:
            await history.set_actor(session, history.actor_of(principal_of(request)))
        yield session
        # Last before the commit, in its transaction: an Idempotency-Key's run committed.
        await idempotency_claims.confirm(session, request.scope)
    if not reads:
        await committed(request.state)


@asynccontextmanager
async def primary_read(request: Request) -> AsyncIterator[AsyncSession]:
    """A read on the primary in a session of its own, its connection given back when the
    block ends: for a mutation that reads, then waits on something other than the database
    holding no connection (syncFinancialData's source), then writes in a unit_of_work."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.state.sessionmaker
    async with sessionmaker() as session:
        yield session


@asynccontextmanager
async def one_statement_read(request: Request) -> AsyncIterator[AsyncSession]:
    """The session of a GET that reads in one statement: no transaction (one statement
    sees one snapshot by itself), so no BEGIN and COMMIT round trips; on a read replica
    when there is one, as :func:`unit_of_work`'s reads."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.state.sessionmaker
    engine = await reading_engine(request.state, sessionmaker.kw["bind"], writes=False)
    async with sessionmaker(bind=engine) as session:
        yield session


async def one_statement_engine(request: Request) -> AsyncEngine:
    """Where a GET that reads in one statement on a pooled driver connection reads (the REST
    snapshots, core.organizations.snapshots: db.raw.read_once, no session): a read replica
    when there is one, as :func:`unit_of_work`'s reads, else the primary. The engine itself,
    not its AUTOCOMMIT copy (consistency.reading_engine, :func:`one_statement_read`): that
    option acts on a session's connection, and a driver connection read on is in no
    transaction; finding the copy cost 0.6% of a read by id."""
    primary: AsyncEngine = _lifespan(request)["sessionmaker"].kw["bind"]
    return await reads_from(request.state, writes=False) or primary


def _lifespan(request: Request) -> Mapping[str, Any]:
    """The lifespan state (app.State) as the request's scope holds it. ``request.state.name``
    finds a name only after Python's own lookup failed (Starlette's ``State`` answers from
    ``__getattr__``), raising and formatting an AttributeError first: some 7,000 instructions
    a name, 0.6% of a read by id each."""
    state: Mapping[str, Any] = request.scope["state"]
    return state


class JSONBytes(Response):
    """A 200 answer of JSON already written, with the headers Starlette's ``Response`` gives
    it, in its order (``headers``, then content-length and content-type), made without its
    general path (each header lower-cased and encoded, the list searched for the two it
    adds): 1.5% of a REST read by id. Sent as any Response."""

    media_type = "application/json"

    def __init__(self, body: bytes, headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
        self.status_code = 200
        self.background = None
        self.body = body
        length = (b"content-length", str(len(body)).encode("latin-1"))
        self.raw_headers = [*headers, length, _JSON_CONTENT_TYPE]


_JSON_CONTENT_TYPE = (b"content-type", b"application/json")


def site_id(request: Request) -> str | None:
    """The ``x-ccsite`` header: the site whose values are read or written (None: default).
    Read from the scope's raw list, as ``request.headers.get`` answers: most requests send
    none, which ``Headers.get`` finds by raising and catching a KeyError."""
    value = header(request.scope, _SITE_HEADER_BYTES)
    return (value.strip() or None) if value is not None else None


def urls(request: Request) -> Urls:
    settings: Settings = _lifespan(request)["settings"]
    if settings.public_base_url:
        return _configured_urls(settings.public_base_url, settings.media_path)
    return Urls(base=str(request.base_url).rstrip("/"), media_path=settings.media_path)


@functools.cache
def _configured_urls(public_base_url: str, media_path: str) -> Urls:
    """The URLs of a deployment with a public base URL: the same for every request."""
    return Urls(base=public_base_url.rstrip("/"), media_path=media_path)


def request_href(request: Request) -> str:
    """The request's own URL, on the configured public base when there is one."""
    settings: Settings = _lifespan(request)["settings"]
    if settings.public_base_url is None:
        return str(request.url)
    # The path and query as ``request.url`` writes them, from the scope: building that URL
    # (the host header parsed, the whole URL split again) was 3% of a REST read by id.
    scope = request.scope
    path = scope["path"].replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")
    query_string: bytes = scope.get("query_string", b"")
    query = f"?{query_string.decode()}" if query_string else ""
    return f"{settings.public_base_url.rstrip('/')}{path}{query}"


def single_param(request: Request, name: str, normalise: Callable[[str], str] = str) -> str | None:
    """The value of the single-valued query parameter ``name`` (``normalise``d: the values
    that count as one), None when absent. Sent more than once with different values
    (``?sort=name&sort=-name``) is 100002 at ``name``: answering by one of them would hide
    that the caller asked for two things. Every single-valued query parameter of the REST
    routes is read here (``limit``, ``offset``, ``q``, ``sort``, ``dryRun``, ...)."""
    values = {normalise(raw) for raw in request.query_params.getlist(name)}
    if len(values) > 1:
        raise bad_request(f"{name} was given more than one value: send it once", name)
    return next(iter(values), None)


#: A query parameter's whole number: ASCII digits, optionally after a minus sign (the range
#: is the caller's check), and nothing else: no spaces (a ``+`` written in a query string is
#: a space, so ``limit=+1`` is `` 1``). Not ``int()``'s rule, which also strips spaces and
#: takes other scripts' digits (a fullwidth ``1``, U+FF11; Arabic-Indic ``3``, U+0663),
#: underscores (``1_0``) and a plus sign.
_WHOLE_NUMBER = re.compile(r"-?[0-9]+")
#: What a number of more digits than the largest bound (MAX_OFFSET) is read as: a value
#: past every bound, so that the caller's range check refuses it naming its bound (Python
#: converts no more than 4,300 digits, and need not convert any of them).
_PAST_EVERY_BOUND = MAX_OFFSET + 1
_MOST_DIGITS = len(str(MAX_OFFSET))


def int_param(request: Request, name: str, default: int) -> int:
    """The query parameter ``name`` as a whole number written in ASCII digits (``default``
    when absent or empty); anything else is 100002 at ``name``. A number too long to be
    within any bound is read as one past every bound, for the caller's range check. Every
    integer query parameter of the REST routes (``limit``, ``offset``) is read here."""
    raw = single_param(request, name)
    if raw is None or raw == "":
        return default
    if _WHOLE_NUMBER.fullmatch(raw) is None:
        raise bad_request(
            f"{name} must be a whole number in ASCII digits, with no spaces and no sign but"
            f" a minus: {raw[:40]!r}",
            name,
        )
    if len(raw.lstrip("-").lstrip("0")) > _MOST_DIGITS:
        return -_PAST_EVERY_BOUND if raw.startswith("-") else _PAST_EVERY_BOUND
    return int(raw, 10)


def bool_param(request: Request, name: str, default: bool) -> bool:
    """A boolean query parameter: absent is ``default``; otherwise every value sent must be
    ``true`` or ``false`` (any case) and all the same. Empty, unrecognised or contradictory
    (``?dryRun=true&dryRun=false``) is 100002 at ``name``: guessing could write for real
    what the caller asked to be a dry run."""
    value = single_param(request, name, lambda raw: raw.strip().lower())
    if value is None:
        return default
    if value not in ("true", "false"):
        raise bad_request(f"{name} must be true or false: {value[:40]!r}", name)
    return value == "true"


def check_parameter_names(
    request: Request, meant_by_lower: Mapping[str, str], code: str = Codes.INVALID_INPUT
) -> None:
    """Every route's query parameters are checked here first (rest/operation.Resource): a
    name that is one of the route's names (``meant_by_lower``: by their lower-case form) in
    another case (``dryrun``, ``DryRun`` for ``dryRun``) is ``code`` (the route's invalid
    input: 100002, 101001 on the organization requests routes) at that name, naming the
    right one. Other unknown names are ignored, as the vendor does; but a case slip would
    otherwise be ignored silently too, and a ``PUT ...?dryrun=true`` write for real."""
    for sent in request.query_params:
        meant = meant_by_lower.get(sent.lower())
        if meant is not None and meant != sent:
            raise OrgqlError(
                code,
                f"{sent[:40]}: did you mean {meant}? Query parameter names are case-sensitive",
                sent[:40],
            )


def refuse_q(request: Request, what: str, instead: str) -> None:
    """The vendor's lists take a SCIM-style ``q`` filter; a list of ours without one refuses
    a non-blank ``q`` (100002 at ``q``, telling ``instead``) rather than ignoring it and
    answering every item of ``what`` as if they matched."""
    if any(value.strip() for value in request.query_params.getlist("q")):
        raise bad_request(f"q is not supported on {what}: {instead}", "q")


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise _too_large()
            chunks.append(chunk)
    except ClientDisconnect:  # the client left mid-body: run nothing of a part of a request
        raise bad_request(BODY_CUT_SHORT) from None
    return b"".join(chunks)


#: The raw body, read to at most :data:`MAX_BODY_BYTES` (BodyTooLarge past it).
read_body = _read_body


def _too_large() -> BodyTooLarge:
    return BodyTooLarge(
        Codes.INVALID_INPUT, f"the request body is larger than {MAX_BODY_BYTES} bytes"
    )


def _check_text(value: object) -> None:
    """Strings must be storable: no NUL characters and valid Unicode (PostgreSQL text)."""
    problem = unstorable_text_in(value)
    if problem is not None:
        raise bad_request(f"the request body holds {problem}")


async def read_json_object(request: Request, *, optional: bool = False) -> dict[str, object]:
    """The body as a JSON object; anything else is the caller's error (100002, 413).

    With ``optional``, an empty body (every field of the request is optional) reads as {}."""
    content_type = request.headers.get("content-type")
    if content_type is not None and not _is_json(content_type):
        raise bad_request(f"the request body must be application/json, not {content_type[:80]!r}")
    body = await _read_body(request)
    if optional and not body.strip():
        return {}
    try:
        doc = json_text.loads_body(body)
    except (ValueError, RecursionError):  # JSONDecodeError and bad UTF-8 are ValueErrors
        raise bad_request("the request body is not valid JSON") from None
    if not isinstance(doc, dict):
        raise bad_request("the request body must be a JSON object")
    _check_text(doc)
    return doc


def path_id(request: Request, name: str = "id") -> str:
    """A repository id from the path. PostgreSQL text cannot hold NUL, so an id with one
    names nothing: NUL becomes U+FFFD, which no repository id contains, instead of an SQL
    error."""
    value: str = request.path_params[name]
    return value.replace("\x00", "\ufffd")
