"""Verified tokens are remembered until they expire (auth.tokens.Authenticator): a remembered
token is refused from its ``exp`` on, a refused one is never remembered, and the memory is
bounded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jwt
import pytest

from orgql.auth import tokens
from orgql.auth.tokens import Authenticator
from orgql.core.principals import Role


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
