"""Helpers of the storefront shopper's tests (fixtures: conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from orgql.db import models

#: The demo shopper: Shelly Smith, a member of 100001 "Sample" holding its admin role.
SHELLY = "110000"
SHELLY_EMAIL = "shelly.smith@example.com"
SAMPLE = "100001"

VIEWER = """
{ viewer {
    profile { repositoryId email }
    organizations { organization { repositoryId name active } roles permissions }
} }
"""


@dataclass
class Storefront:
    """An app signing shoppers in with tokens of the loopback identity provider."""

    app: Starlette
    state: Mapping[str, Any]
    identity_provider: Any
    client_for: Callable[..., httpx.AsyncClient]

    def token(self, subject: str = SHELLY, **claims: Any) -> str:
        return str(self.identity_provider.token(subject, kid="k1", **claims))

    def shopper(self, subject: str = SHELLY, **claims: Any) -> httpx.AsyncClient:
        """A client sending a token for ``subject`` with ``claims`` (None drops one)."""
        return self.client_for(self.app, self.state, token=self.token(subject, **claims))

    def admin(self) -> httpx.AsyncClient:
        return self.client_for(self.app, self.state)

    def anonymous(self) -> httpx.AsyncClient:
        return self.client_for(self.app, self.state, token=None)


async def graphql(
    client: httpx.AsyncClient,
    query: str,
    variables: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The whole answer of a GraphQL POST (status 200)."""
    body: dict[str, Any] = {"query": query, "variables": dict(variables or {})}
    response = await client.post("/graphql", json=body, headers=headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def add_profile(
    session: AsyncSession,
    profile_id: str,
    email: str,
    *,
    member_of: tuple[str, ...] = (),
    active: bool = True,
    customer_contact_id: str | None = None,
    parent: str | None = None,
) -> None:
    """A committed profile, a member of ``member_of`` (no roles)."""
    session.add(
        models.Profile(
            id=profile_id,
            email=email,
            active=active,
            customer_contact_id=customer_contact_id,
            parent_organization_id=parent,
        )
    )
    await session.flush()
    session.add_all(
        models.OrganizationMember(organization_id=organization_id, profile_id=profile_id)
        for organization_id in member_of
    )
    await session.commit()
