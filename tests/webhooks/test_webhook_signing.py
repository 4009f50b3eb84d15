"""The signature and the retry schedule, computed (no delivery, no waiting)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from orgql.webhooks.signing import backoff_delay, signature_header, verify


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    body = b'{"id":"x"}'
    expected = hmac.new(b"whsec_k", b'1700000000.{"id":"x"}', hashlib.sha256).hexdigest()

    assert signature_header("whsec_k", 1700000000, body) == f"v1={expected}"
    assert verify("whsec_k", "1700000000", body, f"v0=zz, v1={expected}")
    assert not verify("whsec_k", "1700000001", body, f"v1={expected}")
    assert not verify("whsec_k", "not-a-time", body, f"v1={expected}")


def test_backoff_doubles_from_the_base_up_to_the_cap() -> None:
    delays = [backoff_delay(n, base=10, cap=3600, jitter=0, rand=0.9) for n in range(1, 12)]

    assert delays == [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]


def test_jitter_only_shortens_a_delay_and_by_at_most_its_fraction() -> None:
    longest = backoff_delay(3, base=10, cap=3600, jitter=0.2, rand=0.0)
    shortest = backoff_delay(3, base=10, cap=3600, jitter=0.2, rand=0.999999)

    assert longest == 40
    assert 32 <= shortest < 40
    assert backoff_delay(99, base=10, cap=3600, jitter=0.2, rand=0.0) == 3600  # no overflow


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        backoff_delay(0, base=1, cap=1, jitter=0, rand=0)
