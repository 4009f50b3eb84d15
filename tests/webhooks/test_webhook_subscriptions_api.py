"""Webhook subscriptions through GraphQL and REST (``/ccadmin/v1/webhookSubscriptions``):
admin only, validated, the secret shown once, deliveries visible."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from webhook_receiver import Receiver
from webhook_support import emit_committed

from orgql.core.events.outbox import EventType
from orgql.webhooks.dispatcher import Dispatcher, DispatchPolicy

SUBSCRIPTIONS = "/ccadmin/v1/webhookSubscriptions"

CREATE = """
mutation Create($input: CreateWebhookSubscriptionInput!) {
  createWebhookSubscription(input: $input) {
    webhookSubscription { id url eventTypes active description }
    secret
    userErrors { code message field }
  }
}
"""

LIST = """
query List($status: WebhookDeliveryStatus, $first: Int! = 20) {
  webhookSubscriptions {
    id url eventTypes active
    deliveries(status: $status, first: $first) {
      eventId eventType organizationId status attempts lastStatusCode lastError deliveredAt
    }
  }
}
"""

DELETE = """
mutation Delete($id: ID!) {
  deleteWebhookSubscription(id: $id) { deletedId userErrors { code field } }
}
"""


async def graphql(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_creating_a_subscription_shows_its_secret_once(client: httpx.AsyncClient) -> None:
    created = await graphql(
        client,
        CREATE,
        {"input": {"url": "https://erp.example.com/hooks", "eventTypes": ["organization.moved"]}},
    )

    payload = created["data"]["createWebhookSubscription"]
    assert payload["userErrors"] == []
    assert payload["secret"].startswith("whsec_")
    assert len(payload["secret"]) > 40
    assert payload["webhookSubscription"] | {"id": None} == {
        "id": None,
        "url": "https://erp.example.com/hooks",
        "eventTypes": ["organization.moved"],
        "active": True,
        "description": None,
    }
    listed = await client.get(SUBSCRIPTIONS)
    assert payload["secret"] not in listed.text
    one = await client.get(f"{SUBSCRIPTIONS}/{payload['webhookSubscription']['id']}")
    assert "secret" not in one.json()
    asking = await graphql(client, "{ webhookSubscriptions { secret } }")
    assert "Cannot query field 'secret'" in asking["errors"][0]["message"]


async def test_a_bad_url_or_event_type_is_refused_with_every_problem(
    client: httpx.AsyncClient,
) -> None:
    refused = await graphql(
        client,
        CREATE,
        {"input": {"url": "ftp://x.example.com/", "eventTypes": ["organization.created", "nope"]}},
    )

    payload = refused["data"]["createWebhookSubscription"]
    assert payload["webhookSubscription"] is None
    assert payload["secret"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("100002", "url"),
        ("100002", "eventTypes[1]"),
    ]
    assert (await client.get(SUBSCRIPTIONS)).json() == {"items": []}


@pytest.mark.parametrize(
    "url",
    [
        "https://xn--/",
        "https://XN--/hooks",
        "https://xn--a.example.com/",
        "https://erp.xn--/",
        "https://\u2603.example.com/",
        "https://1.2.3.999/",
    ],
    ids=["empty a-label", "in capitals", "not punycode", "last label", "symbol", "ipv4 past 255"],
)
async def test_a_host_the_http_client_cannot_read_is_refused(
    client: httpx.AsyncClient, url: str
) -> None:
    """Each was registered, then failed every delivery (``IDNAError: Malformed A-label``):
    the host is checked as httpx reads it (the idna package, IDNA 2008)."""
    response = await client.post(SUBSCRIPTIONS, json={"url": url})

    assert response.status_code == 400, response.text
    assert (response.json()["errorCode"], response.json()["o:errorPath"]) == ("100002", "url")
    assert "host" in response.json()["message"]
    assert (await client.get(SUBSCRIPTIONS)).json() == {"items": []}


@pytest.mark.parametrize(
    "url", ["https://xn--bcher-kva.example/", "https://b\u00fccher.example/", "https://[::1]/h"]
)
async def test_an_international_host_name_is_accepted(client: httpx.AsyncClient, url: str) -> None:
    assert (await client.post(SUBSCRIPTIONS, json={"url": url})).status_code == 201


async def test_urls_must_be_absolute_http_without_credentials(client: httpx.AsyncClient) -> None:
    for url in (
        "not a url",
        "/relative/path",
        "http://",
        "https://user:pw@example.com/h",
        "http://example.com/h#frag",
        "http://example.com:99999/",
        "javascript:alert(1)",
        "https://example.com/" + "a" * 2100,
    ):
        response = await client.post(SUBSCRIPTIONS, json={"url": url})
        assert response.status_code == 400, url
        assert (response.json()["errorCode"], response.json()["o:errorPath"]) == ("100002", "url")


async def test_rest_create_list_get_and_delete(client: httpx.AsyncClient) -> None:
    created = await client.post(
        SUBSCRIPTIONS,
        json={"url": "http://127.0.0.1:8099/in", "description": "ERP", "active": False},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"].startswith("whsec_")
    subscription_id = body["id"]
    expected = {
        "id": subscription_id,
        "url": "http://127.0.0.1:8099/in",
        "eventTypes": [],
        "active": False,
        "description": "ERP",
        "createdAt": body["createdAt"],
    }

    assert (await client.get(SUBSCRIPTIONS)).json() == {"items": [expected]}
    assert (await client.get(f"{SUBSCRIPTIONS}/{subscription_id}")).json() == expected
    assert (await client.delete(f"{SUBSCRIPTIONS}/{subscription_id}")).status_code == 204
    gone = await client.delete(f"{SUBSCRIPTIONS}/{subscription_id}")
    assert (gone.status_code, gone.json()["errorCode"]) == (404, "190001")
    not_an_id = await client.get(f"{SUBSCRIPTIONS}/nope")
    assert (not_an_id.status_code, not_an_id.json()["errorCode"]) == (404, "190001")


async def test_rest_refuses_unknown_properties_and_wrong_types(client: httpx.AsyncClient) -> None:
    response = await client.post(
        SUBSCRIPTIONS, json={"url": 5, "eventTypes": "organization.created", "secret": "mine"}
    )

    assert response.status_code == 400
    assert [(e["errorCode"], e["o:errorPath"]) for e in response.json()["errors"]] == [
        ("100002", "secret"),
        ("100002", "url"),
        ("100002", "eventTypes"),
    ]


async def test_only_admins_manage_subscriptions(
    anonymous_client: httpx.AsyncClient, shopper_client: Callable[[str], httpx.AsyncClient]
) -> None:
    assert (await anonymous_client.get(SUBSCRIPTIONS)).status_code == 401
    assert (
        await anonymous_client.post(SUBSCRIPTIONS, json={"url": "http://example.com/"})
    ).status_code == 401
    async with shopper_client("110000") as shopper:
        listed = await graphql(shopper, "{ webhookSubscriptions { id } }")
        created = await graphql(shopper, CREATE, {"input": {"url": "http://example.com/"}})
        assert (await shopper.get(SUBSCRIPTIONS)).status_code in (401, 403)
    assert listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert created["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_deleting_a_subscription_through_graphql(client: httpx.AsyncClient) -> None:
    created = await client.post(SUBSCRIPTIONS, json={"url": "http://example.com/"})
    subscription_id = created.json()["id"]

    deleted = await graphql(client, DELETE, {"id": subscription_id})
    again = await graphql(client, DELETE, {"id": subscription_id})

    assert deleted["data"]["deleteWebhookSubscription"] == {
        "deletedId": subscription_id,
        "userErrors": [],
    }
    assert again["data"]["deleteWebhookSubscription"]["userErrors"] == [
        {"code": "190001", "field": "id"}
    ]


async def test_given_up_deliveries_show_as_failed(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    receiver: Receiver,
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    receiver.behave = lambda received: 410
    created = await client.post(SUBSCRIPTIONS, json={"url": receiver.url})
    assert created.status_code == 201
    await emit_committed(engine, [(EventType.FINANCIAL_DATA_SYNCED, "100001")])

    await make_dispatcher(policy=DispatchPolicy(max_attempts=1)).drain()
    listed = await graphql(client, LIST, {"status": "FAILED"})

    [subscription] = listed["data"]["webhookSubscriptions"]
    [delivery] = subscription["deliveries"]
    assert delivery | {"eventId": None} == {
        "eventId": None,
        "eventType": "financialData.synced",
        "organizationId": "100001",
        "status": "FAILED",
        "attempts": 1,
        "lastStatusCode": 410,
        "lastError": "HTTP 410",
        "deliveredAt": None,
    }
    pending = await graphql(client, LIST, {"status": "PENDING"})
    assert pending["data"]["webhookSubscriptions"][0]["deliveries"] == []
    too_many = await graphql(client, LIST, {"first": 101})
    assert too_many["errors"][0]["extensions"]["code"] == "100002"


async def test_listing_deliveries_of_many_subscriptions_costs_what_one_costs(
    client: httpx.AsyncClient, engine: AsyncEngine, statement_counter: Any
) -> None:
    await client.post(SUBSCRIPTIONS, json={"url": "http://example.com/1"})
    await emit_committed(engine, [(EventType.ORGANIZATION_UPDATED, "100001")] * 3)
    statement_counter.reset()
    await graphql(client, LIST)
    one = statement_counter.count

    for n in range(2, 5):
        await client.post(SUBSCRIPTIONS, json={"url": f"http://example.com/{n}"})
    await emit_committed(engine, [(EventType.ORGANIZATION_UPDATED, "100002")] * 3)
    statement_counter.reset()
    listed = await graphql(client, LIST)

    assert [len(s["deliveries"]) for s in listed["data"]["webhookSubscriptions"]] == [6, 3, 3, 3]
    assert statement_counter.count == one


async def test_the_event_type_catalogue_is_queryable(client: httpx.AsyncClient) -> None:
    listed = await graphql(client, "{ webhookEventTypes }")

    assert listed["data"]["webhookEventTypes"] == [t.value for t in EventType]
    assert "organization.effectiveValueChanged" in listed["data"]["webhookEventTypes"]


SET_ACTIVE = """
mutation SetActive($id: ID!, $active: Boolean!) {
  setWebhookSubscriptionActive(id: $id, active: $active) {
    webhookSubscription { active } userErrors { code field }
  }
}
"""


async def test_a_paused_subscription_keeps_its_pending_deliveries_and_skips_new_events(
    client: httpx.AsyncClient, engine: AsyncEngine, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    subscription_id = (await client.post(SUBSCRIPTIONS, json={"url": receiver.url})).json()["id"]
    await emit_committed(engine, [(EventType.ORGANIZATION_UPDATED, "100001")])  # before: kept

    paused = await client.patch(f"{SUBSCRIPTIONS}/{subscription_id}", json={"active": False})
    await emit_committed(engine, [(EventType.ORGANIZATION_MOVED, "100001")])  # while paused
    assert await dispatcher.drain() == 0
    resumed = await graphql(client, SET_ACTIVE, {"id": subscription_id, "active": True})
    await dispatcher.drain()

    assert (paused.status_code, paused.json()["active"]) == (200, False)
    assert resumed["data"]["setWebhookSubscriptionActive"] == {
        "webhookSubscription": {"active": True},
        "userErrors": [],
    }
    assert [r.document["type"] for r in receiver.received] == ["organization.updated"]
    bad = await client.patch(f"{SUBSCRIPTIONS}/{subscription_id}", json={"active": "no"})
    assert (bad.status_code, bad.json()["o:errorPath"]) == (400, "active")
    missing = await graphql(client, SET_ACTIVE, {"id": "nope", "active": True})
    assert missing["data"]["setWebhookSubscriptionActive"]["userErrors"] == [
        {"code": "190001", "field": "id"}
    ]
