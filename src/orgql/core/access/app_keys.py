"""Application keys of admin clients: created, listed, revoked, checked at login.

A key reads ``<id>.<secret>``; the id is public (listing, revoking), the secret is 256
random bits stored as its SHA-256 only, so a leaked table grants nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.errors import Codes, ErrorKind, OrgqlError, quoted
from orgql.db import access_models

MAX_NAME = 254


@dataclass(frozen=True)
class AppKeyInfo:
    id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _info(row: access_models.AppKey) -> AppKeyInfo:
    return AppKeyInfo(row.id, row.name, row.created_at, row.revoked_at)


async def create_app_key(session: AsyncSession, name: str) -> tuple[AppKeyInfo, str]:
    """A new key: its description and the key itself, which is shown this once only."""
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise OrgqlError(Codes.INVALID_INPUT, f"a key name has 1 to {MAX_NAME} characters", "name")
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    row = access_models.AppKey(id=key_id, name=name, secret_hash=_hash(secret))
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return _info(row), f"{key_id}.{secret}"


async def list_app_keys(session: AsyncSession) -> list[AppKeyInfo]:
    rows = await session.scalars(
        select(access_models.AppKey).order_by(access_models.AppKey.created_at)
    )
    return [_info(row) for row in rows]


async def revoke_app_key(session: AsyncSession, key_id: str) -> AppKeyInfo:
    """Revoke a key (harmless twice); tokens already issued live until they expire."""
    row = await session.scalar(
        update(access_models.AppKey)
        .where(access_models.AppKey.id == key_id)
        .values(revoked_at=func.coalesce(access_models.AppKey.revoked_at, func.now()))
        .returning(access_models.AppKey)
    )
    if row is None:
        raise OrgqlError(
            Codes.INVALID_INPUT, f"no application key {quoted(key_id)}", "id", ErrorKind.NOT_FOUND
        )
    return _info(row)


async def check_app_key(session: AsyncSession, key: str) -> str | None:
    """The id of the active key ``key`` is, else None (unknown, wrong secret, revoked)."""
    key_id, dot, secret = key.strip().partition(".")
    if not dot or not key_id or len(key_id) > 32 or not secret:
        return None
    row = await session.get(access_models.AppKey, key_id)
    if row is None or row.revoked_at is not None:
        return None
    return key_id if hmac.compare_digest(row.secret_hash, _hash(secret)) else None


async def is_active(session: AsyncSession, key_id: str) -> bool:
    row = await session.get(access_models.AppKey, key_id)
    return row is not None and row.revoked_at is None
