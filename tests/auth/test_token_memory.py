"""Verified tokens are remembered until they expire (auth.tokens.Authenticator): a remembered
token is refused from its ``exp`` on (read as PyJWT reads it) and checked again after
REMEMBER_SECONDS, a refused one is never remembered, and the memory is bounded."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest

from orgql.auth import tokens
from orgql.auth.tokens import Authenticator
from orgql.core.access.principals import Role


def _bearer(authenticator: Authenticator, claims: dict[str, Any]) -> str:
    return "Bearer " + jwt.encode(claims, authenticator.key, algorithm="HS256")


async def test_a_remembered_token_expires_at_its_exp(
    authenticator: Authenticator, admin_claims: Callable[..., dict[str, Any]]
) -> None:
    claims = admin_claims()
    header = _bearer(authenticator, claims)
    assert (await authenticator.authenticate(header)).role is Role.ADMIN
    assert (await authenticator.authenticate(header)).role is Role.ADMIN  # remembered

    authenticator.clock = lambda: float(claims["exp"])
    refused = await authenticator.authenticate(header)
    assert refused.role is Role.ANONYMOUS
    assert refused.problem == "the access token has expired"
    authenticator.clock = lambda: float(claims["exp"] - 1)  # forgotten: PyJWT decides again
    assert (await authenticator.authenticate(header)).role is Role.ADMIN


async def test_a_refused_token_is_not_remembered(
    authenticator: Authenticator, admin_claims: Callable[..., dict[str, Any]]
) -> None:
    no_scope = _bearer(authenticator, admin_claims(scope="read"))
    for _ in range(2):
        refused = await authenticator.authenticate(no_scope)
        assert refused.role is Role.ANONYMOUS
        assert refused.problem == "the access token does not grant the admin scope"
    good = _bearer(authenticator, admin_claims())
    assert (await authenticator.authenticate(good)).role is Role.ADMIN
    tampered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    assert (await authenticator.authenticate(tampered)).role is Role.ANONYMOUS


async def test_the_memory_forgets_the_oldest_token_beyond_its_bound(
    authenticator: Authenticator,
    admin_claims: Callable[..., dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tokens, "MAX_VERIFIED_TOKENS", 3)
    headers = [_bearer(authenticator, admin_claims(sub=f"key-{i}")) for i in range(5)]
    for header in headers:
        assert (await authenticator.authenticate(header)).role is Role.ADMIN
    # The first two are forgotten: moving the clock past exp refuses only the remembered
    # three (newest first, so that no forgotten one comes back before they are asked); the
    # forgotten ones are decoded again, by PyJWT's own clock.
    authenticator.clock = lambda: float(admin_claims()["exp"] + 1)
    answers = [(await authenticator.authenticate(h)).role for h in reversed(headers)]
    assert answers == [Role.ANONYMOUS, Role.ANONYMOUS, Role.ANONYMOUS, Role.ADMIN, Role.ADMIN]


async def test_a_remembered_token_is_checked_again_after_remember_seconds(
    authenticator: Authenticator, admin_claims: Callable[..., dict[str, Any]]
) -> None:
    claims = admin_claims(exp=int(time.time()) + 3600)
    header = _bearer(authenticator, claims)
    assert (await authenticator.authenticate(header)).role is Role.ADMIN
    authenticator.key = "another-signing-key-" + "1" * 32  # the key is withdrawn
    assert (await authenticator.authenticate(header)).role is Role.ADMIN  # remembered
    later = time.time() + tokens.REMEMBER_SECONDS + 1
    authenticator.clock = lambda: later
    refused = await authenticator.authenticate(header)
    assert refused.role is Role.ANONYMOUS
    assert refused.problem == "the access token is not valid"


async def test_a_fractional_exp_is_read_as_pyjwt_reads_it(
    authenticator: Authenticator, admin_claims: Callable[..., dict[str, Any]]
) -> None:
    exp = int(time.time()) + 60
    header = _bearer(authenticator, admin_claims(exp=exp + 0.9))
    assert (await authenticator.authenticate(header)).role is Role.ADMIN
    authenticator.clock = lambda: exp + 0.5  # PyJWT: int(exp) <= now, expired
    assert (await authenticator.authenticate(header)).problem == "the access token has expired"


@pytest.mark.parametrize(("exp", "role"), [(10**400, Role.ADMIN), (float("inf"), Role.ANONYMOUS)])
async def test_an_exp_beyond_any_clock_is_an_answer_not_an_error(
    authenticator: Authenticator,
    admin_claims: Callable[..., dict[str, Any]],
    exp: float,
    role: Role,
) -> None:
    header = _bearer(authenticator, admin_claims(exp=exp))
    for _ in range(2):  # checked, then remembered (or refused again)
        assert (await authenticator.authenticate(header)).role is role
