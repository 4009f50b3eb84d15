"""Who is calling: the transports authenticate, the core decides what the caller may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Role(Enum):
    #: A merchant operator or admin client (application key → admin access token).
    ADMIN = "admin"
    #: A storefront shopper: a profile, through the merchant's identity provider.
    SHOPPER = "shopper"
    ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Principal:
    role: Role
    #: The application key id (admin), the profile id (shopper; None: their token names no
    #: profile, core.access.identities), None (anonymous).
    subject: str | None = None
    #: Why a presented credential was not accepted (the caller is then anonymous).
    problem: str | None = None
    #: A shopper's email as their identity provider verified it (None: the token has none,
    #: or says it is not verified): their registration requests are theirs before they have
    #: a profile (core.viewer). Personal data: left out of the repr.
    email: str | None = field(default=None, repr=False)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_shopper(self) -> bool:
        return self.role is Role.SHOPPER


ANONYMOUS = Principal(Role.ANONYMOUS)
#: The caller of in-process work with full access (CLI commands, the admin APIs).
SYSTEM = Principal(Role.ADMIN, "system")
