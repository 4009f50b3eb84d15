"""The webhook signature and the retry schedule (docs/change-events.md).

A delivery is signed with HMAC-SHA256 over ``f"{timestamp}.{body}"`` (the Unix time in
the ``Orgql-Timestamp`` header, a dot, the exact body bytes) keyed with the subscription's
secret, sent as ``Orgql-Signature: v1=<hex>``. The timestamp inside the signed text lets a
receiver refuse replays of an old delivery.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_VERSION = "v1"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``timestamp.body`` with ``secret``."""
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"{SIGNATURE_VERSION}={signature(secret, timestamp, body)}"


def verify(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """What a receiver does (in Python): any ``v1=`` entry matching, compared in constant
    time. Check the timestamp's age separately."""
    if not timestamp.isdigit():
        return False
    expected = signature(secret, int(timestamp), body)
    return any(
        hmac.compare_digest(expected, value)
        for version, _, value in (part.strip().partition("=") for part in header.split(","))
        if version == SIGNATURE_VERSION
    )


def backoff_delay(attempts: int, *, base: float, cap: float, jitter: float, rand: float) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt: ``base * 2**(attempts-1)``,
    at most ``cap``, then lowered by up to ``jitter`` of itself (``rand`` in [0, 1)), so
    receivers coming back are not hit by every subscription's retries at the same instant
    and a delay never exceeds the schedule."""
    if attempts < 1:
        raise ValueError("attempts counts failed attempts, from 1")
    exponential = base * 2.0 ** min(attempts - 1, 62)
    return min(cap, exponential) * (1.0 - jitter * rand)
