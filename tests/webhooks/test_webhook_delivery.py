"""Webhook delivery to a real receiver on loopback: signed, retried with backoff, in order
per organization, never twice, given up after the last attempt. Time moves by the test's
clock, never by sleeping."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from webhook_receiver import Receiver
from webhook_support import (
    Clock,
    deliver_everything,
    deliveries_of,
    emit_committed,
    outbox,
    subscribe,
)

from orgql.core.events.outbox import EventType
from orgql.db.event_models import WebhookSubscription
from orgql.webhooks.dispatcher import Dispatcher, DispatchPolicy
from orgql.webhooks.signing import verify

ORGANIZATIONS = "/ccadmin/v1/organizations"


async def test_a_receiver_down_for_the_first_attempts_gets_every_event_in_order_signed_once(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    session: AsyncSession,
    receiver: Receiver,
    dispatcher: Dispatcher,
    clock: Clock,
) -> None:
    subscription = await subscribe(engine, receiver.url)
    receiver.behave = lambda received: 503 if len(receiver.received) < 5 else 200
    first = (await client.post(ORGANIZATIONS, json={"name": "Hook A"})).json()["id"]
    second = (await client.post(ORGANIZATIONS, json={"name": "Hook B"})).json()["id"]
    for organization, limit in ((first, 10), (second, 20), (first, 30), (first, 40)):
        answer = await client.post(
            f"{ORGANIZATIONS}/{organization}/updateSiteOrganizationProperties",
            json={
                "siteOrganizationProperties": [
                    {"site": {"id": "site2"}, "properties": {"orderPriceLimit": limit}}
                ]
            },
        )
        assert answer.status_code == 200, answer.text
    emitted = await outbox(session)
    assert len(emitted) == 10  # 2 created, 4 site updates each with its effective-value event

    await deliver_everything(dispatcher, clock)

    accepted = [r for i, r in enumerate(receiver.received) if i >= 5]
    assert len(receiver.received) > len(emitted)  # the receiver was down: some retries
    assert Counter(r.headers["orgql-event-id"] for r in accepted) == Counter(
        str(e.event_id) for e in emitted
    )  # every event arrived once while the receiver answered 200
    for organization in (first, second):
        in_outbox = [str(e.event_id) for e in emitted if e.organization_id == organization]
        arrivals = [
            r.document["id"]
            for r in receiver.received
            if r.document["organizationId"] == organization
        ]
        # In order: an event never arrives before an earlier one of its organization was
        # accepted (arrivals are the outbox order, each repeated while refused).
        assert list(dict.fromkeys(arrivals)) == in_outbox
        assert arrivals == sorted(arrivals, key=in_outbox.index)
    for received in receiver.received:
        assert verify(
            subscription.secret,
            received.headers["orgql-timestamp"],
            received.body,
            received.headers["orgql-signature"],
        )
        assert not verify(
            "whsec_another",
            received.headers["orgql-timestamp"],
            received.body,
            received.headers["orgql-signature"],
        )
    assert {d.status for d in await deliveries_of(session, subscription.subscription.id)} == {
        "delivered"
    }


async def test_a_delivery_posts_the_documented_body_and_headers(
    engine: AsyncEngine, session: AsyncSession, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    await subscribe(engine, receiver.url)
    await emit_committed(engine, [(EventType.ORGANIZATION_MOVED, "100003")])
    [event] = await outbox(session)

    assert await dispatcher.drain() == 1

    [received] = receiver.received
    assert received.path == "/hooks"
    assert received.document == {
        "id": str(event.event_id),
        "type": "organization.moved",
        "occurredAt": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "organizationId": "100003",
        "data": {"n": 0},
    }
    assert received.headers["content-type"] == "application/json"
    assert received.headers["orgql-event-id"] == str(event.event_id)
    assert received.headers["orgql-event-type"] == "organization.moved"
    assert received.headers["orgql-signature"].startswith("v1=")
    assert received.headers["orgql-timestamp"].isdigit()


async def test_retries_follow_the_exponential_schedule_then_give_up(
    engine: AsyncEngine,
    session: AsyncSession,
    receiver: Receiver,
    dispatcher: Dispatcher,
    clock: Clock,
) -> None:
    subscription = await subscribe(engine, receiver.url)
    receiver.behave = lambda received: 503
    await emit_committed(engine, [(EventType.ORGANIZATION_UPDATED, "100001")])
    delays = []

    for _ in range(dispatcher.policy.max_attempts):
        assert await dispatcher.dispatch_once() == 1
        assert await dispatcher.dispatch_once() == 0  # not due before its delay
        [delivery] = await deliveries_of(session, subscription.subscription.id)
        assert delivery.last_attempt_at is not None
        delays.append((delivery.next_attempt_at - delivery.last_attempt_at).total_seconds())
        clock.advance(delays[-1])

    # base 2 s, doubled; the fifth attempt (max_attempts) is the last.
    assert delays[:4] == [2.0, 4.0, 8.0, 16.0]
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 5, 503)
    assert delivery.last_error == "HTTP 503"
    assert len(receiver.received) == 5
    clock.advance(3600)
    assert await dispatcher.drain() == 0


async def test_an_organizations_later_event_waits_for_its_earlier_one_but_others_do_not(
    engine: AsyncEngine,
    session: AsyncSession,
    receiver: Receiver,
    dispatcher: Dispatcher,
    clock: Clock,
) -> None:
    subscription = await subscribe(engine, receiver.url)
    receiver.behave = lambda received: (  # n 0 refused the first time, accepted after
        503 if received.document["data"] == {"n": 0} and len(receiver.received) == 0 else 200
    )
    await emit_committed(
        engine,
        [
            (EventType.ORGANIZATION_UPDATED, "100001"),  # n 0: refused at first
            (EventType.ORGANIZATION_UPDATED, "100001"),  # n 1: must wait for n 0
            (EventType.ORGANIZATION_UPDATED, "100002"),  # n 2: another organization
        ],
    )

    await dispatcher.drain()

    assert [r.document["data"]["n"] for r in receiver.received] == [0, 2]
    statuses = [d.status for d in await deliveries_of(session, subscription.subscription.id)]
    assert statuses == ["pending", "pending", "delivered"]

    await deliver_everything(dispatcher, clock)

    assert [r.document["data"]["n"] for r in receiver.received] == [0, 2, 0, 1]


async def test_a_given_up_event_no_longer_holds_back_the_next_one(
    engine: AsyncEngine,
    session: AsyncSession,
    receiver: Receiver,
    make_dispatcher: Callable[..., Dispatcher],
    clock: Clock,
) -> None:
    dispatcher = make_dispatcher(policy=DispatchPolicy(backoff_base=1, max_attempts=2, jitter=0))
    subscription = await subscribe(engine, receiver.url)
    receiver.behave = lambda received: 500 if received.document["data"] == {"n": 0} else 204
    await emit_committed(
        engine,
        [
            (EventType.ORGANIZATION_UPDATED, "100001"),
            (EventType.ORGANIZATION_DEACTIVATED, "100001"),
        ],
    )

    await deliver_everything(dispatcher, clock)

    statuses = [d.status for d in await deliveries_of(session, subscription.subscription.id)]
    assert statuses == ["failed", "delivered"]
    assert [r.document["data"]["n"] for r in receiver.received] == [0, 0, 1]


async def test_an_unreachable_receiver_is_retried_with_the_error_recorded(
    engine: AsyncEngine, session: AsyncSession, dispatcher: Dispatcher
) -> None:
    closed = Receiver()
    await closed.start()
    url = closed.url
    await closed.stop()  # nothing listens there any more
    subscription = await subscribe(engine, url)
    await emit_committed(engine, [(EventType.ORGANIZATION_CREATED, "100001")])

    assert await dispatcher.drain() == 1

    [delivery] = await deliveries_of(session, subscription.subscription.id)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, None)
    assert delivery.last_error == "ConnectError: connection refused"


async def test_two_dispatchers_at_once_deliver_each_event_exactly_once(
    engine: AsyncEngine,
    session: AsyncSession,
    receiver: Receiver,
    make_dispatcher: Callable[..., Dispatcher],
) -> None:
    small_batches = DispatchPolicy(batch_size=2)
    one, two = make_dispatcher(policy=small_batches), make_dispatcher(policy=small_batches)
    await subscribe(engine, receiver.url)
    await subscribe(engine, receiver.url.replace("/hooks", "/second"))
    organizations = ["100001", "100002", "100003", None]
    await emit_committed(
        engine, [(EventType.ORGANIZATION_UPDATED, organizations[n % 4]) for n in range(24)]
    )
    emitted = await outbox(session)

    attempts = await asyncio.gather(one.drain(), two.drain())

    assert sum(attempts) == 48
    assert all(attempts)  # both took part
    for path in ("/hooks", "/second"):
        ids = [r.headers["orgql-event-id"] for r in receiver.received if r.path == path]
        assert sorted(ids) == sorted(str(e.event_id) for e in emitted)  # each exactly once
        for organization in organizations:
            in_order = [str(e.event_id) for e in emitted if e.organization_id == organization]
            assert [i for i in ids if i in in_order] == in_order


def readme_verify() -> Callable[..., bool]:
    """The verification recipe of docs/change-events.md, as written there."""
    readme = (Path(__file__).parents[2] / "docs" / "change-events.md").read_text()
    section = readme.split("**Verifying the signature**", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # noqa: S102 - our own documentation
    verify_recipe: Callable[..., bool] = namespace["verify"]
    return verify_recipe


async def test_the_readme_recipe_verifies_a_delivery(
    engine: AsyncEngine, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    subscription = await subscribe(engine, receiver.url)
    await emit_committed(engine, [(EventType.ORGANIZATION_CREATED, "100001")])
    await dispatcher.drain()
    [received] = receiver.received
    recipe = readme_verify()

    assert recipe(subscription.secret, received.headers, received.body)
    assert not recipe(subscription.secret, received.headers, received.body + b" ")
    assert not recipe("whsec_wrong", received.headers, received.body)
    stale = received.headers | {
        "orgql-timestamp": str(int(received.headers["orgql-timestamp"]) - 600)
    }
    assert not recipe(subscription.secret, stale, received.body)


async def test_a_url_the_http_client_cannot_use_fails_alone_not_its_batch(
    engine: AsyncEngine, session: AsyncSession, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    # Refused at registration now, but stored by an older version: the IDNA codec refuses
    # it when sending.
    broken = await subscribe(engine, "http://broken.example/hooks")
    async with engine.begin() as connection:
        await connection.execute(
            update(WebhookSubscription)
            .where(WebhookSubscription.id == broken.subscription.id)
            .values(url="http://xn--/hooks")
        )
    working = await subscribe(engine, receiver.url)
    await emit_committed(engine, [(EventType.ORGANIZATION_CREATED, "100001")])

    assert await dispatcher.drain() == 2

    [failed] = await deliveries_of(session, broken.subscription.id)
    [delivered] = await deliveries_of(session, working.subscription.id)
    assert (failed.status, failed.attempts, failed.last_status_code) == ("pending", 1, None)
    assert failed.last_error is not None
    assert failed.last_error.startswith("IDNAError")
    assert delivered.status == "delivered"


async def test_a_receiver_that_drips_its_answer_fails_at_the_timeout_not_its_batch(
    engine: AsyncEngine, session: AsyncSession, receiver: Receiver, make_dispatcher: Any
) -> None:
    """httpx's timeout bounds each read; a byte in time for every read must still not hold
    the claim (and the batch's other deliveries) open: the whole POST has the timeout."""
    dripping = Receiver(drip=0.02)
    await dripping.start()
    try:
        slow = await subscribe(engine, dripping.url)
        working = await subscribe(engine, receiver.url)
        await emit_committed(engine, [(EventType.ORGANIZATION_CREATED, "100001")])
        # Long enough for the working receiver's answer on a loaded machine; the drip (20 s)
        # outlasts it and the bound below.
        dispatcher = make_dispatcher(policy=DispatchPolicy(timeout=3, max_attempts=5))

        async with asyncio.timeout(10):  # without the bound the drip outlasts this
            assert await dispatcher.dispatch_once() == 2
    finally:
        await dripping.stop()

    [failed] = await deliveries_of(session, slow.subscription.id)
    [delivered] = await deliveries_of(session, working.subscription.id)
    assert (failed.status, failed.attempts, failed.last_status_code) == ("pending", 1, None)
    assert failed.last_error is not None
    assert failed.last_error.startswith("TimeoutError")
    assert failed.next_attempt_at > failed.last_attempt_at  # retried after a backoff
    assert delivered.status == "delivered"
