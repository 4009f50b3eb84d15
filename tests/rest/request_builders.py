"""Builders and probes for the organization request tests (REST and GraphQL).

``data/`` holds the vendor's sample requests and responses of createOrganizationRequest.txt
and updateOrganizationRequests.txt verbatim: the wire contract the shim is tested against.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.db import models, request_models
from rest.builders import secondary_address

DATA = Path(__file__).parent / "data"

STORE_REQUESTS = "/ccstore/v1/organizationRequests"
ADMIN_REQUESTS = "/ccadmin/v1/organizationRequests"

_SAMPLES = {
    name: json.loads((DATA / f"{name}.json").read_text())
    for name in (
        "createOrganizationRequest_sample_request",
        "createOrganizationRequest_sample_response",
        "updateOrganizationRequests_sample_request",
        "updateOrganizationRequests_sample_response",
    )
}


def sample(name: str) -> dict[str, Any]:
    """A fresh copy of a sample document (``createOrganizationRequest_sample_request``...)."""
    document: dict[str, Any] = copy.deepcopy(_SAMPLES[name])
    return document


def request_document(
    name: str = "Sample org", email: str = "user@example.com", **organization: Any
) -> dict[str, Any]:
    """The spec's sample request, with another name / email / draft organization fields."""
    document = sample("createOrganizationRequest_sample_request")
    document["name"] = name
    document["profile"]["email"] = email
    document["organization"].update(organization)
    return document


def typed_address(address_type: str, *type_ids: str, **fields: Any) -> dict[str, Any]:
    """A draft secondary address with every required field, tagged with ``type_ids``."""
    item = secondary_address(address_type)
    item["address"]["types"] = [{"id": type_id} for type_id in type_ids]
    item["address"].update(fields)
    return item


async def submit(
    client: httpx.AsyncClient,
    document: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> str:
    """Submit through the storefront endpoint; returns the new request's id."""
    response = await client.post(
        STORE_REQUESTS, json=document or request_document(), headers=headers
    )
    assert response.status_code == 200, response.text
    request_id: str = response.json()["id"]
    return request_id


async def set_site(session: AsyncSession, site_id: str, **values: Any) -> None:
    """Change a site's settings (committed, so the app sees them)."""
    async with session.begin():
        await session.execute(update(models.Site).where(models.Site.id == site_id).values(**values))


#: Every table an approval writes to.
APPROVAL_TABLES = (
    models.Organization,
    models.Address,
    request_models.AddressTypeLink,
    models.RelativeRole,
    models.OrganizationMember,
    models.Profile,
    models.ProfileRole,
)


async def snapshot(session: AsyncSession) -> dict[str, Any]:
    """Row counts of the tables an approval writes, and every request row, read in a
    transaction of its own."""
    state: dict[str, Any] = {}
    async with session.begin():
        for model in APPROVAL_TABLES:
            statement = select(func.count()).select_from(model)
            state[model.__tablename__] = int(await session.scalar(statement) or 0)
        table = request_models.OrganizationRequest.__table__
        rows = await session.execute(select(table).order_by(table.c.id))
        state["organization_requests"] = [tuple(row) for row in rows]
    return state
