"""Issuing and checking bearer tokens; a credential becomes a :class:`Principal`.

Admin access tokens are HS256 JWTs signed with our key (``iss``, ``aud``, ``exp``, ``sub`` =
the application key id, ``scope`` = ``admin``). Shopper tokens come from the merchant's
identity provider, checked against its keys (JWKS URL or a static PEM) with an asymmetric
algorithm allow-list; their ``sub`` is a profile id. Which kind a token is, its ``iss`` says.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal

import jwt

from orgql.auth.revocations import RevokedTokens
from orgql.auth.signing import signing_key
from orgql.core.access.principals import ANONYMOUS, Principal, Role
from orgql.core.access.revocations import valid_token_id
from orgql.settings import Settings

ADMIN_ALGORITHMS = ["HS256"]
ADMIN_SCOPE = "admin"
#: Tokens longer than this are refused unread.
MAX_TOKEN_CHARS = 8192
#: Verified tokens remembered (the oldest forgotten first): a client sends the same token
#: with every request, and checking its signature and claims again cost about as much as
#: serving ``{ __typename }``.
MAX_VERIFIED_TOKENS = 4096
#: How long a token is remembered at most, then checked again: as long as the JWKS client
#: keeps a shopper signing key, so that a key the identity provider withdraws stops being
#: honoured as soon as it did before tokens were remembered.
REMEMBER_SECONDS = 300
#: Why a logged-out admin token is refused.
REVOKED = "the access token has been revoked (logged out)"


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the OAuth token type, not a secret)


class Authenticator:
    """Built once per app from the settings (the signing key is resolved eagerly)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.key = signing_key(settings)
        #: token -> (principal, its ``jti`` (admin tokens), its ``exp``, when to check it
        #: again), in the order verified.
        self._verified: dict[str, tuple[Principal, str | None, int, float]] = {}
        #: The logged-out admin tokens of every process (kept current by the app's lifespan:
        #: orgql.auth.revocations.listening), consulted by every request, remembered or not.
        self.revoked = RevokedTokens()
        #: The clock remembered tokens expire by (a test moves it).
        self.clock = time.time
        self._jwks: jwt.PyJWKClient | None = None
        if settings.shopper_jwks_url:
            self._jwks = jwt.PyJWKClient(settings.shopper_jwks_url, cache_keys=True, lifespan=300)

    # ------------------------------------------------------------ admin tokens

    def issue_admin(self, subject: str, *, ttl: int | None = None) -> IssuedToken:
        ttl = ttl if ttl is not None else self.settings.auth_token_ttl_seconds
        now = int(time.time())
        claims = {
            "iss": self.settings.auth_issuer,
            "aud": self.settings.auth_audience,
            "sub": subject,
            "scope": ADMIN_SCOPE,
            "iat": now,
            "exp": now + ttl,
            "jti": secrets.token_hex(8),
        }
        token = jwt.encode(claims, self.key, algorithm=ADMIN_ALGORITHMS[0])
        return IssuedToken(token, ttl)

    def _admin(self, token: str) -> tuple[Principal, Any, str | None]:
        claims = jwt.decode(
            token,
            self.key,
            algorithms=ADMIN_ALGORITHMS,
            audience=self.settings.auth_audience,
            issuer=self.settings.auth_issuer,
            # Every admin token carries a jti, so that every one can be logged out.
            options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
        )
        if claims.get("scope") != ADMIN_SCOPE or not isinstance(claims["sub"], str):
            return _refused("the access token does not grant the admin scope"), None, None
        token_id = claims["jti"]
        if not valid_token_id(token_id):
            return _refused("the access token is not valid"), None, None
        if token_id in self.revoked:
            return _refused(REVOKED), None, None
        return Principal(Role.ADMIN, claims["sub"]), claims["exp"], token_id

    @staticmethod
    def revocation(token: str) -> tuple[str, int]:
        """``(jti, exp)`` of an admin access token this authenticator accepted (the caller
        checked it): what a logout records."""
        claims = jwt.decode(token, options={"verify_signature": False})
        return claims["jti"], math.ceil(claims["exp"])

    def revoked_here(self, token: str, token_id: str, expires: int) -> None:
        """A logout of this process committed: refused here at once, before the answer."""
        self._verified.pop(token, None)
        self.revoked.add(token_id, expires)

    # ------------------------------------------------------------ shopper tokens

    @property
    def shoppers_configured(self) -> bool:
        settings = self.settings
        has_keys = bool(settings.shopper_jwks_url or settings.shopper_public_key)
        return bool(settings.shopper_issuer and settings.shopper_audience and has_keys)

    async def _shopper_key(self, token: str) -> Any:
        if self._jwks is not None:
            jwks = self._jwks
            # PyJWKClient fetches with urllib (blocking) when the kid is not cached yet.
            signing = await asyncio.to_thread(jwks.get_signing_key_from_jwt, token)
            return signing.key
        return self.settings.shopper_public_key

    async def _shopper(self, token: str) -> tuple[Principal, Any]:
        settings = self.settings
        claims = jwt.decode(
            token,
            await self._shopper_key(token),
            algorithms=settings.shopper_algorithms,
            audience=settings.shopper_audience,
            issuer=settings.shopper_issuer,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
        subject = claims["sub"]
        if not isinstance(subject, str) or not _storable(subject) or len(subject) > 40:
            return _refused("the token's subject is not a profile id"), None
        return Principal(Role.SHOPPER, subject), claims["exp"]

    # ------------------------------------------------------------ any bearer credential

    async def authenticate(self, authorization: str | None) -> Principal:
        """The caller an ``Authorization`` header names; anonymous (with the reason) when the
        header is missing or its token is not accepted."""
        if authorization is None:
            return ANONYMOUS
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return _refused("the Authorization header must be 'Bearer <access token>'")
        if len(token) > MAX_TOKEN_CHARS:
            return _refused("the access token is too long")
        remembered = self._verified.get(token)
        if remembered is not None:
            principal, token_id, expires, until = remembered
            now = self.clock()
            if now >= expires:  # PyJWT: refused from ``int(exp)`` on, no leeway
                del self._verified[token]
                return _refused("the access token has expired")
            if token_id is not None and token_id in self.revoked:  # logged out meanwhile
                del self._verified[token]
                return _refused(REVOKED)
            if now < until:
                return principal
            del self._verified[token]  # checked again below
        try:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
            token_id = None
            if issuer == self.settings.auth_issuer:
                principal, expires, token_id = self._admin(token)
            elif self.shoppers_configured and issuer == self.settings.shopper_issuer:
                principal, expires = await self._shopper(token)
            else:
                return _refused("the access token's issuer is not accepted")
        except jwt.ExpiredSignatureError:
            return _refused("the access token has expired")
        except jwt.InvalidAudienceError:
            return _refused("the access token is for another audience")
        except (jwt.PyJWTError, ValueError, TypeError, AttributeError, OverflowError):
            return _refused("the access token is not valid")
        if principal.role is not Role.ANONYMOUS:
            self._remember(token, principal, token_id, expires)
        return principal

    def lifetime(self, authorization: str) -> tuple[float | None, str | None]:
        """The ``exp`` (as PyJWT reads it: expired from ``int(exp)`` on) and admin ``jti`` of
        the token of an ``Authorization`` header that :meth:`authenticate` accepted: a
        WebSocket connection it signs in ends with it."""
        token = authorization.strip().partition(" ")[2].strip()
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
            expires = float(int(claims["exp"]))
        except (jwt.PyJWTError, KeyError, ValueError, TypeError, OverflowError):
            return None, None
        token_id = claims.get("jti")
        admin = claims.get("iss") == self.settings.auth_issuer and isinstance(token_id, str)
        return expires, token_id if admin else None

    def _remember(
        self, token: str, principal: Principal, token_id: str | None, expires: Any
    ) -> None:
        """Remember a verified token until its ``exp`` as PyJWT reads it (``int(exp)``), for
        REMEMBER_SECONDS at most."""
        try:
            deadline = int(expires)
        except (TypeError, ValueError, OverflowError):
            return
        if len(self._verified) >= MAX_VERIFIED_TOKENS:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = (principal, token_id, deadline, self.clock() + REMEMBER_SECONDS)


def _refused(problem: str) -> Principal:
    return Principal(Role.ANONYMOUS, problem=problem)


def _storable(subject: str) -> bool:
    """Whether PostgreSQL could hold ``subject`` as a profile id: not empty, no NUL, no lone
    surrogate (JSON allows both; the driver refuses them, which would be a 500)."""
    if not subject or "\x00" in subject:
        return False
    try:
        subject.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
