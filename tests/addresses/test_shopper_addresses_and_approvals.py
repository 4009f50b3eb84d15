"""A shopper's account addresses (accountAddressManager) and approval settings (an admin,
where the account delegates approval management), over GraphQL."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from address_limit_support import contact_with
from address_limit_support import graphql as run
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from graphql_client import SAMPLE_ADDRESS_LINES
from orgql.db import models
from rest.builders import delegate_approvals

SAMPLE, SHELLY = "100001", "110000"
LINES = SAMPLE_ADDRESS_LINES
ADD = """mutation($org: ID!, $input: OrganizationAddressInput!) {
  addOrganizationAddress(organizationId: $org, input: $input) {
    address { addressType } userErrors { code field } } }"""
SITE = """mutation($input: [SiteOrganizationPropertiesInput!]!) {
  updateSiteOrganizationProperties(id: "100001", input: $input) {
    siteOrganizationProperties { orderPriceLimit } userErrors { code } } }"""


async def address_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(models.Address)) or 0)


async def test_an_account_address_manager_adds_an_address_and_a_buyer_is_refused(
    client: httpx.AsyncClient,
    shopper_client: Callable[[str], httpx.AsyncClient],
    session: AsyncSession,
) -> None:
    manager = await contact_with(client, "addresses@example.com", "accountAddressManager")
    buyer = await contact_with(client, "buyer@example.com", "buyer")
    variables = {"org": SAMPLE, "input": {"addressType": "Dock", "address": LINES}}
    count = await address_count(session)

    async with shopper_client(buyer) as shopper:
        refused = await run(shopper, ADD, **variables)
    assert refused["data"] == {"addOrganizationAddress": None}
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert await address_count(session) == count

    async with shopper_client(manager) as shopper:
        added = await run(shopper, ADD, **variables)
    assert added["data"]["addOrganizationAddress"] == {
        "address": {"addressType": "Dock"},
        "userErrors": [],
    }
    assert await address_count(session) == count + 1


async def test_an_admin_sets_approval_values_only_where_the_account_delegates_them(
    client: httpx.AsyncClient, shopper_client: Callable[[str], httpx.AsyncClient]
) -> None:
    limit = [{"site": "siteUS", "properties": {"orderPriceLimit": 500}}]
    async with shopper_client(SHELLY) as shelly:
        before = await run(shelly, SITE, input=limit)
        await delegate_approvals(client, SAMPLE)
        allowed = await run(shelly, SITE, input=limit)
        beyond = await run(
            shelly,
            SITE,
            input=[
                {
                    "site": "siteUS",
                    "properties": {"orderPriceLimit": 9, "delegateApprovalManagement": False},
                }
            ],
        )

    assert before["data"] == {"updateSiteOrganizationProperties": None}
    assert [e["extensions"]["code"] for e in before["errors"]] == ["FORBIDDEN"]
    assert allowed["data"]["updateSiteOrganizationProperties"] == {
        "siteOrganizationProperties": [{"orderPriceLimit": 500.0}],
        "userErrors": [],
    }
    assert beyond["data"] == {"updateSiteOrganizationProperties": None}
    own = await client.get(f"/ccadmin/v1/organizations/{SAMPLE}", headers={"x-ccsite": "siteUS"})
    assert (own.json()["orderPriceLimit"], own.json()["delegateApprovalManagement"]) == (500, True)


async def test_the_last_approver_rule_applies_to_a_shopper_enabling_approval(
    client: httpx.AsyncClient, shopper_client: Callable[[str], httpx.AsyncClient]
) -> None:
    await delegate_approvals(client, SAMPLE)

    async with shopper_client(SHELLY) as shelly:
        body = await run(
            shelly, SITE, input=[{"site": "siteUS", "properties": {"approvalRequired": True}}]
        )

    assert body["data"]["updateSiteOrganizationProperties"] == {
        "siteOrganizationProperties": [],
        "userErrors": [{"code": "100083"}],
    }


async def test_an_address_manager_of_another_account_finds_no_such_account(
    client: httpx.AsyncClient,
    shopper_client: Callable[[str], httpx.AsyncClient],
    session: AsyncSession,
) -> None:
    manager = await contact_with(client, "addresses2@example.com", "accountAddressManager")
    count = await address_count(session)

    async with shopper_client(manager) as shopper:
        body = await run(
            shopper, ADD, org="100002", input={"addressType": "Dock", "address": LINES}
        )

    assert body["data"]["addOrganizationAddress"] == {
        "address": None,
        "userErrors": [{"code": "100001", "field": "organizationId"}],
    }
    assert await address_count(session) == count


UPDATE = """mutation($org: ID!, $id: ID!, $input: OrganizationAddressInput!) {
  updateOrganizationAddress(organizationId: $org, addressId: $id, input: $input) {
    address { addressType } userErrors { code field } } }"""
#: Input that breaks the address rules (no lines, a city longer than its column).
BROKEN = {"addressType": "Dock", "address": {"city": "x" * 500}}


async def test_a_shopper_without_the_role_is_refused_before_their_input_is_read(
    client: httpx.AsyncClient, shopper_client: Callable[[str], httpx.AsyncClient]
) -> None:
    buyer = await contact_with(client, "curious.buyer@example.com", "buyer")
    async with shopper_client(buyer) as shopper:
        added = await run(shopper, ADD, org=SAMPLE, input=BROKEN)
        updated = await run(shopper, UPDATE, org=SAMPLE, id="150001", input=BROKEN)

    for body, field in ((added, "addOrganizationAddress"), (updated, "updateOrganizationAddress")):
        assert body["data"] == {field: None}, body
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]


async def test_broken_input_for_another_account_is_answered_as_for_a_missing_one(
    client: httpx.AsyncClient, shopper_client: Callable[[str], httpx.AsyncClient]
) -> None:
    manager = await contact_with(client, "addresses3@example.com", "accountAddressManager")
    async with shopper_client(manager) as shopper:
        other = await run(shopper, ADD, org="100002", input=BROKEN)
        missing = await run(shopper, ADD, org="nope", input=BROKEN)
        own = await run(shopper, ADD, org=SAMPLE, input=BROKEN)

    assert other["data"] == missing["data"]
    assert other["data"]["addOrganizationAddress"]["userErrors"] == [
        {"code": "100001", "field": "organizationId"}
    ]
    assert {e["code"] for e in own["data"]["addOrganizationAddress"]["userErrors"]} == {
        "00004",
        "100002",
    }


async def test_a_shopper_refused_a_property_is_told_its_place_in_the_input(
    client: httpx.AsyncClient, shopper_client: Callable[[str], httpx.AsyncClient]
) -> None:
    """The FORBIDDEN error's field is the mutation's argument path (``input[0].properties``),
    as a userError's is: not the REST body's ``siteOrganizationProperties[0].properties``."""
    await delegate_approvals(client, SAMPLE)
    entries = [{"site": "siteUS", "properties": {"delegateApprovalManagement": False}}]

    async with shopper_client(SHELLY) as shelly:
        body = await run(shelly, SITE, input=entries)

    assert body["data"] == {"updateSiteOrganizationProperties": None}
    assert [e["extensions"] for e in body["errors"]] == [
        {"code": "FORBIDDEN", "field": "input[0].properties"}
    ]
