"""Helpers of the profile address tests: the GraphQL documents, contacts and roles built over
REST, and what the database holds."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from orgql.db import history_models, models
from orgql.db.engine import make_sessionmaker
from orgql.db.event_models import OutboxEvent
from orgql.graphql.global_ids import encode

SAMPLE = "100001"
PROFILES = "/ccadmin/v1/profiles"

ADDRESS_FIELDS = "repositoryId profileId addressType address { city address2 }"
ADD_MINE = f"""
mutation Add($input: ProfileAddressInput!) {{
  addMyAddress(input: $input) {{ address {{ {ADDRESS_FIELDS} }} userErrors {{ code field }} }}
}}
"""
UPDATE_MINE = f"""
mutation Update($id: ID!, $input: ProfileAddressInput!) {{
  updateMyAddress(id: $id, input: $input) {{
    address {{ {ADDRESS_FIELDS} }} userErrors {{ code field }}
  }}
}}
"""
DELETE_MINE = """
mutation Delete($id: ID!) {
  deleteMyAddress(id: $id) { deletedAddressId userErrors { code field } }
}
"""
ADD = f"""
mutation Add($profile: ID!, $input: ProfileAddressInput!) {{
  addProfileAddress(profileId: $profile, input: $input) {{
    address {{ {ADDRESS_FIELDS} }} userErrors {{ code field }}
  }}
}}
"""
UPDATE = f"""
mutation Update($id: ID!, $input: ProfileAddressInput!) {{
  updateProfileAddress(id: $id, input: $input) {{
    address {{ {ADDRESS_FIELDS} }} userErrors {{ code field }}
  }}
}}
"""
DELETE = """
mutation Delete($id: ID!) {
  deleteProfileAddress(id: $id) { deletedAddressId userErrors { code field } }
}
"""
PROFILE_ADDRESSES = """
query Addresses($id: ID!) {
  node(id: $id) { ... on Profile { repositoryId addresses { addressType address { city } } } }
}
"""

LINES = {
    "companyName": "Home",
    "address1": "12 Elm Street",
    "city": "Springfield",
    "state": "IL",
    "postalCode": "62701",
    "country": "US",
    "phoneNumber": "217-555-0100",
}


def new_address(nickname: str = "Home", **lines: Any) -> dict[str, Any]:
    return {"addressType": nickname, "address": {**LINES, **lines}}


def profile_id_of(profile_id: str) -> str:
    """The Profile's global id."""
    return str(encode("Profile", profile_id))


async def run(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    answer = await client.post("/graphql", json={"query": query, "variables": variables})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def contact(client: httpx.AsyncClient, email: str, *roles: str, parent: str = SAMPLE) -> str:
    """A new contact of ``parent`` holding ``roles`` there; its id."""
    response = await client.post(
        PROFILES, json={"email": email, "parentOrganization": {"id": parent}}
    )
    assert response.status_code == 201, response.text
    profile_id: str = response.json()["id"]
    if roles:
        granted = await client.post(
            f"{PROFILES}/{profile_id}/addRoles",
            json={"roles": [{"function": f, "relativeTo": {"id": parent}} for f in roles]},
        )
        assert granted.status_code == 200, granted.text
    return profile_id


async def address_rows(engine: AsyncEngine, profile_id: str) -> list[tuple[str, str | None]]:
    """(id, nickname) of the profile's addresses, by id."""
    async with make_sessionmaker(engine)() as session:
        address = models.Address
        rows = await session.execute(
            select(address.id, address.address_type)
            .where(address.profile_id == profile_id)
            .order_by(address.id)
        )
        return [(row[0], row[1]) for row in rows]


async def profile_events(engine: AsyncEngine) -> list[tuple[str, str | None, dict[str, Any]]]:
    """The ``profile.address.*`` events of the outbox, in order."""
    async with make_sessionmaker(engine)() as session:
        rows = await session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.type.startswith("profile.address."))
            .order_by(OutboxEvent.id)
        )
        return [(row.type, row.organization_id, dict(row.payload)) for row in rows]


async def history_count(engine: AsyncEngine) -> int:
    async with make_sessionmaker(engine)() as session:
        count = await session.scalar(
            select(func.count()).select_from(history_models.OrganizationHistory)
        )
        return int(count or 0)
