"""The key that signs admin access tokens: from settings, or a development key on disk."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from orgql.settings import Settings

KEY_FILE = "auth-signing-key"
MIN_KEY_BYTES = 32


class SigningKeyError(Exception):
    """No usable signing key (production without ORGQL_AUTH_SIGNING_KEY, a short key)."""


def signing_key(settings: Settings) -> str:
    if settings.auth_signing_key is not None:
        key = settings.auth_signing_key.get_secret_value()
        if len(key.encode("utf-8")) < MIN_KEY_BYTES:
            raise SigningKeyError(f"ORGQL_AUTH_SIGNING_KEY must be {MIN_KEY_BYTES}+ bytes long")
        return key
    if settings.environment == "production":
        raise SigningKeyError("ORGQL_AUTH_SIGNING_KEY is required in production")
    return development_key(settings.data_dir / KEY_FILE)


def development_key(path: Path) -> str:
    """Read the key at ``path``, creating it (owner-only, exclusively) on first use."""
    try:
        return path.read_text("ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Written whole under a private name, then linked into place: a concurrent reader sees
    # no file or the whole key, and of two concurrent creators the first one wins.
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(key + "\n")
    try:
        os.link(draft, path)
    except FileExistsError:
        key = path.read_text("ascii").strip()
    finally:
        draft.unlink()
    return key
