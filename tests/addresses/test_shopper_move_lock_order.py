"""A shopper's mutation that compares a subtree's effective values around its write (a
subscription takes ``organization.effectiveValueChanged``) holds off moves before it locks
any organization's row, its standing's included (core.organizations.move_lock): a move
takes the move lock, then the rows of the subtree it moves; a mutation that held an
account's row while it waited for the move lock would deadlock with it (40P01, one of them
answered 503: the merchant's move, as likely as the shopper's change).

Two real connections, no timing: a move's transaction holds the move lock while the
shopper's mutation starts, and waits for it; the move then locks the account's row (within
100 ms, else it fails), which the shopper's mutation must not hold yet."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from database_checks import wait_until_waiting_on_locks
from graphql_client import SAMPLE_ADDRESS_LINES
from orgql.core.organizations.move_lock import lock_moves
from orgql.db import models
from orgql.db.engine import make_sessionmaker
from rest.builders import delegate_approvals

SAMPLE, SHELLY = "100001", "110000"
LINES = SAMPLE_ADDRESS_LINES
ADD = """mutation($org: ID!, $input: OrganizationAddressInput!) {
  addOrganizationAddress(organizationId: $org, input: $input) {
    address { addressType } userErrors { code field } } }"""
SITE = """mutation($input: [SiteOrganizationPropertiesInput!]!) {
  updateSiteOrganizationProperties(id: "100001", input: $input) {
    siteOrganizationProperties { orderPriceLimit } userErrors { code } } }"""


@pytest.fixture(autouse=True)
async def compared(client: httpx.AsyncClient) -> None:
    """A subscription that takes the effective values' changes: writes compare subtrees."""
    subscribed = await client.post(
        "/ccadmin/v1/webhookSubscriptions",
        json={
            "url": "https://hooks.example.com/orgql",
            "eventTypes": ["organization.effectiveValueChanged"],
        },
    )
    assert subscribed.status_code in (200, 201), subscribed.text


async def during_a_move(
    engine: AsyncEngine, shopper: httpx.AsyncClient, query: str, **variables: Any
) -> httpx.Response:
    """The shopper's mutation, started while a move holds the move lock; the move then
    locks the account's row, as it rewrites its subtree's paths."""
    async with make_sessionmaker(engine)() as move, move.begin():
        await lock_moves(move)
        mutation = asyncio.create_task(
            shopper.post("/graphql", json={"query": query, "variables": variables})
        )
        await wait_until_waiting_on_locks(engine, 1)
        await move.execute(text("SET LOCAL lock_timeout = '100ms'"))
        organization = models.Organization
        await move.execute(
            select(organization.id).where(organization.id == SAMPLE).with_for_update()
        )
        await move.rollback()
        return await mutation


async def test_a_shoppers_address_change_waits_for_a_move_before_locking_the_account(
    engine: AsyncEngine,
    client: httpx.AsyncClient,
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    created = await client.post(
        "/ccadmin/v1/profiles",
        json={"email": "addresses@example.com", "parentOrganization": {"id": SAMPLE}},
    )
    manager = created.json()["id"]
    roles = {"roles": [{"function": "accountAddressManager", "relativeTo": {"id": SAMPLE}}]}
    granted = await client.post(f"/ccadmin/v1/profiles/{manager}/addRoles", json=roles)
    assert granted.status_code == 200, granted.text

    async with shopper_client(manager) as shopper:
        input = {"addressType": "Dock", "address": LINES}
        answer = await during_a_move(engine, shopper, ADD, org=SAMPLE, input=input)

    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["addOrganizationAddress"] == {
        "address": {"addressType": "Dock"},
        "userErrors": [],
    }


async def test_a_shoppers_approval_setting_waits_for_a_move_before_locking_the_account(
    engine: AsyncEngine,
    client: httpx.AsyncClient,
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    await delegate_approvals(client, SAMPLE)

    async with shopper_client(SHELLY) as shelly:
        limit = [{"site": "siteUS", "properties": {"orderPriceLimit": 500}}]
        answer = await during_a_move(engine, shelly, SITE, input=limit)

    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["updateSiteOrganizationProperties"] == {
        "siteOrganizationProperties": [{"orderPriceLimit": 500.0}],
        "userErrors": [],
    }
