"""``Idempotency-Key`` on mutations (REST POST/PUT/PATCH/DELETE and GraphQL POSTs).

The first request with a key runs and its answer is stored; a retry with the same key and
the same request (method, path, query, body) gets that answer again and changes nothing;
the same key with a different request is refused (422). While the first still runs, a
retry gets 409. A 5xx answer is not kept, so the retry runs anew. Keys belong to the caller
(role and subject): one caller's key never answers another's request.

A key answers for ``ttl_seconds`` (ORGQL_IDEMPOTENCY_TTL_SECONDS, a day by default): after
that it is forgotten, and a request with it runs anew and takes the key over (in the one
statement that claims keys, so that of two such requests one runs and the other gets 409).
Each claim also deletes a few expired keys of any caller (PRUNE_BATCH), by the index on
their age (migration 0013): the table holds about a day of keys, not all of them.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orgql.auth.asgi import PRINCIPAL
from orgql.core.errors import Codes, ErrorKind, OrgqlError
from orgql.core.principals import ANONYMOUS, Principal
from orgql.db import access_models
from orgql.rest.errors import error_response

HEADER = "idempotency-key"
METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY = 255
#: Answer headers kept and replayed (the rest describe the transfer, not the answer).
KEPT_HEADERS = frozenset({"content-type", "location", "www-authenticate", "allow"})
#: Expired keys deleted with each claim: more than are claimed, so that they never pile up.
PRUNE_BATCH = 20
_PRUNE = text(
    "DELETE FROM idempotency_keys WHERE (owner, key) IN (SELECT owner, key"
    " FROM idempotency_keys WHERE created_at < now() - make_interval(secs => :ttl)"
    " ORDER BY created_at LIMIT :batch FOR UPDATE SKIP LOCKED)"
)


def _refusal(status: int, message: str) -> Response:
    kind = ErrorKind.CONFLICT if status == 409 else ErrorKind.INVALID
    return error_response(OrgqlError(Codes.INVALID_INPUT, message, "Idempotency-Key", kind), status)


class Idempotency:
    def __init__(self, app: ASGIApp, ttl_seconds: int) -> None:
        self.app = app
        self.ttl_seconds = ttl_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = Headers(scope=scope).get(HEADER) if scope["type"] == "http" else None
        if key is None or scope["method"] not in METHODS:
            await self.app(scope, receive, send)
            return
        if not 0 < len(key) <= MAX_KEY or not key.isprintable():
            await _refusal(400, f"an Idempotency-Key has 1 to {MAX_KEY} printable characters")(
                scope, receive, send
            )
            return
        body = await _read_all(receive)
        principal: Principal = scope.get(PRINCIPAL, ANONYMOUS)
        owner = f"{principal.role.value}:{principal.subject or ''}"[:80]
        digest = hashlib.sha256()
        for part in (scope["method"], scope["path"], scope.get("query_string", b"").decode()):
            digest.update(part.encode("utf-8", "replace") + b"\0")
        digest.update(body)
        request_hash = digest.hexdigest()
        sessionmaker: async_sessionmaker[AsyncSession] = scope["state"]["sessionmaker"]

        async with sessionmaker() as session, session.begin():
            claimed = await session.scalar(self._claim(owner, key, request_hash))
            await session.execute(_PRUNE, {"ttl": self.ttl_seconds, "batch": PRUNE_BATCH})
            first = None
            if claimed is None:
                first = await session.scalar(
                    select(access_models.IdempotencyKey).where(
                        access_models.IdempotencyKey.owner == owner,
                        access_models.IdempotencyKey.key == key,
                    )
                )
        if first is not None:
            await _answer_again(first, request_hash)(scope, receive, send)
            return

        status, headers, answer = await _run(self.app, scope, body)
        where = (
            access_models.IdempotencyKey.owner == owner,
            access_models.IdempotencyKey.key == key,
        )
        async with sessionmaker() as session, session.begin():
            if status >= 500:  # not an answer to keep: the retry runs anew
                await session.execute(delete(access_models.IdempotencyKey).where(*where))
            else:
                kept = {name: value for name, value in headers if name in KEPT_HEADERS}
                await session.execute(
                    update(access_models.IdempotencyKey)
                    .where(*where)
                    .values(status=status, headers=kept, body=answer)
                )
        await _send(send, status, headers, answer)

    def _claim(self, owner: str, key: str, request_hash: str) -> Any:
        """INSERT the key, or take over an expired one; RETURNING the key when claimed."""
        table = access_models.IdempotencyKey
        claim = insert(table).values(owner=owner, key=key, request_hash=request_hash)
        expired = table.created_at < func.now() - func.make_interval(
            0, 0, 0, 0, 0, 0, self.ttl_seconds
        )
        return claim.on_conflict_do_update(
            index_elements=[table.owner, table.key],
            set_={
                "request_hash": claim.excluded.request_hash,
                "status": None,
                "headers": None,
                "body": None,
                "created_at": func.now(),
            },
            where=expired,
        ).returning(table.key)


def _answer_again(first: access_models.IdempotencyKey, request_hash: str) -> Response:
    if first.request_hash != request_hash:
        return _refusal(422, "this Idempotency-Key was used for a different request")
    if first.status is None:
        return _refusal(409, "the first request with this Idempotency-Key is still running")
    headers = dict(first.headers or {})
    headers["idempotency-replayed"] = "true"
    return Response(first.body or b"", status_code=first.status, headers=headers)


async def _read_all(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _run(app: ASGIApp, scope: Scope, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    """Run ``app`` on the buffered request; its whole answer, buffered."""
    sent = False
    status = 500
    headers: list[tuple[str, str]] = []
    chunks: list[bytes] = []

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
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
    return status, headers, b"".join(chunks)


async def _send(send: Send, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})
