"""The shopper of the ``shopperPage`` scenario: an identity provider of the run's own (an
RSA key the gateway and the floor are told to trust), a profile, and its memberships of the
100 organizations of the page scenario, so that the shopper's page answers what the admin's
does (every organization of the dataset is active: nothing is withheld)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import asyncpg
import jwt
import scenarios
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = "https://bench.idp.example/"
AUDIENCE = "bench-storefront"
#: Long enough for a whole run (tokens are made once, before the load).
LIFETIME = 6 * 3600


@dataclass(frozen=True)
class IdentityProvider:
    private_pem: str
    public_pem: str

    @classmethod
    def generate(cls) -> IdentityProvider:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")
        public = (
            key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode("ascii")
        )
        return cls(private, public)

    def settings(self) -> dict[str, Any]:
        return {
            "shopper_issuer": ISSUER,
            "shopper_audience": AUDIENCE,
            "shopper_public_key": self.public_pem,
        }

    def environment(self) -> dict[str, str]:
        """The gateway's settings (ORGQL_*), which the floor reads too."""
        return {f"ORGQL_{key.upper()}": value for key, value in self.settings().items()}

    def token(self, subject: str) -> str:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": subject, "iat": now, "exp": now + LIFETIME}
        return jwt.encode(claims, self.private_pem, algorithm="RS256")


async def add_shopper(url: str) -> None:
    """The profile and its memberships: the 100 organizations after the page's cursor."""
    connection = await asyncpg.connect(url)
    try:
        async with connection.transaction():
            await connection.execute(
                "INSERT INTO profiles (id, first_name, last_name, email, receive_email)"
                " VALUES ($1, 'Bench', 'Shopper', 'bench.shopper@example.com', false)",
                scenarios.SHOPPER,
            )
            await connection.execute(
                "INSERT INTO organization_members (organization_id, profile_id)"
                " SELECT id, $1 FROM organizations WHERE id > $2 ORDER BY id LIMIT 100",
                scenarios.SHOPPER,
                scenarios.PAGE_AFTER_ID,
            )
    finally:
        await connection.close()
