"""The ASGI middleware of ``Idempotency-Key`` (the rules: :mod:`orgql.idempotency`)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import Headers, State
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orgql.asgi_headers import header_values
from orgql.auth.asgi import PRINCIPAL
from orgql.auth.endpoints import TOKEN_URL_PATHS
from orgql.body_limit import BODY_CUT_SHORT
from orgql.consistency import committed
from orgql.core.access.principals import ANONYMOUS, Principal, Role
from orgql.core.common.errors import Codes, ErrorKind, OrgqlError
from orgql.db.access_models import IdempotencyKey
from orgql.edge_errors import BAD_REQUEST, app_path, refusal
from orgql.idempotency import claims

logger = logging.getLogger("orgql.idempotency")

HEADER = "idempotency-key"
_HEADER_KEY = HEADER.encode()
METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY = 255
#: Length of the ``owner`` column.
MAX_OWNER = 80
#: Answer headers kept and replayed (the rest describe the transfer, not the answer).
KEPT_HEADERS = frozenset({"content-type", "location", "www-authenticate", "allow"})
#: Headers that make another request of the same method, path, query and body.
HASHED_HEADERS = ("x-ccsite",)
#: The preconditions a request may carry (a PUT's ``If-Match``): another one is another
#: request (a stale If-Match's 412 is no answer to the right one). Counted when sent only.
CONDITIONAL_HEADERS = ("if-match", "if-none-match", "if-unmodified-since")
#: What an anonymous caller may authenticate with: part of its keys' scope.
CREDENTIAL_HEADERS = ("authorization", "cookie")
#: Larger answers are not kept (a key is for a mutation; a big query answer is run again).
MAX_KEPT_BYTES = 1024 * 1024
#: Seconds to wait before retrying when the key could not be claimed.
RETRY_AFTER = "5"


#: GraphQL error codes of the refusals on /graphql (its clients expect GraphQL errors).
GRAPHQL_CODES = {400: BAD_REQUEST, 409: "CONFLICT", 410: "GONE", 422: BAD_REQUEST}


@dataclass(frozen=True)
class Refusal:
    """A refusal of the key, in the shape of the transport asked: an errorModel (REST,
    ``errorCode`` 100002, or 503) or a GraphQL error body on ``/graphql``."""

    status: int
    message: str

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {"Retry-After": RETRY_AFTER} if self.status == 503 else None
        if self.status == 503:
            err = OrgqlError("503", self.message, None, ErrorKind.INTERNAL)
        else:
            kind = ErrorKind.CONFLICT if self.status == 409 else ErrorKind.INVALID
            err = OrgqlError(Codes.INVALID_INPUT, self.message, "Idempotency-Key", kind)
        code = GRAPHQL_CODES.get(self.status, "UNAVAILABLE")
        response = refusal(scope, err, self.status, code, headers, field="Idempotency-Key")
        await response(scope, receive, send)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class Idempotency:
    def __init__(self, app: ASGIApp, ttl_seconds: float, lease_seconds: float) -> None:
        self.app = app
        self.ttl_seconds = ttl_seconds
        self.lease_seconds = lease_seconds
        self._settling: set[asyncio.Task[None]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The header is looked for in the requests that may write only (a read passes
        # through without its headers scanned). The token endpoints are exempt: issuing a
        # token again is harmless, and a token is a secret no table keeps (a replay would
        # hand it to whoever sends the key again).
        writes = scope["type"] == "http" and scope["method"] in METHODS
        keys = header_values(scope, _HEADER_KEY) if writes else []
        if not keys or app_path(scope) in TOKEN_URL_PATHS:
            await self.app(scope, receive, send)
            return
        if len(keys) > 1:  # which one would the retry send? Neither is to be guessed
            await Refusal(400, "a request has one Idempotency-Key")(scope, receive, send)
            return
        key = keys[0]
        if not 0 < len(key) <= MAX_KEY or not key.isprintable():
            await Refusal(400, f"an Idempotency-Key has 1 to {MAX_KEY} printable characters")(
                scope, receive, send
            )
            return
        headers = Headers(scope=scope)  # read once, by everything below
        body = await _read_whole_body(headers, receive)
        if body is None:  # never run a part of a request, nor claim its key with it
            await Refusal(400, BODY_CUT_SHORT)(scope, receive, send)
            return
        fingerprint = _fingerprint(scope, headers, body)
        claim = claims.Claim(fingerprint.owner, key, self.lease_seconds)
        sessionmaker: async_sessionmaker[AsyncSession] = scope["state"]["sessionmaker"]

        try:
            refusal = await self._claim(sessionmaker, claim, fingerprint)
        except Exception as error:  # e.g. a lock wait past statement_timeout: nothing ran
            logger.warning("an Idempotency-Key could not be claimed: %s", type(error).__name__)
            refusal = Refusal(503, "the Idempotency-Key could not be claimed; retry later")
        if refusal is not None:
            if _tells_of_a_commit(refusal):
                # The first run committed: the answer carries a consistency token at or past
                # its commit (the first answer's token went with it), so that the caller's
                # next read sees the change on a replica too (docs/scaling.md).
                await committed(State(scope["state"]))
            await refusal(scope, receive, send)
            return
        try:
            answer = await _run(self.app, {**scope, claims.CLAIM: claim}, receive, body)
        except BaseException:
            # It raised, or was cancelled (client gone, timeout, shutdown): release the key,
            # shielded from the cancellation, in a transaction of its own.
            await self._shielded(_settle(sessionmaker, claim, None))
            raise
        await self._shielded(_settle(sessionmaker, claim, answer))
        await _send(send, answer)

    async def _shielded(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` to its end even if this task is cancelled meanwhile (the task is
        held until then: the event loop keeps only weak references to tasks)."""
        task = asyncio.ensure_future(work)
        self._settling.add(task)
        task.add_done_callback(self._settling.discard)
        await asyncio.shield(task)

    async def _claim(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        claim: claims.Claim,
        fingerprint: Fingerprint,
    ) -> ASGIApp | None:
        """Claim the key; None when claimed, else the answer to give instead of running."""
        ttl = self.ttl_seconds
        for _ in range(3):  # the key's row may go between the two statements (released)
            async with sessionmaker() as session, session.begin():
                earlier = None
                if fingerprint.legacy_owner is not None:
                    earlier = await claims.kept(
                        session, fingerprint.legacy_owner, claim.key, ttl=ttl
                    )
                if earlier is None:
                    if await claims.take(session, claim, fingerprint.current, ttl=ttl):
                        return None
                    earlier = await claims.first(session, claim.owner, claim.key)
            if earlier is not None:
                return _answer_again(*earlier, fingerprint)
        return Refusal(409, "the first request with this Idempotency-Key is still running")


async def _settle(
    sessionmaker: async_sessionmaker[AsyncSession], claim: claims.Claim, answer: Answer | None
) -> None:
    """Keep the run's answer, or release its key (its own short transaction)."""
    try:
        async with sessionmaker() as session, session.begin():
            if answer is None or not _keepable(answer):
                # No answer to keep: a retry runs anew (unless the run committed).
                await claims.abandon(session, claim)
                return
            kept = {name: value for name, value in answer.headers if name in KEPT_HEADERS}
            await claims.finish(
                session, claim, answer.status, kept, answer.body, if_committed=claim.unexpected
            )
            if claim.unexpected:  # kept only if its changes were committed
                await claims.abandon(session, claim)
    except Exception as error:  # the answer still goes out; the lease frees the key later
        logger.warning("an Idempotency-Key was not settled: %s", type(error).__name__)


def _keepable(answer: Answer) -> bool:
    """An answer a retry may get again: not a failure (5xx), not too large, and not one
    that must never be stored (``Cache-Control: no-store``: the login's access token; a
    replay would hand the token to whoever sends the key again)."""
    if answer.status >= 500 or len(answer.body) > MAX_KEPT_BYTES:
        return False
    cache_control = ",".join(value for name, value in answer.headers if name == "cache-control")
    return "no-store" not in cache_control.lower()


def _owner(principal: Principal, request_hash: str, headers: Headers) -> str:
    """Whose key it is: the admin application key or the shopper.

    An anonymous caller (the storefront's registration) has no identity to scope by (a
    client address is shared behind proxies and NATs): its keys are scoped by the request
    itself, so a key answers only the very same request (method, path, query, body, site),
    and the same key with another request is simply another key, never 422 nor another
    caller's answer: one visitor can neither read nor block another's key, and seeing an
    answer again needs the whole request and its key. Refusing anonymous keys instead
    would leave the storefront's retries open to double submission."""
    if principal.role is Role.ANONYMOUS or not principal.subject:
        # The credentials it sent (an application key to the login, cookies) are part of
        # the request: never shared by a caller who does not hold them.
        digest = hashlib.sha256(request_hash.encode())
        for name in CREDENTIAL_HEADERS:
            digest.update(b"\0" + headers.get(name, "").encode("utf-8", "replace"))
        return f"{Role.ANONYMOUS.value}:{digest.hexdigest()}"
    owner = f"{principal.role.value}:{principal.subject}"
    if len(owner) > MAX_OWNER:  # never cut: two long subjects would share their keys
        subject = hashlib.sha256(principal.subject.encode("utf-8", "replace")).hexdigest()
        owner = f"{principal.role.value}#{subject}"
    return owner


@dataclass(frozen=True)
class Fingerprint:
    """The request's fingerprint and the key's owner, and those it had before the
    preconditions counted (d6f5cce) when they differ (it sent one).

    A key kept before that deploy by a request with ``If-Match`` holds the fingerprint
    without it (and, for an anonymous caller, the owner derived from that): its retry with
    the same If-Match must get the kept answer, not 422 (nor, anonymous, run again). This
    weakens no refusal of a different precondition: a key kept since holds the fingerprint
    with its preconditions, which no request's legacy fingerprint equals (a key first used
    without one does answer a retry with one, as before they counted). The legacy
    acceptance can go ORGQL_IDEMPOTENCY_TTL_SECONDS (a day) after every deployment runs
    this version: no key from before is kept longer."""

    current: str
    owner: str
    legacy: str | None = None
    #: Where an anonymous caller's legacy key is (another owner); None otherwise.
    legacy_owner: str | None = None

    def answers(self, kept: str) -> bool:
        return kept in (self.current, self.legacy)


def _fingerprint(scope: Scope, headers: Headers, body: bytes) -> Fingerprint:
    """The legacy fingerprint (a second hash of the body) only for a request that sent a
    precondition: without one it is the current fingerprint. ``headers``: the scope's."""
    principal: Principal = scope.get(PRINCIPAL, ANONYMOUS)
    current = _request_hash(scope, headers, body)
    owner = _owner(principal, current, headers)
    if not any(name in headers for name in CONDITIONAL_HEADERS):
        return Fingerprint(current, owner)
    legacy = _request_hash(scope, headers, body, preconditions=False)
    legacy_owner = _owner(principal, legacy, headers)
    return Fingerprint(current, owner, legacy, None if legacy_owner == owner else legacy_owner)


def _request_hash(
    scope: Scope, headers: Headers, body: bytes, *, preconditions: bool = True
) -> str:
    """What makes a request the same request: its method, path, query, site, preconditions
    and body (draft-ietf-httpapi-idempotency-key-header: the key's fingerprint). A
    precondition counts only when sent, each of its lines: a request without one hashes as
    before they counted, so a key kept then still answers its retry (one with a
    precondition: :class:`Fingerprint`)."""
    digest = hashlib.sha256()
    parts = [scope["method"], scope["path"], scope.get("query_string", b"").decode("latin-1")]
    parts.extend(headers.get(name, "") for name in HASHED_HEADERS)
    if preconditions:
        parts.extend(
            f"{name}: {value}" for name in CONDITIONAL_HEADERS for value in headers.getlist(name)
        )
    for part in parts:
        digest.update(part.encode("utf-8", "replace") + b"\0")
    digest.update(body)
    return digest.hexdigest()


def _tells_of_a_commit(answer: ASGIApp) -> bool:
    """The first run's answer again, or the 410 saying its changes were made."""
    return isinstance(answer, Response) or (isinstance(answer, Refusal) and answer.status == 410)


def _answer_again(first: IdempotencyKey, running: bool, fingerprint: Fingerprint) -> ASGIApp:
    if not fingerprint.answers(first.request_hash):
        return Refusal(422, "this Idempotency-Key was used for a different request")
    if first.status is None and (running or first.committed_at is None):
        return Refusal(409, "the first request with this Idempotency-Key is still running")
    if first.status is None:
        return Refusal(
            410,
            "the first request with this Idempotency-Key made its changes but its answer was"
            " lost; read the resource to see them",
        )
    headers = dict(first.headers or {})
    headers["idempotency-replayed"] = "true"
    return Response(first.body or b"", status_code=first.status, headers=headers)


async def _read_whole_body(headers: Headers, receive: Receive) -> bytes | None:
    """The request body; None when it was cut short: the client left before its last part
    (a retry with the same key then runs, not as "a different request"), or it is not the
    length its Content-Length says."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    declared = headers.get("content-length", "").strip()
    if declared.isascii() and declared.isdigit() and int(declared) != len(body):
        return None
    return body


async def _run(app: ASGIApp, scope: Scope, receive: Receive, body: bytes) -> Answer:
    """Run ``app`` on the buffered request; its whole answer, buffered."""
    sent = False
    status = 500
    headers: list[tuple[str, str]] = []
    chunks: list[bytes] = []

    async def replay() -> Message:
        nonlocal sent
        if sent:  # after the body: what the client does next (it may leave)
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def capture(message: Message) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = [
                (name.decode("latin-1").lower(), value.decode("latin-1"))
                for name, value in message.get("headers", [])
            ]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, replay, capture)
    return Answer(status, headers, b"".join(chunks))


async def _send(send: Send, answer: Answer) -> None:
    raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in answer.headers]
    await send({"type": "http.response.start", "status": answer.status, "headers": raw})
    await send({"type": "http.response.body", "body": answer.body, "more_body": False})
