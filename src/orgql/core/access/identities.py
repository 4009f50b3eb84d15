"""Which profile a shopper token names (docs/storefront.md, "Who the shopper is").

The merchant's identity provider names the shopper by one claim of its token
(ORGQL_SHOPPER_IDENTITY_CLAIM, ``sub`` by default), matched against one profile field
(ORGQL_SHOPPER_IDENTITY_MATCH): the profile id itself (no lookup: the token names it), the
profile's email compared as the database compares emails (``email_key = lower(btrim(email))``,
the unique key of profiles) and in the same letters (core.common.emails.same_email: a
look-alike such as a dotted capital I, which lowercases to "i", is another address), or its
external contact id (``customer_contact_id``).

- The claim must be a string a profile's field can hold; a token without it, or with another
  JSON type there, is not accepted (the caller is anonymous, with the reason).
- Matching by email: only a token that says ``email_verified: true`` matches a profile
  (anyone may type any address into a sign-up form); absent or anything else: not verified.
  It vouches for the token's ``email`` claim: an identity claim of another name matches
  only when it holds that very email.
- Only an active profile is matched by email or external id (an inactive contact counts for
  nothing), and only one: an external id that several active profiles carry matches none.
- A token that matches no profile is still a signed-in shopper, with no profile: they see no
  account, but their verified email names their registration requests (core.viewer).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.emails import same_email
from orgql.core.common.validation import is_storable_text
from orgql.db import models

#: Longest profile id, email and external contact id (the columns' lengths).
MAX_PROFILE_ID = 40
MAX_EMAIL = 254
MAX_CONTACT_ID = 254


class IdentityMatch(StrEnum):
    """The profile field a shopper token's identity claim is matched against (the values
    are ORGQL_SHOPPER_IDENTITY_MATCH's)."""

    ID = "id"
    EMAIL = "email"
    CUSTOMER_CONTACT_ID = "customerContactId"


_LONGEST = {
    IdentityMatch.ID: MAX_PROFILE_ID,
    IdentityMatch.EMAIL: MAX_EMAIL,
    IdentityMatch.CUSTOMER_CONTACT_ID: MAX_CONTACT_ID,
}


class NotAnIdentity(Exception):
    """The token's identity claim is missing, not a string, or no profile could hold it."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


@dataclass(frozen=True)
class Claimed:
    """Who a verified shopper token says the shopper is."""

    #: The identity claim's value.
    value: str
    #: Whether it may be matched (False: matching by email an email not verified).
    matchable: bool
    #: The shopper's email, when the identity provider verified it: the identity claim's
    #: value when matching by email, else the token's ``email`` claim.
    email: str | None


def read_claims(claims: Mapping[str, Any], claim: str, match: IdentityMatch) -> Claimed:
    """The identity ``claims`` carry (NotAnIdentity when they name no one a profile could be)."""
    if claim not in claims:
        raise NotAnIdentity(f"the token has no {claim!r} claim (ORGQL_SHOPPER_IDENTITY_CLAIM)")
    value = claims[claim]
    if not isinstance(value, str):
        raise NotAnIdentity(f"the token's {claim!r} claim is not a string")
    if not is_storable_text(value) or not value or len(value) > _LONGEST[match]:
        if claim == "sub" and match is IdentityMatch.ID:
            raise NotAnIdentity("the token's subject is not a profile id")
        raise NotAnIdentity(f"the token's {claim!r} claim cannot be a profile's {match.value}")
    verified = _email_verified(claims)
    if match is IdentityMatch.EMAIL:
        # email_verified vouches for the ``email`` claim alone: another claim matched as an
        # email (a preferred_username, a upn) is verified only when it is that very email.
        verified = verified and claims.get("email") == value
        return Claimed(value, matchable=verified, email=value if verified else None)
    email = claims.get("email")
    usable = isinstance(email, str) and is_storable_text(email) and 0 < len(email) <= MAX_EMAIL
    return Claimed(value, matchable=True, email=email if usable and verified else None)


def _email_verified(claims: Mapping[str, Any]) -> bool:
    """OpenID Connect's ``email_verified``: true (or "true", as some providers send it):
    verified; absent or anything else: not. An identity provider that does not say may let
    its users type any address into their profile (Microsoft Entra ID's ``email`` claim, the
    "nOAuth" takeovers): the address names no one's profile or requests."""
    verified = claims.get("email_verified")
    return verified is True or verified == "true"


async def matching_profile(session: AsyncSession, match: IdentityMatch, value: str) -> str | None:
    """The id of the one active profile whose ``match`` field is ``value`` (one statement),
    else None. Matching by id needs no statement: the token names the profile."""
    if match is IdentityMatch.ID:
        return value
    profile = models.Profile
    condition = (
        same_email(profile.email, profile.email_key, value)
        if match is IdentityMatch.EMAIL
        else profile.customer_contact_id == value
    )
    found = list(
        await session.scalars(
            select(profile.id).where(condition, profile.active.is_(True)).limit(2)
        )
    )
    return found[0] if len(found) == 1 else None
