"""Logged-out admin access tokens, shared by every process of every machine.

A logout writes the token's ``jti`` and expiry to ``revoked_tokens`` on the primary and, in
the same transaction, ``NOTIFY orgql_token_revoked``: PostgreSQL delivers the notification
to every listening process at commit, and never for a transaction that rolled back. Each
process keeps the unexpired revocations in memory (:mod:`orgql.auth.revocations`), loaded
from the table at start and after every reconnect, so that no request reads the table.

Rows are deleted once their token has expired (by each logout, in its transaction); at most
:data:`MAX_REVOKED_TOKENS` unexpired ones are held: past that, a logout is refused rather
than a revocation forgotten early.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.db.access_models import RevokedToken

#: The channel a logout notifies, the payload ``"<jti> <exp>"``.
CHANNEL = "orgql_token_revoked"
#: Unexpired revocations held at most (memory of every process: about 100 bytes each).
MAX_REVOKED_TOKENS = 100_000
#: The longest ``jti`` stored (ours are 16 hexadecimal digits).
MAX_TOKEN_ID = 64
#: Two logouts at once count the revocations one after the other (the bound holds).
_LOCK = 0x6F72_676C_6F75_74  # "orglout"

#: Every unexpired revocation: ``(jti, exp)`` rows (read by the listener, on the primary).
UNEXPIRED_SQL = (
    "SELECT jti, ceil(extract(epoch FROM expires_at))::bigint FROM revoked_tokens"
    " WHERE expires_at > now()"
)


class RevocationsFull(Exception):
    """:data:`MAX_REVOKED_TOKENS` unexpired revocations are held: none can be added."""


def valid_token_id(token_id: object) -> bool:
    """Whether ``token_id`` can be stored as a ``jti`` (every admin token carries one)."""
    return isinstance(token_id, str) and 0 < len(token_id) <= MAX_TOKEN_ID


def payload(token_id: str, expires: int) -> str:
    return f"{token_id} {expires}"


def parse_payload(value: str) -> tuple[str, int] | None:
    """``(jti, exp)`` of a notification's payload; None for one that is not ours."""
    token_id, _, expires = value.partition(" ")
    if not valid_token_id(token_id) or not expires.isdigit():
        return None
    return token_id, int(expires)


async def revoke(session: AsyncSession, token_id: str, expires: int) -> None:
    """Record the revocation of the token ``token_id`` until ``expires`` (its ``exp``, Unix
    seconds) and notify every process, in the caller's transaction (on the primary); the
    expired revocations are deleted first. :class:`RevocationsFull` past the bound."""
    assert valid_token_id(token_id)
    await session.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": _LOCK})
    await session.execute(delete(RevokedToken).where(RevokedToken.expires_at <= func.now()))
    held = await session.scalar(
        select(func.count()).select_from(
            select(RevokedToken.jti).limit(MAX_REVOKED_TOKENS).subquery()
        )
    )
    if (held or 0) >= MAX_REVOKED_TOKENS:
        raise RevocationsFull
    until = datetime.fromtimestamp(expires, UTC)
    await session.execute(
        insert(RevokedToken)
        .values(jti=token_id, expires_at=until)
        .on_conflict_do_nothing(index_elements=[RevokedToken.jti])
    )
    await session.execute(
        text("SELECT pg_notify(:channel, :payload)"),
        {"channel": CHANNEL, "payload": payload(token_id, expires)},
    )
