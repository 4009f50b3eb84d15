"""ORM models of admin access: application keys and the idempotency keys of mutations.

Kept apart from :mod:`orgql.db.models` (one concept per module); migrations own the schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Index, LargeBinary, SmallInteger, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from orgql.db.models import Base, _created_at


class AppKey(Base):
    """An admin client's application key; only a hash of its secret part is stored."""

    __tablename__ = "app_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(254))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = _created_at()
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (CheckConstraint("length(secret_hash) = 64", name="secret_hash_sha256"),)


class IdempotencyKey(Base):
    """The first answer to a mutation sent with an ``Idempotency-Key`` header, or the claim
    of the run still computing it (status NULL); see :mod:`orgql.idempotency`."""

    __tablename__ = "idempotency_keys"

    owner: Mapped[str] = mapped_column(String(80), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(SmallInteger)
    headers: Mapped[Any] = mapped_column(JSONB)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = _created_at()
    #: The running claim's own token: a run taken over (lease passed) touches nothing after.
    claim: Mapped[str | None] = mapped_column(String(32))
    #: Until when the running claim holds the key; after it, its process is taken for dead.
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Set by the run's own write transaction: its changes are committed (never run again).
    committed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_idempotency_keys_created_at", "created_at"),)


class RevokedToken(Base):
    """An admin access token logged out, by its ``jti``, refused until ``expires_at`` (its
    ``exp``), after which the row is deleted (:mod:`orgql.core.access.revocations`)."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("length(jti) BETWEEN 1 AND 64", name="jti_bounded"),
        Index("ix_revoked_tokens_expires_at", "expires_at"),
    )
