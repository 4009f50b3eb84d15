"""Builders and probes of the tests of an organization's bounded addresses
(core.addresses.limits): addresses written straight to the database up to a count, and the
state a refused add must leave as it was."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from graphql_client import SAMPLE_ADDRESS_LINES
from orgql.core.addresses.limits import MAX_ORGANIZATION_ADDRESSES
from orgql.core.common.ids import next_ids
from orgql.db import models
from orgql.db.engine import make_sessionmaker
from orgql.db.event_models import OutboxEvent
from orgql.db.history_models import OrganizationHistory

LIMIT = MAX_ORGANIZATION_ADDRESSES
SAMPLE = "100001"
ORGANIZATIONS = "/ccadmin/v1/organizations"
ADDRESSES = f"{ORGANIZATIONS}/{{}}/secondaryAddresses"
FULL_MESSAGE = (
    f"An organization holds at most {LIMIT} addresses entered by hand"
    " (synced billing addresses aside): delete one first"
)
ADD = """mutation($org: ID!, $input: OrganizationAddressInput!) {
  addOrganizationAddress(organizationId: $org, input: $input) {
    address { addressType } userErrors { code message field } } }"""


def office(nickname: str) -> dict[str, Any]:
    """An addOrganizationAddress body (and GraphQL input) with every required line."""
    return {"addressType": nickname, "address": dict(SAMPLE_ADDRESS_LINES)}


async def manual_count(engine: AsyncEngine, organization_id: str) -> int:
    """The organization's addresses entered by hand (not synced)."""
    address = models.Address
    async with make_sessionmaker(engine)() as session:
        held = await session.scalar(
            select(func.count())
            .select_from(address)
            .where(address.organization_id == organization_id, address.source != "financial")
        )
    return int(held or 0)


async def fill(
    engine: AsyncEngine, organization_id: str, count: int, *, source: str = "manual"
) -> list[str]:
    """Write ``count`` addresses of ``source`` to the organization (committed); their ids."""
    async with make_sessionmaker(engine)() as session, session.begin():
        ids = await next_ids(session, count)
        session.add_all(
            models.Address(
                id=address_id,
                organization_id=organization_id,
                address_type=f"{source} {address_id}",
                source=source,
                address1="1 Main Street",
                city="Rome",
                country="IT",
            )
            for address_id in ids
        )
    return ids


async def fill_to(engine: AsyncEngine, organization_id: str, held: int) -> list[str]:
    """Add addresses entered by hand until the organization holds ``held`` of them."""
    return await fill(engine, organization_id, held - await manual_count(engine, organization_id))


async def stored_state(engine: AsyncEngine, organization_id: str) -> dict[str, Any]:
    """What an add writes: the organization's addresses, its version and defaults, the
    change events and the history rows."""
    organization = models.Organization
    async with make_sessionmaker(engine)() as session:
        addresses = await session.scalars(
            select(models.Address.id)
            .where(models.Address.organization_id == organization_id)
            .order_by(models.Address.id)
        )
        own = await session.execute(
            select(
                organization.version,
                organization.billing_address_id,
                organization.shipping_address_id,
            ).where(organization.id == organization_id)
        )
        events = await session.scalar(select(func.count()).select_from(OutboxEvent))
        history = await session.scalar(select(func.count()).select_from(OrganizationHistory))
        return {
            "addresses": list(addresses),
            "organization": tuple(own.one()),
            "events": events,
            "history": history,
        }


async def graphql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def contact_with(client: httpx.AsyncClient, email: str, function: str) -> str:
    """A contact of Sample (100001) holding the role ``function`` there; its profile id."""
    created = await client.post(
        "/ccadmin/v1/profiles", json={"email": email, "parentOrganization": {"id": SAMPLE}}
    )
    assert created.status_code in (200, 201), created.text
    profile_id: str = created.json()["id"]
    roles = {"roles": [{"function": function, "relativeTo": {"id": SAMPLE}}]}
    response = await client.post(f"/ccadmin/v1/profiles/{profile_id}/addRoles", json=roles)
    assert response.status_code == 200, response.text
    return profile_id
