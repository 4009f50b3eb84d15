"""Every path that creates an organization's addresses keeps its bound
(core.addresses.limits): createOrganization's secondaryAddresses (REST and GraphQL), a
registration request's draft (on submission, and at approval of one stored before the bound),
and the financial sync, whose addresses do not count: a sync of 1,000 addresses passes for an
organization that holds its maximum of addresses entered by hand, and leaves them."""

from __future__ import annotations

from typing import Any

import httpx
from address_limit_support import ADDRESSES, LIMIT, ORGANIZATIONS, manual_count, office
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from graphql_client import CREATE_ORGANIZATION, address_input
from orgql.db import financial_models, models, request_models
from orgql.db.engine import make_sessionmaker
from rest.builders import row_counts, secondary_address
from rest.request_builders import (
    ADMIN_REQUESTS,
    STORE_REQUESTS,
    request_document,
    snapshot,
    submit,
)

#: A financial sync as large as the bench's (bench/sync_1000.py), the size the brief names.
SYNCED = 1_000
PARTY = "300100199999"


def too_long_message(count: int) -> str:
    return (
        f"secondaryAddresses holds {count} addresses; an organization holds at most"
        f" {LIMIT} entered by hand"
    )


async def test_create_organization_takes_as_many_addresses_as_an_organization_holds(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    addresses = [secondary_address(f"Site {n}") for n in range(LIMIT)]

    created = await client.post(
        ORGANIZATIONS, json={"name": "Full", "secondaryAddresses": addresses}
    )

    assert created.status_code == 200, created.json()["errorCode"]
    organization_id = created.json()["id"]
    assert await manual_count(engine, organization_id) == LIMIT
    one_more = await client.post(ADDRESSES.format(organization_id), json=office("One more"))
    assert (one_more.status_code, one_more.json()["errorCode"]) == (409, "190102")


async def test_create_organization_with_more_addresses_is_a_400_that_creates_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    addresses = [secondary_address(f"Site {n}") for n in range(LIMIT + 1)]
    before = await row_counts(session)

    refused = await client.post(
        ORGANIZATIONS, json={"name": "Over", "secondaryAddresses": addresses}
    )

    error = {
        "errorCode": "190102",
        "message": too_long_message(LIMIT + 1),
        "status": "400",
        "o:errorPath": "secondaryAddresses",
    }
    assert (refused.status_code, refused.json()) == (400, {**error, "errors": [error]})
    assert await row_counts(session) == before


async def test_create_organization_over_graphql_is_answered_a_user_error(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    addresses = [address_input(f"Site {n}") for n in range(LIMIT + 1)]
    before = await row_counts(session)

    response = await client.post(
        "/graphql",
        json={
            "query": CREATE_ORGANIZATION,
            "variables": {"input": {"name": "Over", "secondaryAddresses": addresses}},
        },
    )

    assert response.json() == {
        "data": {
            "createOrganization": {
                "organization": None,
                "userErrors": [
                    {
                        "code": "190102",
                        "message": too_long_message(LIMIT + 1),
                        "field": "secondaryAddresses",
                    }
                ],
            }
        }
    }
    assert await row_counts(session) == before


async def test_a_registration_request_with_more_addresses_is_refused_when_submitted(
    anonymous_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    addresses = [secondary_address(f"Site {n}") for n in range(LIMIT + 1)]
    before = await snapshot(session)

    refused = await anonymous_client.post(
        STORE_REQUESTS, json=request_document(secondaryAddresses=addresses)
    )

    assert refused.status_code == 400, refused.text
    assert [(e["errorCode"], e["o:errorPath"]) for e in refused.json()["errors"]] == [
        ("190102", "organization.secondaryAddresses")
    ]
    assert await snapshot(session) == before


async def test_approving_a_request_stored_with_more_addresses_creates_nothing(
    anonymous_client: httpx.AsyncClient,
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    session: AsyncSession,
) -> None:
    # A request stored before the bound: its draft is written as it was then.
    request_id = await submit(anonymous_client, request_document("Stored before"))
    requests = request_models.OrganizationRequest
    async with make_sessionmaker(engine)() as writer, writer.begin():
        draft: dict[str, Any] = dict(
            await writer.scalar(
                select(requests.organization_draft).where(requests.id == request_id)
            )
            or {}
        )
        draft["secondaryAddresses"] = [secondary_address(f"Site {n}") for n in range(LIMIT + 1)]
        await writer.execute(
            update(requests).where(requests.id == request_id).values(organization_draft=draft)
        )
    before = await snapshot(session)

    refused = await client.post(f"{ADMIN_REQUESTS}/{request_id}/approve", json={})

    assert refused.status_code == 400, refused.text
    assert [(e["errorCode"], e["o:errorPath"]) for e in refused.json()["errors"]] == [
        ("190102", "organization.secondaryAddresses")
    ]
    assert await snapshot(session) == before


async def _source_of(engine: AsyncEngine, party_id: str, count: int) -> None:
    """The built-in financial source holds one account of ``party_id`` with ``count`` sites,
    each its own valid billing address."""
    async with make_sessionmaker(engine)() as session, session.begin():
        session.add(financial_models.FinancialSourceAccount(account_id="A-1", party_id=party_id))
        await session.flush()
        session.add_all(
            financial_models.FinancialSourceSite(
                site_id=f"S-{n}",
                account_id="A-1",
                external_address_id=f"X-{n}",
                address1=f"{n} Ledger Road",
                city="Boston",
                country="US",
                bill_to=True,
                primary_bill_to=n == 0,
            )
            for n in range(count)
        )


async def _synced_count(engine: AsyncEngine, organization_id: str) -> int:
    address = models.Address
    async with make_sessionmaker(engine)() as session:
        held = await session.scalar(
            select(func.count())
            .select_from(address)
            .where(address.organization_id == organization_id, address.source == "financial")
        )
    return int(held or 0)


async def test_a_sync_of_a_thousand_addresses_passes_for_an_organization_at_its_limit(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    addresses = [secondary_address(f"Site {n}") for n in range(LIMIT)]
    created = await client.post(
        ORGANIZATIONS,
        json={"name": "Synced", "partyId": PARTY, "secondaryAddresses": addresses},
    )
    assert created.status_code == 200, created.json()["errorCode"]
    organization_id = created.json()["id"]
    await _source_of(engine, PARTY, SYNCED)
    sync = f"{ORGANIZATIONS}/{organization_id}/syncFinancialData"

    synced = await client.post(sync, json={})
    resynced = await client.post(sync, json={})

    assert synced.status_code == 200, synced.text
    assert synced.json()["failedAddressItems"] == []
    assert resynced.status_code == 200, resynced.text
    assert await _synced_count(engine, organization_id) == SYNCED
    assert await manual_count(engine, organization_id) == LIMIT
    # Still at its limit of addresses entered by hand, however many were synced.
    one_more = await client.post(ADDRESSES.format(organization_id), json=office("One more"))
    assert (one_more.status_code, one_more.json()["errorCode"]) == (409, "190102")
