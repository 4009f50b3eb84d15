"""POST /ccadmin/v1/organizations: the wire contract of spec/createOrganization.txt."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.db import models
from rest.builders import ORGANIZATIONS, contract, row_counts, without_generated


async def test_sample_request_returns_the_sample_response_but_for_generated_ids_and_dates(
    client: httpx.AsyncClient, sample_request: dict[str, Any], sample_response: dict[str, Any]
) -> None:
    response = await client.post(ORGANIZATIONS, json=sample_request)

    assert response.status_code == 200
    assert without_generated(response.json()) == without_generated(sample_response)


async def test_sample_response_links_its_generated_ids_as_the_sample_does(
    client: httpx.AsyncClient, sample_request: dict[str, Any]
) -> None:
    body = (await client.post(ORGANIZATIONS, json=sample_request)).json()

    address_id = body["secondaryAddresses"][0]["address"]["repositoryId"]
    assert body["repositoryId"] == body["id"]
    assert [
        body[key]["repositoryId"]
        for key in (
            "billingAddress",
            "shippingAddress",
            "derivedBillingAddress",
            "derivedShippingAddress",
        )
    ] == [address_id] * 4
    assert body["derivedContract"] == body["contract"]
    assert [role["function"] for role in body["relativeRoles"]] == [
        "admin",
        "buyer",
        "approver",
        "accountAddressManager",
        "profileAddressManager",
    ]
    ids = [body["id"], address_id, body["contract"]["repositoryId"]]
    ids += [body["contract"]["terms"]["repositoryId"]]
    ids += [role["repositoryId"] for role in body["relativeRoles"]]
    assert len(set(ids)) == 9


async def test_created_organization_reads_back_with_the_same_body(
    client: httpx.AsyncClient, sample_request: dict[str, Any]
) -> None:
    created = (await client.post(ORGANIZATIONS, json=sample_request)).json()

    response = await client.get(f"{ORGANIZATIONS}/{created['id']}")

    assert response.status_code == 200
    href = f"http://localhost:9080{ORGANIZATIONS}/{created['id']}"
    assert response.json() == {**created, "links": [{"rel": "self", "href": href}]}


async def test_contract_is_written_to_the_x_ccsite_site(client: httpx.AsyncClient) -> None:
    doc = {"name": "Site One Buyer", "contract": contract(displayName="Site One Contract")}
    created = await client.post(ORGANIZATIONS, json=doc, headers={"x-ccsite": "site1"})

    response = await client.get(
        f"{ORGANIZATIONS}/{created.json()['id']}", headers={"x-ccsite": "site1"}
    )

    assert created.status_code == 200
    assert created.json()["contract"]["displayName"] == "Site One Contract"
    assert response.json()["contract"]["displayName"] == "Site One Contract"


async def test_contract_written_to_x_ccsite_is_not_on_the_default_site(
    client: httpx.AsyncClient,
) -> None:
    doc = {
        "name": "Site One Buyer",
        "parentOrganization": {"id": "100001"},
        "contract": contract(displayName="Site One Contract"),
    }
    created = await client.post(ORGANIZATIONS, json=doc, headers={"x-ccsite": "site1"})

    body = (await client.get(f"{ORGANIZATIONS}/{created.json()['id']}")).json()

    assert body["contract"] is None
    # On the default site the parent's master contract (demo data) is inherited.
    assert body["derivedContract"]["repositoryId"] == "100010"


@pytest.mark.parametrize("headers", [{}, {"x-ccsite": "site1"}], ids=["default", "x-ccsite"])
async def test_the_site_is_read_once_by_the_create_and_not_again_for_the_reply(
    client: httpx.AsyncClient, statement_counter: Any, headers: dict[str, str]
) -> None:
    """The core's first statement finds the site (the one named, else the default); the
    reply's site values are read for that site without reading its row again."""
    doc = {"name": "Site Reader", "contract": contract(displayName="Read Once")}
    statement_counter.reset()

    response = await client.post(ORGANIZATIONS, json=doc, headers=headers)

    assert response.status_code == 200
    assert response.json()["contract"]["displayName"] == "Read Once"
    reading_sites = [s for s in statement_counter.statements if "FROM sites" in s]
    assert len(reading_sites) == 1, reading_sites


async def test_unknown_x_ccsite_is_rejected_and_creates_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    response = await client.post(
        ORGANIZATIONS, json={"name": "Nowhere"}, headers={"x-ccsite": "noSuchSite"}
    )

    assert response.status_code == 400
    assert (response.json()["errorCode"], response.json()["o:errorPath"]) == (
        "100002",
        "x-ccsite",
    )
    assert await session.scalar(select(models.Organization).filter_by(name="Nowhere")) is None


async def test_dynamic_property_is_stored_and_returned_as_a_top_level_key(
    client: httpx.AsyncClient,
) -> None:
    doc = {"name": "Dynamic", "dynamicProperty1": "blue"}
    created = (await client.post(ORGANIZATIONS, json=doc)).json()

    body = (await client.get(f"{ORGANIZATIONS}/{created['id']}")).json()

    assert (created["dynamicProperty1"], body["dynamicProperty1"]) == ("blue", "blue")


async def test_order_price_limit_is_returned_as_a_json_number(client: httpx.AsyncClient) -> None:
    response = await client.post(ORGANIZATIONS, json={"name": "Limits", "orderPriceLimit": 1250.5})

    assert response.json()["orderPriceLimit"] == 1250.5


async def test_organization_without_values_renders_nulls_and_empty_lists(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.post(ORGANIZATIONS, json={"name": "Bare"})).json()

    assert {key: value for key, value in body.items() if value not in (None, [])} == {
        "id": body["id"],
        "repositoryId": body["id"],
        "name": "Bare",
        "active": True,
        "links": [{"rel": "self", "href": f"http://localhost:9080{ORGANIZATIONS}"}],
        "relativeRoles": body["relativeRoles"],
        "rolesApplyToDivisions": False,
    }


async def test_failed_create_leaves_no_rows_behind(
    client: httpx.AsyncClient, session: AsyncSession, sample_request: dict[str, Any]
) -> None:
    before = await row_counts(session)
    sample_request["contract"]["catalogId"] = "noSuchCatalog"

    response = await client.post(ORGANIZATIONS, json=sample_request)

    assert response.status_code == 400
    assert await row_counts(session) == before


async def test_two_concurrent_creates_of_one_name_give_one_200_and_one_409(
    client: httpx.AsyncClient, sample_request: dict[str, Any], session: AsyncSession
) -> None:
    responses = await asyncio.gather(
        client.post(ORGANIZATIONS, json=sample_request),
        client.post(ORGANIZATIONS, json={**sample_request, "name": " oracle "}),
    )

    assert sorted(response.status_code for response in responses) == [200, 409]
    conflict = next(response for response in responses if response.status_code == 409)
    assert (conflict.json()["errorCode"], conflict.json()["o:errorPath"]) == ("100005", "name")
    rows = await session.scalars(select(models.Organization.name).filter_by(name_key="oracle"))
    assert len(list(rows)) == 1
