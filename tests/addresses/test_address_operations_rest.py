"""The secondary-address operations over REST: add, read, update, delete, their error codes,
who may call them, and what descendants inheriting an address see.
Demo tree: 100001 > 100002 > 100003; address types ss-10001 (Shipping), ss-10002 (Billing)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from graphql_client import SAMPLE_ADDRESS_LINES
from orgql.db.event_models import OutboxEvent
from orgql.db.history_models import OrganizationHistory

ORGANIZATIONS = "/ccadmin/v1/organizations"
ADDRESSES = f"{ORGANIZATIONS}/{{}}/secondaryAddresses"


def office(nickname: str = "Office", **address: Any) -> dict[str, Any]:
    return {
        "addressType": nickname,
        "address": {**SAMPLE_ADDRESS_LINES, **address},
    }


async def add(client: httpx.AsyncClient, organization_id: str, doc: dict[str, Any]) -> str:
    answer = await client.post(ADDRESSES.format(organization_id), json=doc)
    assert answer.status_code == 201, answer.text
    address_id: str = answer.json()["repositoryId"]
    return address_id


async def test_an_added_address_is_answered_and_read_back(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        ADDRESSES.format("100002"), json=office(types=[{"id": "ss-10002"}], county="Montgomery")
    )

    assert answer.status_code == 201
    body = answer.json()
    address_id = body["repositoryId"]
    assert body["addressType"] == "Office"
    assert body["address"]["city"] == "Montgomery"
    assert body["address"]["county"] == "Montgomery"
    assert body["address"]["isDefaultBillingAddress"] is False
    assert body["address"]["types"] == [
        {"id": "ss-10002", "repositoryId": "ss-10002", "displayName": "Billing"}
    ]
    assert body["links"] == [
        {"rel": "self", "href": f"http://localhost:9080{ADDRESSES.format('100002')}/{address_id}"}
    ]
    read = await client.get(f"{ADDRESSES.format('100002')}/{address_id}")
    assert read.status_code == 200
    assert read.json() == body
    organization = (await client.get(f"{ORGANIZATIONS}/100002")).json()
    assert {"addressType": "Office", "address": organization["secondaryAddresses"][-1]["address"]}[
        "address"
    ]["repositoryId"] == address_id


async def test_a_default_billing_address_is_inherited_and_deleting_it_clears_it(
    client: httpx.AsyncClient,
) -> None:
    address_id = await add(client, "100002", office(isDefaultBillingAddress=True))

    parent = (await client.get(f"{ORGANIZATIONS}/100002")).json()
    child = (await client.get(f"{ORGANIZATIONS}/100003")).json()
    assert parent["billingAddress"]["repositoryId"] == address_id
    assert child["billingAddress"] is None
    assert child["derivedBillingAddress"]["repositoryId"] == address_id
    assert child["derivedBillingAddressType"] == "Office"

    deleted = await client.delete(f"{ADDRESSES.format('100002')}/{address_id}")

    assert deleted.status_code == 204
    assert deleted.content == b""
    parent = (await client.get(f"{ORGANIZATIONS}/100002")).json()
    child = (await client.get(f"{ORGANIZATIONS}/100003")).json()
    assert parent["billingAddress"] is None
    root = (await client.get(f"{ORGANIZATIONS}/100001")).json()
    # Inherited again: whatever the root has in effect (or nothing).
    assert parent["derivedBillingAddress"] == root["derivedBillingAddress"]
    assert child["derivedBillingAddress"] == root["derivedBillingAddress"]
    gone = await client.get(f"{ADDRESSES.format('100002')}/{address_id}")
    assert gone.status_code == 404
    assert gone.json()["errorCode"] == "190101"


async def test_an_update_changes_only_the_keys_given_and_a_false_flag_clears_the_default(
    client: httpx.AsyncClient,
) -> None:
    address_id = await add(
        client, "100002", office(isDefaultShippingAddress=True, address2="Suite 1")
    )
    url = f"{ADDRESSES.format('100002')}/{address_id}"

    answer = await client.put(
        url,
        json={
            "addressType": "Head office",
            "address": {"city": "Mobile", "address2": None, "isDefaultShippingAddress": False},
        },
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["addressType"] == "Head office"
    assert body["address"]["city"] == "Mobile"
    assert body["address"]["address2"] is None
    assert body["address"]["address1"] == "600 Dexter Avenue"
    assert body["address"]["isDefaultShippingAddress"] is False
    organization = (await client.get(f"{ORGANIZATIONS}/100002")).json()
    assert organization["shippingAddress"] is None


async def test_types_are_replaced_by_an_update(client: httpx.AsyncClient) -> None:
    address_id = await add(client, "100002", office(types=[{"id": "ss-10001"}]))
    url = f"{ADDRESSES.format('100002')}/{address_id}"

    answer = await client.put(url, json={"address": {"types": [{"id": "ss-10002"}]}})

    assert [item["id"] for item in answer.json()["address"]["types"]] == ["ss-10002"]


@pytest.mark.parametrize(
    ("doc", "code", "field"),
    [
        ({"address": office()["address"]}, "100002", "addressType"),
        ({"addressType": "Office"}, "100002", "address"),
        (office(city=None), "100002", "address.city"),
        (office(city="x" * 255), "00004", "address.city"),
        (office(types=[{"id": "nope"}]), "180104", "address.types[0].id"),
        (office(types="Billing"), "180120", "address.types"),
        (office(types=[{}]), "100204", "address.types[0].id"),
        (office(colour="red"), "100002", "address.colour"),
        ({**office(), "extra": 1}, "100002", "extra"),
    ],
)
async def test_an_add_that_breaks_a_rule_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, doc: dict[str, Any], code: str, field: str
) -> None:
    before = (await client.get(f"{ORGANIZATIONS}/100002")).json()["secondaryAddresses"]

    answer = await client.post(ADDRESSES.format("100002"), json=doc)

    assert answer.status_code == 400
    assert (answer.json()["errorCode"], answer.json()["o:errorPath"]) == (code, field)
    after = (await client.get(f"{ORGANIZATIONS}/100002")).json()["secondaryAddresses"]
    assert after == before


async def test_a_nickname_is_unique_in_its_organization_ignoring_case(
    client: httpx.AsyncClient,
) -> None:
    first = await add(client, "100002", office("Office"))
    await add(client, "100003", office("office"))  # another organization: fine

    again = await client.post(ADDRESSES.format("100002"), json=office(" OFFICE "))
    renamed = await add(client, "100002", office("Warehouse"))
    clash = await client.put(
        f"{ADDRESSES.format('100002')}/{renamed}", json={"addressType": "Office"}
    )
    same = await client.put(f"{ADDRESSES.format('100002')}/{first}", json={"addressType": "OFFICE"})

    assert (again.status_code, again.json()["errorCode"]) == (400, "100002")
    assert (clash.status_code, clash.json()["o:errorPath"]) == (400, "addressType")
    assert same.status_code == 200


async def test_an_update_cannot_clear_a_required_field_or_the_nickname(
    client: httpx.AsyncClient,
) -> None:
    address_id = await add(client, "100002", office())
    url = f"{ADDRESSES.format('100002')}/{address_id}"

    cleared = await client.put(url, json={"address": {"city": None}})
    nameless = await client.put(url, json={"addressType": " "})
    lineless = await client.put(url, json={"address": None})

    assert (cleared.status_code, cleared.json()["o:errorPath"]) == (400, "address.city")
    assert (nameless.status_code, nameless.json()["o:errorPath"]) == (400, "addressType")
    assert (lineless.status_code, lineless.json()["o:errorPath"]) == (400, "address")


async def test_an_unknown_organization_or_address_is_404(client: httpx.AsyncClient) -> None:
    address_id = await add(client, "100003", office())

    cases = [
        await client.post(ADDRESSES.format("nobody"), json=office()),
        await client.get(f"{ADDRESSES.format('nobody')}/{address_id}"),
        await client.get(f"{ADDRESSES.format('100002')}/{address_id}"),  # not its address
        await client.put(f"{ADDRESSES.format('100002')}/{address_id}", json={}),
        await client.delete(f"{ADDRESSES.format('100002')}/{address_id}"),
        await client.delete(f"{ADDRESSES.format('100002')}/{'9' * 500}"),
    ]

    assert [(a.status_code, a.json()["errorCode"]) for a in cases] == [
        (404, "100001"),
        (404, "100001"),
        (404, "190101"),
        (404, "190101"),
        (404, "190101"),
        (404, "190101"),
    ]
    assert (await client.get(f"{ADDRESSES.format('100003')}/{address_id}")).status_code == 200


async def test_anonymous_callers_and_shoppers_are_refused(
    anonymous_client: httpx.AsyncClient,
    shopper_client: Callable[[str], httpx.AsyncClient],
    client: httpx.AsyncClient,
) -> None:
    address_id = await add(client, "100002", office())
    url = f"{ADDRESSES.format('100002')}/{address_id}"
    async with shopper_client("110000") as shopper:
        for caller in (anonymous_client, shopper):
            answers = [
                await caller.post(ADDRESSES.format("100002"), json=office("Other")),
                await caller.get(url),
                await caller.put(url, json={"addressType": "Mine"}),
                await caller.delete(url),
            ]
            assert [a.status_code for a in answers] == [401, 401, 401, 401]
    assert (await client.get(url)).json()["addressType"] == "Office"


async def test_hostile_bodies_are_400(client: httpx.AsyncClient) -> None:
    deep = b'{"addressType": "Deep", "address": {"types": ' + b"[" * 5000 + b"]" * 5000 + b"}}"
    answers = [
        await client.post(
            ADDRESSES.format("100002"), content=b"[]", headers={"content-type": "application/json"}
        ),
        await client.post(ADDRESSES.format("100002"), json={"addressType": "a\u0000b"}),
        await client.post(
            ADDRESSES.format("100002"), content=deep, headers={"content-type": "application/json"}
        ),
        await client.post(
            ADDRESSES.format("100002"), json=office(types=[{"id": str(i)} for i in range(2000)])
        ),
    ]

    assert [a.status_code for a in answers] == [400, 400, 400, 400]


async def test_changes_are_recorded_in_history_and_emitted(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    address_id = await add(client, "100002", office(isDefaultBillingAddress=True))
    await client.put(f"{ADDRESSES.format('100002')}/{address_id}", json={"address": {"city": "X"}})
    await client.delete(f"{ADDRESSES.format('100002')}/{address_id}")

    history = await session.scalars(
        select(OrganizationHistory.operation)
        .where(
            OrganizationHistory.entity_kind == "address",
            OrganizationHistory.entity_id == address_id,
        )
        .order_by(OrganizationHistory.id)
    )
    assert list(history) == ["insert", "update", "delete"]
    emitted = await session.execute(
        select(OutboxEvent.type, OutboxEvent.payload)
        .where(OutboxEvent.type.like("organization.%"))
        .order_by(OutboxEvent.id)
    )
    rows = [(kind, data) for kind, data in emitted if data.get("id") == "100002"]
    assert rows == [
        (
            "organization.address.created",
            {
                "id": "100002",
                "addressId": address_id,
                "addressType": "Office",
                "changed": [
                    "address1",
                    "addressType",
                    "city",
                    "companyName",
                    "country",
                    "phoneNumber",
                    "postalCode",
                    "state",
                ],
            },
        ),
        (
            "organization.updated",
            {"id": "100002", "version": rows[1][1]["version"], "changed": ["billingAddress"]},
        ),
        (
            "organization.address.updated",
            {"id": "100002", "addressId": address_id, "addressType": "Office", "changed": ["city"]},
        ),
        (
            "organization.address.deleted",
            {"id": "100002", "addressId": address_id, "addressType": "Office"},
        ),
        (
            "organization.updated",
            {"id": "100002", "version": rows[4][1]["version"], "changed": ["billingAddress"]},
        ),
    ]


@pytest.mark.usefixtures("effect_subscriber")
async def test_descendants_inheriting_the_address_are_told_of_each_change(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """Demo 100003 inherits 100002's defaults: a new default, a change of its lines and its
    deletion each reach 100003 as organization.effectiveValueChanged."""
    address_id = await add(client, "100002", office(isDefaultBillingAddress=True))
    await client.put(f"{ADDRESSES.format('100002')}/{address_id}", json={"address": {"city": "X"}})
    await client.delete(f"{ADDRESSES.format('100002')}/{address_id}")

    emitted = await session.execute(
        select(OutboxEvent.payload)
        .where(
            OutboxEvent.type == "organization.effectiveValueChanged",
            OutboxEvent.organization_id == "100003",
        )
        .order_by(OutboxEvent.id)
    )
    told = [
        (data["causedBy"]["eventType"], change["field"], change["before"], change["after"])
        for (data,) in emitted
        for change in data["changes"]
    ]
    root = (await client.get(f"{ORGANIZATIONS}/100001")).json()["derivedBillingAddress"]
    inherited = root["repositoryId"] if root else None
    assert told == [
        ("organization.address.created", "derivedBillingAddress", inherited, address_id),
        ("organization.address.updated", "derivedBillingAddress", address_id, address_id),
        ("organization.address.deleted", "derivedBillingAddress", address_id, inherited),
    ]


async def test_put_of_the_organization_points_to_the_address_operations(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.put(f"{ORGANIZATIONS}/100002", json={"secondaryAddresses": [office()]})

    assert answer.status_code == 400
    body = answer.json()
    assert (body["errorCode"], body["o:errorPath"]) == ("100002", "secondaryAddresses")
    assert "/ccadmin/v1/organizations/{id}/secondaryAddresses" in body["message"]


async def test_a_change_of_types_is_recorded_in_history(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    address_id = await add(client, "100002", office(types=[{"id": "ss-10001"}]))
    await client.put(
        f"{ADDRESSES.format('100002')}/{address_id}",
        json={"address": {"types": [{"id": "ss-10002"}]}},
    )

    recorded = await session.execute(
        select(OrganizationHistory.entity_id, OrganizationHistory.operation)
        .where(
            OrganizationHistory.entity_kind == "address_type",
            OrganizationHistory.organization_id == "100002",
        )
        .order_by(OrganizationHistory.id)
    )
    assert list(recorded) == [
        (f"{address_id}:ss-10001", "insert"),
        (f"{address_id}:ss-10001", "delete"),
        (f"{address_id}:ss-10002", "insert"),
    ]


async def test_an_update_that_changes_nothing_emits_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    address_id = await add(client, "100002", office(types=[{"id": "ss-10001"}]))
    url = f"{ADDRESSES.format('100002')}/{address_id}"

    same = await client.put(
        url,
        json={
            "addressType": "Office",
            "address": {"city": "Montgomery", "types": [{"id": "ss-10001"}]},
        },
    )

    assert same.status_code == 200
    emitted = await session.scalars(
        select(OutboxEvent.type).where(OutboxEvent.type == "organization.address.updated")
    )
    assert list(emitted) == []


async def test_deleting_an_address_a_descendant_chose_tells_of_the_descendants_change(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    # 100003 chooses 100002's address as its own default billing address; deleting the
    # address clears 100003's reference too (a new version): organization.updated says so.
    address_id = await add(client, "100002", office())
    chose = await client.put(f"{ORGANIZATIONS}/100003", json={"billingAddress": {"id": address_id}})
    assert chose.status_code == 200, chose.text
    version = int(chose.headers["etag"].strip('W/"'))

    deleted = await client.delete(f"{ADDRESSES.format('100002')}/{address_id}")

    assert deleted.status_code == 204
    child = await client.get(f"{ORGANIZATIONS}/100003")
    assert child.json()["billingAddress"] is None
    emitted = await session.scalars(
        select(OutboxEvent.payload)
        .where(
            OutboxEvent.type == "organization.updated",
            OutboxEvent.organization_id == "100003",
        )
        .order_by(OutboxEvent.id)
    )
    now = int(child.headers["etag"].strip('W/"'))
    assert now > version
    assert list(emitted)[-1] == {"id": "100003", "version": now, "changed": ["billingAddress"]}
