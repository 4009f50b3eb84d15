"""POST /ccadmin/v1/organizations/{id}/syncFinancialData with the built-in source: the demo
party of organization 100001 (3 accounts, 5 sites, 2 addresses without a city)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from financial_support import SYNC, Snapshot
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from orgql.db import financial_models, models
from orgql.db.engine import make_sessionmaker

DEMO = SYNC.format("100001")

#: What the vendor's sample answer lists as failures, and the demo source holds.
DEMO_FAILURES = [
    {"errorMessage": "City is not specified", "externalId": "300100628304102"},
    {"errorMessage": "City is not specified", "externalId": "17277"},
]


async def synced_accounts(engine: AsyncEngine, organization_id: str) -> list[tuple[Any, ...]]:
    async with make_sessionmaker(engine)() as session:
        rows = await session.execute(
            select(
                financial_models.CustomerAccount.id,
                financial_models.CustomerAccount.external_account_id,
                financial_models.CustomerAccount.account_number,
                financial_models.CustomerAccount.business_unit_id,
            )
            .where(financial_models.CustomerAccount.organization_id == organization_id)
            .order_by(financial_models.CustomerAccount.id)
        )
        return [tuple(row) for row in rows]


async def synced_addresses(engine: AsyncEngine, organization_id: str) -> dict[str, str]:
    """external address id -> city of the organization's synced addresses."""
    async with make_sessionmaker(engine)() as session:
        rows = await session.execute(
            select(models.Address.external_address_id, models.Address.city).where(
                models.Address.organization_id == organization_id,
                models.Address.source == "financial",
            )
        )
        return {row.external_address_id: row.city for row in rows}


async def test_the_demo_sync_answers_the_vendors_sample_shape(client: httpx.AsyncClient) -> None:
    response = await client.post(DEMO, json={})

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["customerAccountIds", "failedAddressItems"]
    assert [type(i) for i in body["customerAccountIds"]] == [str, str, str]
    assert body["failedAddressItems"] == DEMO_FAILURES


async def test_the_demo_sync_stores_the_accounts_and_the_valid_addresses(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    body = (await client.post(DEMO, json={})).json()

    assert await synced_accounts(engine, "100001") == [
        (body["customerAccountIds"][0], "300100010002", "10002", 300000001),
        (body["customerAccountIds"][1], "300100010003", "10003", 300000001),
        (body["customerAccountIds"][2], "300100020001", "20001", 300000002),
    ]
    assert await synced_addresses(engine, "100001") == {
        "300100628304101": "Boston",
        "300100628304103": "Chicago",
        "17278": "Paris",
    }


async def test_an_empty_body_syncs_every_account(client: httpx.AsyncClient) -> None:
    response = await client.post(DEMO, content=b"")

    assert response.status_code == 200
    assert len(response.json()["customerAccountIds"]) == 3


async def test_a_business_unit_syncs_only_its_accounts(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    response = await client.post(DEMO, json={"businessUnitId": 300000002})

    assert response.json()["failedAddressItems"] == [DEMO_FAILURES[1]]
    assert [a[1] for a in await synced_accounts(engine, "100001")] == ["300100020001"]


async def test_the_configured_business_unit_applies_when_none_is_given(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    configure_business_unit: Callable[[str, int], Awaitable[None]],
) -> None:
    await configure_business_unit("100001", 300000001)

    await client.post(DEMO, json={})

    assert [a[1] for a in await synced_accounts(engine, "100001")] == [
        "300100010002",
        "300100010003",
    ]


async def test_a_given_business_unit_wins_over_the_configured_one(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    configure_business_unit: Callable[[str, int], Awaitable[None]],
) -> None:
    await configure_business_unit("100001", 300000001)

    await client.post(DEMO, json={"businessUnitId": 300000002})

    assert [a[1] for a in await synced_accounts(engine, "100001")] == ["300100020001"]


async def test_a_business_unit_without_accounts_removes_the_synced_data(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await client.post(DEMO, json={})

    response = await client.post(DEMO, json={"businessUnitId": 1})

    assert response.json() == {"customerAccountIds": [], "failedAddressItems": []}
    assert await synced_accounts(engine, "100001") == []
    assert await synced_addresses(engine, "100001") == {}


async def test_a_sync_replaces_the_previous_one(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    first = (await client.post(DEMO, json={})).json()["customerAccountIds"]

    second = (await client.post(DEMO, json={})).json()["customerAccountIds"]

    assert set(first).isdisjoint(second)
    assert [a[0] for a in await synced_accounts(engine, "100001")] == second
    assert len(await synced_addresses(engine, "100001")) == 3


async def test_a_sync_keeps_the_addresses_entered_by_hand(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await client.post(DEMO, json={})

    async with make_sessionmaker(engine)() as session:
        manual = await session.scalars(
            select(models.Address.id).where(
                models.Address.organization_id == "100001", models.Address.source == "manual"
            )
        )
        assert list(manual) == ["150001"]


async def test_default_addresses_come_from_the_primary_uses(client: httpx.AsyncClient) -> None:
    await client.post(DEMO, json={})

    body = (await client.get("/ccadmin/v1/organizations/100001")).json()

    assert (body["billingAddress"]["city"], body["shippingAddress"]["city"]) == (
        "Boston",
        "Boston",
    )


async def test_a_unit_without_primary_shipping_keeps_the_manual_default(
    client: httpx.AsyncClient,
) -> None:
    # Business unit 300000002 has a primary bill-to (Paris) and no ship-to at all.
    await client.post(DEMO, json={"businessUnitId": 300000002})

    body = (await client.get("/ccadmin/v1/organizations/100001")).json()

    assert (body["billingAddress"]["city"], body["shippingAddress"]["repositoryId"]) == (
        "Paris",
        "150001",
    )


async def test_a_default_on_a_removed_synced_address_is_cleared(
    client: httpx.AsyncClient,
) -> None:
    await client.post(DEMO, json={})  # shipping default: the synced Boston address

    await client.post(DEMO, json={"businessUnitId": 300000002})

    body = (await client.get("/ccadmin/v1/organizations/100001")).json()
    assert body["shippingAddress"] is None


# ---------------------------------------------------------------- errors


async def test_unknown_organization_is_404_with_code_100001(client: httpx.AsyncClient) -> None:
    response = await client.post(SYNC.format("999999"), json={})

    assert response.status_code == 404
    assert response.json()["errorCode"] == "100001"
    assert response.json()["o:errorPath"] == "id"


async def test_a_disabled_self_service_portal_is_409_with_code_58001(
    client: httpx.AsyncClient,
    set_portal: Callable[[bool], Awaitable[None]],
    financial_snapshot: Callable[[str], Awaitable[Snapshot]],
) -> None:
    await client.post(DEMO, json={})
    await set_portal(False)
    before = await financial_snapshot("100001")

    response = await client.post(DEMO, json={})

    assert (response.status_code, response.json()["errorCode"]) == (409, "58001")
    assert response.json()["message"] == (
        "The self-service portal is not enabled: financial data cannot be synced"
    )
    assert await financial_snapshot("100001") == before


async def test_an_organization_without_party_is_409_with_code_100193(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(SYNC.format("100002"), json={})

    assert response.status_code == 409
    assert response.json()["errorCode"] == "100193"
    assert response.json()["message"] == (
        "Organization '100002' has no partyId: the financial system keys customer accounts by party"
    )


@pytest.mark.parametrize("value", ["300000001", -1, 1.5, True, 2**63, [1], {"id": 1}], ids=repr)
async def test_a_business_unit_that_is_not_a_whole_number_is_400_with_code_100002(
    client: httpx.AsyncClient, value: object
) -> None:
    response = await client.post(DEMO, json={"businessUnitId": value})

    assert response.status_code == 400
    assert (response.json()["errorCode"], response.json()["o:errorPath"]) == (
        "100002",
        "businessUnitId",
    )


async def test_a_whole_float_business_unit_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post(DEMO, json={"businessUnitId": 300000002.0})

    assert len(response.json()["customerAccountIds"]) == 1


async def test_an_unknown_property_is_400_with_code_100002(client: httpx.AsyncClient) -> None:
    response = await client.post(DEMO, json={"businessUnit": 1})

    assert response.status_code == 400
    assert response.json()["errorCode"] == "100002"
    assert response.json()["o:errorPath"] == "businessUnit"


@pytest.mark.parametrize("body", [b"[]", b"{", b'"x"'])
async def test_a_body_that_is_not_a_json_object_is_400(
    client: httpx.AsyncClient, body: bytes
) -> None:
    response = await client.post(DEMO, content=body, headers={"content-type": "application/json"})

    assert (response.status_code, response.json()["errorCode"]) == (400, "100002")


async def test_get_is_405(client: httpx.AsyncClient) -> None:
    response = await client.get(DEMO)

    assert (response.status_code, response.headers["allow"]) == (405, "POST")


async def test_a_storage_failure_is_500_with_code_100193_and_changes_nothing(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    financial_snapshot: Callable[[str], Awaitable[Snapshot]],
) -> None:
    await client.post(DEMO, json={})
    before = await financial_snapshot("100001")
    async with engine.begin() as connection:  # a real failure while writing the new data
        await connection.execute(
            text(
                "CREATE FUNCTION fail_link() RETURNS trigger LANGUAGE plpgsql AS"
                " $$ BEGIN RAISE EXCEPTION 'disk on fire'; END $$"
            )
        )
        await connection.execute(
            text(
                "CREATE TRIGGER fail_link BEFORE INSERT ON customer_account_addresses"
                " FOR EACH ROW EXECUTE FUNCTION fail_link()"
            )
        )

    response = await client.post(DEMO, json={})

    assert (response.status_code, response.json()["errorCode"]) == (500, "100193")
    assert response.json()["message"] == (
        "Internal error while syncing financial data: the financial data could not be stored"
    )
    assert await financial_snapshot("100001") == before
