"""The rows of ``idempotency_keys`` while a run holds its key: claimed, confirmed by the run's
own write transaction, then finished (its answer kept) or abandoned (released).

Every statement after the claim names the claim's token: a run whose key was taken over
(its lease passed) changes nothing any more, and its write transaction is refused at
:func:`confirm`, so that of two runs of one key at most one commits.
"""

from __future__ import annotations

import secrets
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.errors import Codes, ErrorKind, OrgqlError
from orgql.db.access_models import IdempotencyKey

#: Where the running claim travels in the ASGI scope, for the transports' units of work.
CLAIM = "orgql.idempotency.claim"
#: Expired keys deleted with each claim: more than are claimed, so that they never pile up.
PRUNE_BATCH = 20
_PRUNE = text(
    "DELETE FROM idempotency_keys WHERE (owner, key) IN (SELECT owner, key"
    " FROM idempotency_keys WHERE created_at < now() - make_interval(secs => :ttl)"
    " ORDER BY created_at LIMIT :batch FOR UPDATE SKIP LOCKED)"
)


@dataclass
class Claim:
    """One run's hold on ``(owner, key)``. ``unexpected`` is set when the run's answer
    masks an unexpected failure (GraphQL answers those with 200)."""

    owner: str
    key: str
    #: Seconds the claim holds the key (renewed when the run commits).
    lease: float
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    unexpected: bool = False

    def row(self) -> tuple[Any, ...]:
        return (
            IdempotencyKey.owner == self.owner,
            IdempotencyKey.key == self.key,
            IdempotencyKey.claim == self.token,
        )


def _seconds(seconds: float) -> Any:
    return func.make_interval(0, 0, 0, 0, 0, 0, seconds)


async def take(session: AsyncSession, claim: Claim, request_hash: str, *, ttl: float) -> bool:
    """INSERT the key, or take it over in the same statement (so that of two takers one
    wins): when it is older than ``ttl``, or when its run is dead (no answer, nothing
    committed, lease passed). Deletes a few expired keys of anyone. True: claimed."""
    table = IdempotencyKey
    lease_until = func.now() + _seconds(claim.lease)
    new = insert(table).values(
        owner=claim.owner,
        key=claim.key,
        request_hash=request_hash,
        claim=claim.token,
        lease_until=lease_until,
    )
    statement = new.on_conflict_do_update(
        index_elements=[table.owner, table.key],
        set_={
            "request_hash": new.excluded.request_hash,
            "status": None,
            "headers": None,
            "body": None,
            "created_at": func.now(),
            "claim": new.excluded.claim,
            "lease_until": lease_until,
            "committed_at": None,
        },
        where=or_(table.created_at < func.now() - _seconds(ttl), _dead()),
    ).returning(table.key)
    claimed = await session.scalar(statement)
    await session.execute(_PRUNE, {"ttl": ttl, "batch": PRUNE_BATCH})
    return claimed is not None


def _dead() -> Any:
    """A run that died: no answer, nothing committed, its lease passed."""
    return and_(
        IdempotencyKey.status.is_(None),
        IdempotencyKey.committed_at.is_(None),
        # NULL: a claim from before leases existed (migration 0015)
        func.coalesce(IdempotencyKey.lease_until, text("'-infinity'")) < func.now(),
    )


async def first(
    session: AsyncSession, owner: str, key: str, *, ttl: float | None = None
) -> tuple[IdempotencyKey, bool] | None:
    """The key's row (younger than ``ttl`` when given), and whether its run's lease still
    holds (by the database's clock)."""
    where = [IdempotencyKey.owner == owner, IdempotencyKey.key == key]
    if ttl is not None:
        where.append(IdempotencyKey.created_at >= func.now() - _seconds(ttl))
    running = func.coalesce(IdempotencyKey.lease_until, text("'-infinity'")) > func.now()
    row = (await session.execute(select(IdempotencyKey, running).where(*where))).one_or_none()
    return None if row is None else (row[0], bool(row[1]))


async def kept(
    session: AsyncSession, owner: str, key: str, *, ttl: float
) -> tuple[IdempotencyKey, bool] | None:
    """The key's row under an ``owner`` no new claim takes (an anonymous key kept before
    its fingerprint counted the preconditions), if it still answers: a dead run's row is
    deleted, as :func:`take` would have taken it over (its run can commit nothing after),
    and an expired one is None; the caller then claims the key under its current owner."""
    await session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.owner == owner, IdempotencyKey.key == key, _dead()
        )
    )
    return await first(session, owner, key, ttl=ttl)


async def confirm(session: AsyncSession, scope: MutableMapping[str, Any]) -> None:
    """Called by a transport's unit of work just before it commits: records, in the same
    transaction, that the run's changes are committed, so that no retry runs them again
    (even if this process dies before the answer is kept), and renews the lease for the
    little left to do. A run whose key was taken over meanwhile is refused here, and its
    transaction rolls back. (Both units of work call it: no request commits elsewhere.)"""
    claim: Claim | None = scope.get(CLAIM)
    if claim is None:
        return
    confirmed = await session.scalar(
        update(IdempotencyKey)
        .where(*claim.row())
        .values(committed_at=func.now(), lease_until=func.clock_timestamp() + _seconds(claim.lease))
        .returning(IdempotencyKey.key)
    )
    if confirmed is None:
        raise OrgqlError(
            Codes.INVALID_INPUT,
            "a retry with this Idempotency-Key took it over; this request changed nothing",
            "Idempotency-Key",
            ErrorKind.CONFLICT,
        )


def note_unexpected(scope: MutableMapping[str, Any]) -> None:
    """The answer being built masks an unexpected failure: it is not one to keep."""
    claim: Claim | None = scope.get(CLAIM)
    if claim is not None:
        claim.unexpected = True


async def finish(
    session: AsyncSession,
    claim: Claim,
    status: int,
    headers: dict[str, str],
    body: bytes,
    *,
    if_committed: bool = False,
) -> None:
    """Keep the run's answer: from now on retries get it again. ``if_committed``: only if
    the run's changes were committed (an answer masking a failure is kept only then)."""
    where = [*claim.row()]
    if if_committed:
        where.append(IdempotencyKey.committed_at.is_not(None))
    await session.execute(
        update(IdempotencyKey)
        .where(*where)
        .values(status=status, headers=headers, body=body, lease_until=None)
    )


async def abandon(session: AsyncSession, claim: Claim) -> None:
    """The run failed (an exception, a cancellation, a 5xx): release its key, so that a
    retry runs anew. If its changes were committed all the same, the key stays, its lease
    ended: a retry is told so (410) rather than run them twice."""
    unanswered = IdempotencyKey.status.is_(None)
    await session.execute(
        delete(IdempotencyKey).where(
            *claim.row(), unanswered, IdempotencyKey.committed_at.is_(None)
        )
    )
    await session.execute(
        update(IdempotencyKey)
        .where(*claim.row(), unanswered, IdempotencyKey.committed_at.is_not(None))
        .values(lease_until=func.now())
    )
