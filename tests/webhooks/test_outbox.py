"""The transactional outbox: each service writes its event in the change's own transaction,
fanned out to the matching active subscriptions; a failed change writes nothing."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from webhook_support import deliveries_of, outbox, subscribe

from orgql.core.events import outbox as events
from orgql.db.engine import make_sessionmaker
from rest.request_builders import ADMIN_REQUESTS, STORE_REQUESTS, request_document

ORGANIZATIONS = "/ccadmin/v1/organizations"


async def test_creating_an_organization_writes_organization_created(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    response = await client.post(
        ORGANIZATIONS, json={"name": "Outbox Co", "parentOrganization": {"id": "100001"}}
    )
    assert response.status_code == 200, response.text
    created = response.json()["id"]

    [event] = await outbox(session)
    assert (event.type, event.organization_id) == ("organization.created", created)
    assert event.payload == {
        "id": created,
        "name": "Outbox Co",
        "parentOrganizationId": "100001",
        "siteId": "siteUS",
    }


async def test_a_refused_mutation_writes_no_event(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    taken = await client.post(ORGANIZATIONS, json={"name": "Sample"})
    assert taken.status_code == 409

    assert await outbox(session) == []


async def test_an_event_rolled_back_with_its_change_is_gone(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    async with make_sessionmaker(engine)() as writer, writer.begin():
        await events.emit(
            writer,
            type=events.EventType.ORGANIZATION_UPDATED,
            organization_id="100001",
            data={"id": "100001"},
        )
        assert len(await outbox(writer)) == 1
        await writer.rollback()

    assert await outbox(session) == []


@pytest.mark.usefixtures("effect_subscriber")
async def test_site_properties_requests_and_syncs_each_write_their_event(
    client: httpx.AsyncClient, anonymous_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    site_update = await client.post(
        f"{ORGANIZATIONS}/100002/updateSiteOrganizationProperties",
        json={
            "siteOrganizationProperties": [
                {"site": {"id": "site2"}, "properties": {"orderPriceLimit": 50}}
            ]
        },
    )
    assert site_update.status_code == 200, site_update.text
    first = await anonymous_client.post(STORE_REQUESTS, json=request_document("Approved Co"))
    second = await anonymous_client.post(
        STORE_REQUESTS, json=request_document("Rejected Co", email="other@example.com")
    )
    approved = await client.post(f"{ADMIN_REQUESTS}/{first.json()['id']}/approve", json={})
    rejected = await client.post(f"{ADMIN_REQUESTS}/{second.json()['id']}/reject", json={})
    synced = await client.post(f"{ORGANIZATIONS}/100001/syncFinancialData", json={})
    assert [approved.status_code, rejected.status_code, synced.status_code] == [200, 200, 200]
    new_organization = approved.json()["organization"]["id"]

    found = [(e.type, e.organization_id) for e in await outbox(session)]

    assert found == [
        ("organization.siteProperties.updated", "100002"),
        # the new limit is in effect on 100002 and on 100003, which inherits it
        ("organization.effectiveValueChanged", "100002"),
        ("organization.effectiveValueChanged", "100003"),
        ("organizationRequest.submitted", None),
        ("organizationRequest.submitted", None),
        # the requester: a new contact, a member with the admin and buyer roles
        ("contact.created", None),
        ("organization.created", new_organization),
        ("membership.added", new_organization),
        ("contact.parentOrganizationChanged", new_organization),
        ("role.granted", new_organization),
        ("role.granted", new_organization),
        ("organizationRequest.approved", new_organization),
        ("organizationRequest.rejected", None),
        ("financialData.synced", "100001"),
        # the synced default addresses of 100001 are in effect below it too
        ("organization.effectiveValueChanged", "100001"),
        ("organization.effectiveValueChanged", "100002"),
        ("organization.effectiveValueChanged", "100003"),
    ]
    events_by_type = {e.type: e.payload for e in await outbox(session)}
    assert events_by_type["organization.siteProperties.updated"] == {
        "id": "100002",
        "sites": [{"siteId": "site2", "set": ["orderPriceLimit"], "removed": []}],
    }
    assert (
        events_by_type["financialData.synced"]["customerAccountIds"]
        == synced.json()["customerAccountIds"]
    )
    assert events_by_type["organizationRequest.approved"]["requestId"] == first.json()["id"]


async def test_events_fan_out_to_the_active_subscriptions_whose_types_match(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    every = await subscribe(engine, "http://127.0.0.1:9/all")
    created_only = await subscribe(engine, "http://127.0.0.1:9/c", ["organization.created"])
    synced_only = await subscribe(engine, "http://127.0.0.1:9/s", ["financialData.synced"])

    async with make_sessionmaker(engine)() as writer, writer.begin():
        await events.emit_many(
            writer,
            [
                events.Event(events.EventType.ORGANIZATION_CREATED, "100003", {"id": "100003"}),
                events.Event(events.EventType.ORGANIZATION_MOVED, "100002", {"id": "100002"}),
            ],
        )

    emitted = await outbox(session)
    assert [e.type for e in emitted] == ["organization.created", "organization.moved"]
    assert [d.event_id for d in await deliveries_of(session, every.subscription.id)] == [
        e.id for e in emitted
    ]
    assert [d.event_id for d in await deliveries_of(session, created_only.subscription.id)] == [
        emitted[0].id
    ]
    assert await deliveries_of(session, synced_only.subscription.id) == []
    [first, _] = await deliveries_of(session, every.subscription.id)
    assert (first.status, first.attempts, first.ordering_key) == ("pending", 0, "100003")


async def test_a_subscription_gets_only_events_emitted_after_it_was_created(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    async with make_sessionmaker(engine)() as writer, writer.begin():
        await events.emit(
            writer, type=events.EventType.ORGANIZATION_UPDATED, organization_id="100001", data={}
        )
    late = await subscribe(engine, "http://127.0.0.1:9/late")

    assert await deliveries_of(session, late.subscription.id) == []


async def test_emitting_an_unknown_event_type_is_a_programming_error(
    session: AsyncSession,
) -> None:
    with pytest.raises(ValueError, match="unknown event type"):
        await events.emit(
            session,
            type="organization.exploded",  # type: ignore[arg-type]
            organization_id=None,
            data={},
        )


async def test_emitting_costs_one_statement(
    engine: AsyncEngine, session: AsyncSession, statement_counter: object
) -> None:
    await subscribe(engine, "http://127.0.0.1:9/all")
    statement_counter.reset()  # type: ignore[attr-defined]

    await events.emit_many(
        session,
        [
            events.Event(events.EventType.ORGANIZATION_EFFECTIVE_VALUE_CHANGED, org, {"id": org})
            for org in ("100003", "100002", "100001")
        ],
    )

    assert statement_counter.count == 1  # type: ignore[attr-defined]


async def _blocked_on_advisory_lock(engine: AsyncEngine) -> None:
    """Until a session of this database waits for an outbox lock (at most 10 s)."""
    async with asyncio.timeout(10), engine.connect() as connection:
        while True:
            waiting = await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
                )
            )
            if waiting:
                return
            await connection.rollback()  # a fresh snapshot of the activity view
            await asyncio.sleep(0.01)


async def test_an_organizations_events_take_their_order_at_commit(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    maker = make_sessionmaker(engine)

    async def emit_and_commit(organization_id: str, n: int) -> None:
        async with maker() as writer, writer.begin():
            await events.emit(
                writer,
                type=events.EventType.ORGANIZATION_UPDATED,
                organization_id=organization_id,
                data={"n": n},
            )

    async with maker() as first:
        await first.begin()
        await events.emit(
            first,
            type=events.EventType.ORGANIZATION_UPDATED,
            organization_id="100001",
            data={"n": 1},
        )
        # Another organization's event does not wait for the open transaction ...
        await asyncio.wait_for(emit_and_commit("100002", 0), 10)
        # ... the same organization's does, until the first commits.
        second = asyncio.create_task(emit_and_commit("100001", 2))
        await _blocked_on_advisory_lock(engine)
        assert not second.done()
        await first.commit()
    await asyncio.wait_for(second, 10)

    emitted = [(e.organization_id, e.payload["n"]) for e in await outbox(session)]
    # Outbox order within 100001 is commit order: n 1 (committed first), then n 2.
    assert [n for org, n in emitted if org == "100001"] == [1, 2]


async def test_an_emit_for_thousands_of_organizations_takes_a_bounded_number_of_locks(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    affected = [f"9{n:05d}" for n in range(3000)]  # an ancestor change's descendants
    async with make_sessionmaker(engine)() as writer, writer.begin():
        await events.emit_many(
            writer,
            [
                events.Event(events.EventType.ORGANIZATION_EFFECTIVE_VALUE_CHANGED, org, {})
                for org in affected
            ],
        )
        held = await writer.scalar(
            text(
                "SELECT count(*) FROM pg_locks"
                " WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            )
        )
    assert 0 < (held or 0) <= events.LOCK_BUCKETS  # not one per organization
    assert [e.organization_id for e in await outbox(session)] == affected


async def test_moving_a_request_between_review_and_more_info_needed_writes_status_changed(
    client: httpx.AsyncClient, anonymous_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    submitted = await anonymous_client.post(STORE_REQUESTS, json=request_document("Waiting Co"))
    request_id = submitted.json()["id"]
    for body in (
        {"status": "moreInfoNeeded"},
        {"status": "moreInfoNeeded", "approverComments": "Still waiting"},  # no change
        {"status": "review"},
    ):
        answer = await client.put(f"{ADMIN_REQUESTS}/{request_id}", json=body)
        assert answer.status_code == 200, answer.text

    found = [(e.type, e.organization_id, e.payload) for e in await outbox(session)]

    assert found[1:] == [
        (
            "organizationRequest.statusChanged",
            None,
            {"requestId": request_id, "fromStatus": "review", "toStatus": "moreInfoNeeded"},
        ),
        (
            "organizationRequest.statusChanged",
            None,
            {"requestId": request_id, "fromStatus": "moreInfoNeeded", "toStatus": "review"},
        ),
    ]
