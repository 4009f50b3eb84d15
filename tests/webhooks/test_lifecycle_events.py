"""The lifecycle events of updates, moves and (de)activations, and one
``organization.effectiveValueChanged`` per organization whose inherited values a change
altered (README "Event catalogue"). Demo tree: 100001 > 100002 > 100003."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from webhook_receiver import Receiver
from webhook_support import Clock, deliver_everything, outbox, subscribe

from orgql.core.access.principals import SYSTEM
from orgql.core.organizations import service as organizations
from orgql.core.organizations import updates as organization_updates
from orgql.core.organizations.changes import parse_changes
from orgql.core.organizations.input import parse_new_organization
from orgql.core.sites import service as site_properties
from orgql.db import models
from orgql.db.event_models import OutboxEvent, WebhookSubscription
from orgql.webhooks.dispatcher import Dispatcher
from orgql.webhooks.signing import verify

# Effective-value events are computed only for a subscriber (README "Event catalogue").
pytestmark = pytest.mark.usefixtures("effect_subscriber")

ORGANIZATIONS = "/ccadmin/v1/organizations"
SITE_CAUSE = {"organizationId": "100001", "eventType": "organization.siteProperties.updated"}
UPDATE = """
mutation Update($id: ID!, $input: UpdateOrganizationInput!, $dryRun: Boolean! = false) {
  updateOrganization(id: $id, input: $input, dryRun: $dryRun) {
    organization { version } userErrors { code field }
  }
}
"""


def contract(name: str) -> dict[str, str]:
    return {
        "displayName": name,
        "catalogId": "cloudCatalog",
        "priceListGroupId": "defaultPriceGroup",
    }


async def set_site_values(
    client: httpx.AsyncClient, organization_id: str, site_id: str, **properties: Any
) -> None:
    answer = await client.post(
        f"{ORGANIZATIONS}/{organization_id}/updateSiteOrganizationProperties",
        json={"siteOrganizationProperties": [{"site": {"id": site_id}, "properties": properties}]},
    )
    assert answer.status_code == 200, answer.text


async def graphql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    answer = await client.post("/graphql", json={"query": query, "variables": variables})
    assert answer.status_code == 200, answer.text
    assert "errors" not in answer.json(), answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data


async def mark(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.coalesce(func.max(OutboxEvent.id), 0))) or 0)


async def since(session: AsyncSession, last: int) -> list[tuple[str, str | None, Any]]:
    """(type, organization id, data) of the events written after ``last``, in outbox order."""
    return [(e.type, e.organization_id, e.payload) for e in await outbox(session) if e.id > last]


async def own_contract(session: AsyncSession, organization_id: str, site_id: str) -> str:
    contract_id = await session.scalar(
        select(models.SiteOrganizationProperties.contract_id).where(
            models.SiteOrganizationProperties.organization_id == organization_id,
            models.SiteOrganizationProperties.site_id == site_id,
        )
    )
    assert contract_id is not None
    return contract_id


def effective(organization_id: str, cause: dict[str, str], *changes: Any) -> Any:
    return (
        "organization.effectiveValueChanged",
        organization_id,
        {
            "id": organization_id,
            "causedBy": cause,
            "changes": [
                {"field": field, "siteId": site, "before": before, "after": after}
                for field, site, before, after in changes
            ],
        },
    )


async def test_an_ancestors_contract_reaches_exactly_the_descendants_that_inherit_it(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await set_site_values(client, "100003", "site2", contract=contract("Purchasing terms"))
    last = await mark(session)

    await set_site_values(client, "100001", "site2", contract=contract("Root terms"))

    root_contract = await own_contract(session, "100001", "site2")
    change = ("derivedContract", "site2", None, root_contract)
    assert await since(session, last) == [
        (
            "organization.siteProperties.updated",
            "100001",
            {"id": "100001", "sites": [{"siteId": "site2", "set": ["contract"], "removed": []}]},
        ),
        effective("100001", SITE_CAUSE, change),
        effective("100002", SITE_CAUSE, change),
        # 100003 has a contract of its own on site2: unaffected, no event.
    ]


async def test_removing_an_ancestors_site_value_tells_its_inheritors_what_they_lost(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await set_site_values(client, "100001", "site2", orderPriceLimit=12.5)
    await set_site_values(client, "100002", "site2", orderPriceLimit=100)
    last = await mark(session)

    await set_site_values(client, "100001", "site2", op="remove", orderPriceLimit=None)

    change = ("orderPriceLimit", "site2", 12.5, None)  # a decimal as a JSON number
    assert [
        event for event in await since(session, last) if event[0] != SITE_CAUSE["eventType"]
    ] == [
        effective("100001", SITE_CAUSE, change)
        # 100002 and 100003 keep 100002's 100.
    ]


async def test_clearing_a_value_to_inherit_emits_updated_then_each_affected_organization(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await client.put(f"{ORGANIZATIONS}/100002", json={"customerType": "OEM"})
    last = await mark(session)

    data = await graphql(client, UPDATE, id="100002", input={"customerType": None})

    assert data["updateOrganization"]["organization"]["version"] == 3
    cause = {"organizationId": "100002", "eventType": "organization.updated"}
    change = ("derivedCustomerType", None, "OEM", "Enterprise")
    assert await since(session, last) == [
        (
            "organization.updated",
            "100002",
            {"id": "100002", "version": 3, "changed": ["customerType"]},
        ),
        effective("100002", cause, change),
        effective("100003", cause, change),
    ]


async def test_a_value_nobody_inherits_emits_updated_alone(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    answer = await client.put(
        f"{ORGANIZATIONS}/100002",
        json={"name": "Sample East Coast", "externalOrganizationId": "E1"},
    )
    assert answer.status_code == 200, answer.text

    assert await since(session, 0) == [
        (
            "organization.updated",
            "100002",
            {"id": "100002", "version": 2, "changed": ["externalOrganizationId", "name"]},
        )
    ]


async def test_site_values_given_to_an_update_name_their_site(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    answer = await client.put(
        f"{ORGANIZATIONS}/100002", json={"orderPriceLimit": 12.5}, headers={"x-ccsite": "site2"}
    )
    assert answer.status_code == 200, answer.text

    cause = {"organizationId": "100002", "eventType": "organization.updated"}
    change = ("orderPriceLimit", "site2", None, 12.5)
    assert await since(session, 0) == [
        (
            "organization.updated",
            "100002",
            {"id": "100002", "version": 2, "changed": ["orderPriceLimit"], "siteId": "site2"},
        ),
        effective("100002", cause, change),
        effective("100003", cause, change),
    ]


async def test_a_move_emits_updated_moved_then_what_the_subtree_now_inherits(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    west = (await client.post(ORGANIZATIONS, json={"name": "West", "customerType": "OEM"})).json()
    last = await mark(session)

    answer = await client.put(
        f"{ORGANIZATIONS}/100002",
        json={"parentOrganization": {"id": west["id"]}, "description": "Moved east"},
    )
    assert answer.status_code == 200, answer.text

    found = await since(session, last)
    assert [(kind, organization) for kind, organization, _ in found] == [
        ("organization.updated", "100002"),
        ("organization.moved", "100002"),
        ("organization.effectiveValueChanged", "100002"),
        ("organization.effectiveValueChanged", "100003"),
    ]
    assert found[0][2] == {"id": "100002", "version": 2, "changed": ["description"]}
    assert found[1][2] == {
        "id": "100002",
        "version": 2,
        "fromParentOrganizationId": "100001",
        "toParentOrganizationId": west["id"],
    }
    for *_, data in found[2:]:
        assert data["causedBy"] == {"organizationId": "100002", "eventType": "organization.moved"}
        changes = {(c["field"], c["siteId"]): (c["before"], c["after"]) for c in data["changes"]}
        assert changes[("derivedCustomerType", None)] == ("Enterprise", "OEM")
        assert changes[("derivedDescription", None)] == (None, "Moved east")
        assert changes[("derivedContract", "siteUS")] == ("100010", None)  # the old root's
        assert ("derivedTaxReferenceNumber", None) not in changes  # 100003's own; 100002: none


async def test_deactivating_and_reactivating_emit_their_events_and_a_no_op_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    deactivate = 'mutation { deactivateOrganization(id: "100002") { organization { version } } }'
    reactivate = deactivate.replace("deactivate", "reactivate")
    await graphql(client, deactivate)
    await graphql(client, reactivate)
    await graphql(client, reactivate)  # already active: nothing changes

    assert await since(session, 0) == [
        ("organization.deactivated", "100002", {"id": "100002", "version": 2}),
        ("organization.reactivated", "100002", {"id": "100002", "version": 3}),
    ]


async def test_refused_updates_and_dry_runs_emit_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    stale = await client.put(
        f"{ORGANIZATIONS}/100002", json={"customerType": "OEM"}, headers={"If-Match": '"7"'}
    )
    invalid = await client.put(
        f"{ORGANIZATIONS}/100001", json={"customerType": "OEM", "dunsNumber": "12"}
    )
    cycle = await client.put(
        f"{ORGANIZATIONS}/100001", json={"parentOrganization": {"id": "100003"}}
    )
    dry_run = await client.put(
        f"{ORGANIZATIONS}/100002", json={"parentOrganization": None}, params={"dryRun": "true"}
    )
    no_approver = await client.post(
        f"{ORGANIZATIONS}/100001/updateSiteOrganizationProperties",
        json={
            "siteOrganizationProperties": [
                {"site": {"id": "site2"}, "properties": {"approvalRequired": True}}
            ]
        },
    )
    graphql_dry_run = await graphql(
        client, UPDATE, id="100001", input={"customerType": None}, dryRun=True
    )

    assert [r.status_code for r in (stale, invalid, cycle, dry_run, no_approver)] == [
        412,
        400,
        400,
        200,
        400,
    ]
    assert graphql_dry_run["updateOrganization"]["userErrors"] == []
    assert await outbox(session) == []


async def test_a_receiver_gets_the_cause_then_the_effects_signed_and_in_order(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    session: AsyncSession,
    receiver: Receiver,
    dispatcher: Dispatcher,
    clock: Clock,
) -> None:
    subscription = await subscribe(
        engine,
        receiver.url,
        ["organization.siteProperties.updated", "organization.effectiveValueChanged"],
    )
    receiver.behave = lambda received: 503 if len(receiver.received) < 2 else 200

    await set_site_values(client, "100001", "site2", contract=contract("Root terms"))
    await deliver_everything(dispatcher, clock)

    emitted = await outbox(session)
    assert [(e.type, e.organization_id) for e in emitted] == [
        ("organization.siteProperties.updated", "100001"),
        ("organization.effectiveValueChanged", "100001"),
        ("organization.effectiveValueChanged", "100002"),
        ("organization.effectiveValueChanged", "100003"),
    ]
    accepted = receiver.received[2:]
    assert sorted(r.headers["orgql-event-id"] for r in accepted) == sorted(
        str(e.event_id) for e in emitted
    )  # each once, after the two refusals
    root_arrivals = [
        r.document["type"] for r in accepted if r.document["organizationId"] == "100001"
    ]
    assert root_arrivals == [
        "organization.siteProperties.updated",
        "organization.effectiveValueChanged",
    ]
    root_contract = await own_contract(session, "100001", "site2")
    for received in receiver.received:
        assert verify(
            subscription.secret,
            received.headers["orgql-timestamp"],
            received.body,
            received.headers["orgql-signature"],
        )
    [purchasing] = [r.document for r in accepted if r.document["organizationId"] == "100003"]
    assert purchasing["data"] == {
        "id": "100003",
        "causedBy": SITE_CAUSE,
        "changes": [
            {"field": "derivedContract", "siteId": "site2", "before": None, "after": root_contract}
        ],
    }


async def test_the_events_cost_the_same_statements_whatever_the_subtree_size(
    session: AsyncSession, statement_counter: Any
) -> None:
    parent = "100003"
    for index in range(30):  # a chain under 100003: 31 organizations, depth grows too
        new = parse_new_organization(
            {"name": f"Deep {index}", "parentOrganization": {"id": parent}}
        )
        parent = (await organizations.create(session, new)).id
    await session.commit()
    last = await mark(session)

    costs = []
    for organization_id in (parent, "100003"):  # a subtree of 1, then of 31
        statement_counter.reset()
        changes = parse_changes({"description": f"Under {organization_id}"})
        await organization_updates.update(session, organization_id, changes)
        updates = statement_counter.count
        statement_counter.reset()
        entry = site_properties.parse_site_updates(
            [{"site": {"id": "site2"}, "properties": {"orderPriceLimit": 5}}]
        )
        await site_properties.update(session, organization_id, entry, principal=SYSTEM)
        costs.append((updates, statement_counter.count))
        statement_counter.reset()
        await organization_updates.update(
            session, organization_id, parse_changes({"externalOrganizationId": organization_id})
        )
        costs.append((statement_counter.count, 0))

    assert costs[0] == costs[2]
    # an update that changes no inherited value takes no snapshot (four statements), so it
    # holds off no move (one) and asks for no subscriber (one)
    assert costs[1] == costs[3] == (costs[0][0] - 6, 0)
    # as docs/change-events.md says; the site update asks for subscribers and holds off moves
    # in the statement that locks the organization
    assert costs[0] == (9, 9)
    found = await since(session, last)
    effects = [kind for kind, *_ in found if kind == "organization.effectiveValueChanged"]
    # the leaf, then 100003 and the 29 between them (the leaf now has its own values)
    assert len(effects) == 2 * 1 + 2 * 30


async def test_without_a_subscriber_no_subtree_is_compared_and_no_effect_is_emitted(
    session: AsyncSession, statement_counter: Any
) -> None:
    await session.execute(delete(WebhookSubscription))  # the module's subscriber
    await session.commit()
    last = await mark(session)

    statement_counter.reset()
    changes = parse_changes({"description": "Nobody listens"})
    await organization_updates.update(session, "100002", changes)
    update_cost = statement_counter.count
    statement_counter.reset()
    entry = site_properties.parse_site_updates(
        [{"site": {"id": "site2"}, "properties": {"orderPriceLimit": 7}}]
    )
    await site_properties.update(session, "100001", entry, principal=SYSTEM)
    site_cost = statement_counter.count

    # with nobody to tell: no move lock and no snapshots, five statements fewer than 9 for
    # the update, four for the site update (whose question and move lock cost none)
    assert (update_cost, site_cost) == (9 - 5, 9 - 4)
    assert [kind for kind, *_ in await since(session, last)] == [
        "organization.updated",
        "organization.siteProperties.updated",
    ]
