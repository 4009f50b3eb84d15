"""The key that signs admin access tokens: from settings, or a development key on disk."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from orgql.settings import Settings

KEY_FILE = "auth-signing-key"
MIN_KEY_BYTES = 32
#: Mode of a data directory orgql creates: its key and embedded database are the user's alone.
PRIVATE_DIRECTORY = 0o700


class SigningKeyError(Exception):
    """No usable signing key (production without one, a short key, an unreadable file)."""


def signing_key(settings: Settings) -> str:
    configured = configured_key(settings)
    if configured is not None:
        key, origin = configured
        if len(key.encode("utf-8")) < MIN_KEY_BYTES:
            raise SigningKeyError(f"{origin} must be {MIN_KEY_BYTES}+ bytes long")
        return key
    if settings.environment == "production":
        raise SigningKeyError(
            "ORGQL_AUTH_SIGNING_KEY or ORGQL_AUTH_SIGNING_KEY_FILE is required in production"
        )
    return development_key(settings.data_dir / KEY_FILE)


def configured_key(settings: Settings) -> tuple[str, str] | None:
    """The key given in the settings, itself or in a file (a Docker secret), and where it
    was found (for messages; never the key)."""
    path = settings.auth_signing_key_file
    # An empty variable (`ORGQL_AUTH_SIGNING_KEY=`) is no key, as if unset.
    given = settings.auth_signing_key.get_secret_value() if settings.auth_signing_key else ""
    if path is None:
        return (given, "ORGQL_AUTH_SIGNING_KEY") if given else None
    if given:
        raise SigningKeyError("set ORGQL_AUTH_SIGNING_KEY or ORGQL_AUTH_SIGNING_KEY_FILE, not both")
    origin = f"the key in ORGQL_AUTH_SIGNING_KEY_FILE ({path})"
    try:
        # The newline `echo` or `print` ends the file with is not part of the key.
        return path.read_text("utf-8").strip(), origin
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SigningKeyError(
            f"cannot read ORGQL_AUTH_SIGNING_KEY_FILE ({path}): {reason}"
        ) from None
    except UnicodeDecodeError:
        raise SigningKeyError(f"{origin} is not UTF-8 text") from None


def development_key(path: Path) -> str:
    """Read the key at ``path``, creating it (owner-only, exclusively) on first use, in a data
    directory of the user's alone; a key file others can read is refused."""
    try:
        key = path.read_text("ascii").strip()
    except FileNotFoundError:
        pass
    else:
        _check_private(path)
        return key
    path.parent.mkdir(mode=PRIVATE_DIRECTORY, parents=True, exist_ok=True)
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


def _check_private(path: Path) -> None:
    """Whoever can read the development key signs admin tokens: refuse a key file other users
    can read or write, or that another user owns (a shared folder such as /tmp)."""
    if os.name != "posix":
        return
    status = path.stat()
    if status.st_mode & 0o077 or status.st_uid != os.getuid():
        raise SigningKeyError(
            f"{path} can be read by other users or is not yours: anyone who reads it can sign"
            f" admin tokens. Delete it (a new key is made; earlier tokens are then refused),"
            f" or make it yours alone (chmod 600)"
        )
