"""Helpers of the people tests: REST calls that build contacts and roles, and what the
outbox and history recorded."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from orgql.db import history_models
from orgql.db.engine import make_sessionmaker
from orgql.db.event_models import OutboxEvent

PROFILES = "/ccadmin/v1/profiles"
ORGANIZATIONS = "/ccadmin/v1/organizations"
SAMPLE, EAST = "100001", "100002"
#: The demo contact (Shelly Smith), a member and admin of Sample.
SHELLY = "110000"


async def create_contact(
    client: httpx.AsyncClient, email: str, parent: str | None = SAMPLE, **values: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"email": email, **values}
    if parent is not None:
        body["parentOrganization"] = {"id": parent}
    response = await client.post(PROFILES, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def role(function: str, organization_id: str = SAMPLE) -> dict[str, Any]:
    return {"function": function, "relativeTo": {"id": organization_id}}


async def grant(
    client: httpx.AsyncClient, profile_id: str, *roles: dict[str, Any]
) -> httpx.Response:
    return await client.post(f"{PROFILES}/{profile_id}/addRoles", json={"roles": list(roles)})


async def revoke(
    client: httpx.AsyncClient, profile_id: str, *roles: dict[str, Any]
) -> httpx.Response:
    return await client.post(f"{PROFILES}/{profile_id}/removeRoles", json={"roles": list(roles)})


async def require_approval(
    client: httpx.AsyncClient, organization_id: str = SAMPLE, site: str = "siteUS"
) -> httpx.Response:
    return await client.post(
        f"{ORGANIZATIONS}/{organization_id}/updateSiteOrganizationProperties",
        json={
            "siteOrganizationProperties": [
                {"site": {"id": site}, "properties": {"approvalRequired": True}}
            ]
        },
    )


async def events_of(
    engine: AsyncEngine, prefixes: tuple[str, ...] = ("contact.", "membership.", "role.")
) -> list[tuple[str, str | None, dict[str, Any]]]:
    """The people events in the outbox, in order: (type, organizationId, data)."""
    async with make_sessionmaker(engine)() as session:
        rows = await session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))
        return [
            (row.type, row.organization_id, dict(row.payload))
            for row in rows
            if row.type.startswith(prefixes)
        ]


async def history_of(engine: AsyncEngine, kind: str) -> list[history_models.OrganizationHistory]:
    table = history_models.OrganizationHistory
    async with make_sessionmaker(engine)() as session:
        rows = await session.scalars(
            select(table).where(table.entity_kind == kind).order_by(table.id)
        )
        return list(rows)
