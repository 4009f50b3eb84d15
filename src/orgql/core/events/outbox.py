"""Change events: a transactional outbox (docs/change-events.md).

A service that changes something calls :func:`emit` (or :func:`emit_many`) with the same
session, before the transport commits: the event row, and one pending delivery per matching
active webhook subscription, are written in the change's own transaction, so a change that
rolls back emits nothing and a committed change cannot lose its event.

Ordering: emits for one organization are serialized until commit by a transaction-level
advisory lock on the organization id's bucket (events without one share the key ``''``;
see :data:`LOCK_BUCKETS`), taken in ascending bucket order. So, per
organization, outbox ``id`` order is commit order, and when the dispatcher sees an event no
earlier event of that organization can still appear. Keep emits at the end of a mutation and
emit several organizations' events with one :func:`emit_many` call (it locks in a sorted
order), so two transactions never take these locks in opposite orders.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import ColumnElement, exists, func, literal, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.db import event_models


class EventType(StrEnum):
    """Every event type; the names are the public contract of the webhooks
    (docs/change-events.md)."""

    ORGANIZATION_CREATED = "organization.created"
    ORGANIZATION_UPDATED = "organization.updated"
    ORGANIZATION_MOVED = "organization.moved"
    ORGANIZATION_DEACTIVATED = "organization.deactivated"
    ORGANIZATION_REACTIVATED = "organization.reactivated"
    #: For each organization (the changed one and its descendants) whose derived or
    #: effective values a change altered (core/events/lifecycle.py).
    ORGANIZATION_EFFECTIVE_VALUE_CHANGED = "organization.effectiveValueChanged"
    ORGANIZATION_SITE_PROPERTIES_UPDATED = "organization.siteProperties.updated"
    #: An organization's secondary addresses (core/addresses/events.py).
    ORGANIZATION_ADDRESS_CREATED = "organization.address.created"
    ORGANIZATION_ADDRESS_UPDATED = "organization.address.updated"
    ORGANIZATION_ADDRESS_DELETED = "organization.address.deleted"
    #: A profile's own addresses (core/addresses/profile_addresses.py).
    PROFILE_ADDRESS_CREATED = "profile.address.created"
    PROFILE_ADDRESS_UPDATED = "profile.address.updated"
    PROFILE_ADDRESS_DELETED = "profile.address.deleted"
    ORGANIZATION_REQUEST_SUBMITTED = "organizationRequest.submitted"
    ORGANIZATION_REQUEST_APPROVED = "organizationRequest.approved"
    ORGANIZATION_REQUEST_REJECTED = "organizationRequest.rejected"
    #: An admin moved a request between review and moreInfoNeeded (core/requests/service.py).
    ORGANIZATION_REQUEST_STATUS_CHANGED = "organizationRequest.statusChanged"
    #: deleteOrganizationRequest (core/requests/removal.py).
    ORGANIZATION_REQUEST_DELETED = "organizationRequest.deleted"
    FINANCIAL_DATA_SYNCED = "financialData.synced"
    #: The people of an account (core/people/events.py says what each carries).
    CONTACT_CREATED = "contact.created"
    CONTACT_UPDATED = "contact.updated"
    CONTACT_DEACTIVATED = "contact.deactivated"
    CONTACT_REACTIVATED = "contact.reactivated"
    CONTACT_PARENT_ORGANIZATION_CHANGED = "contact.parentOrganizationChanged"
    MEMBERSHIP_ADDED = "membership.added"
    MEMBERSHIP_REMOVED = "membership.removed"
    ROLE_GRANTED = "role.granted"
    ROLE_REVOKED = "role.revoked"


EVENT_TYPES: frozenset[str] = frozenset(t.value for t in EventType)

#: Notified (at commit) when an emit wrote a delivery: idle dispatchers wake up.
NOTIFY_CHANNEL = "orgql_webhooks"
#: Notified (at commit) by every emit while a live feed is present (see LIVE_KEY).
LIVE_CHANNEL = "orgql_live"

#: First key of the outbox's advisory locks (ASCII "orgq"), apart from any other lock space.
_LOCK_SPACE = 0x6F726771
#: Organizations share LOCK_BUCKETS locks (by hash): an ancestor change emitting for
#: thousands of descendants takes at most this many, not one per organization, which would
#: exhaust PostgreSQL's shared lock table (``max_locks_per_transaction``). Two emits of
#: unrelated organizations in one bucket merely wait for each other's commit.
LOCK_BUCKETS = 256
#: Second key of the shared advisory lock a process's live feed (GraphQL subscriptions,
#: orgql.live) holds while it has subscribers: its presence makes emits NOTIFY
#: :data:`LIVE_CHANNEL` and makes :func:`wanted` true, like an active webhook subscription.
LIVE_KEY = 1_000_000
#: Whether some process's live feed on this database holds its lock (one read of the lock
#: table).
_LIVE_PRESENT = """
    EXISTS (
        SELECT FROM pg_locks
        WHERE locktype = 'advisory' AND classid = :space AND objid = :live AND objsubid = 2
          -- the lock table is the server's: this database's feeds only
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
    )
"""


@dataclass(frozen=True)
class Event:
    """One change to record. ``data`` must be JSON-serializable (it is the webhook's
    ``data``); ``organization_id`` is the organization the change is about, whenever there
    is one (it orders deliveries)."""

    type: EventType
    organization_id: str | None
    data: Mapping[str, object] = field(default_factory=dict)
    actor: str | None = None


_EMIT = text(
    """
    WITH locks AS (
        SELECT pg_advisory_xact_lock(:space, bucket)
        FROM (
            SELECT DISTINCT hashtext(k) & :buckets AS bucket
            FROM unnest(CAST(:keys AS text[])) AS k
            ORDER BY bucket
        ) AS buckets
    ), inserted AS (
        INSERT INTO outbox_events (event_id, type, organization_id, payload, actor)
        SELECT r.event_id, r.type, r.organization_id, r.payload, r.actor
        FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(
            n int, event_id uuid, type text, organization_id text, payload jsonb, actor text
        )
        WHERE (SELECT count(*) FROM locks) >= 0  -- every lock taken before the first row
        ORDER BY r.n
        RETURNING id, type, organization_id
    ), fanned_out AS (
        INSERT INTO webhook_deliveries (subscription_id, event_id, ordering_key)
        SELECT s.id, i.id, coalesce(i.organization_id, '')
        FROM inserted AS i
        JOIN webhook_subscriptions AS s
          ON s.active AND (cardinality(s.event_types) = 0 OR i.type = ANY(s.event_types))
        RETURNING 1
    )
    SELECT
        CASE WHEN EXISTS (SELECT FROM fanned_out) THEN pg_notify(:channel, '')::text END,
        CASE WHEN """
    + _LIVE_PRESENT
    + """ THEN pg_notify(:live_channel, '')::text END
    """
)


def wanting(type: EventType) -> ColumnElement[bool]:
    """Whether an active subscription takes events of ``type``, or a live feed (GraphQL
    subscriptions) is present, as a column (:func:`wanted`) for a statement that reads it on
    its way."""
    subscription = event_models.WebhookSubscription
    live = text(_LIVE_PRESENT).bindparams(space=_LOCK_SPACE, live=LIVE_KEY)
    return or_(
        exists().where(
            subscription.active,
            or_(
                func.cardinality(subscription.event_types) == 0,
                literal(str(type)) == func.any(subscription.event_types),
            ),
        ),
        live,
    )


def live_lock_keys() -> tuple[int, int]:
    """The two keys of the live feed's shared advisory lock (:data:`LIVE_KEY`)."""
    return _LOCK_SPACE, LIVE_KEY


async def wanted(session: AsyncSession, type: EventType) -> bool:
    """Whether an active subscription takes events of ``type``, or a live feed (GraphQL
    subscriptions) is present anywhere (one statement).

    For events that are costly to compute (``organization.effectiveValueChanged`` compares a
    whole subtree before and after a change): with no subscriber for them they would only
    fill the outbox, since a subscription gets the events emitted after it was created."""
    return bool(await session.scalar(select(wanting(type))))


async def emit(
    session: AsyncSession,
    *,
    type: EventType,
    organization_id: str | None,
    data: Mapping[str, object],
    actor: str | None = None,
) -> None:
    """Record one event in the session's transaction (one statement; never commits)."""
    await emit_many(session, [Event(type, organization_id, data, actor)])


async def emit_many(session: AsyncSession, events: Sequence[Event]) -> None:
    """Record ``events``, in this order, in the session's transaction (one statement)."""
    if not events:
        return
    for event in events:
        if event.type not in EVENT_TYPES:  # a programming error, not a caller's
            raise ValueError(f"unknown event type {event.type!r}")
    rows = [
        {
            "n": n,
            "event_id": str(uuid.uuid4()),
            "type": str(event.type),
            "organization_id": event.organization_id,
            "payload": dict(event.data),
            "actor": event.actor,
        }
        for n, event in enumerate(events)
    ]
    keys = sorted({event.organization_id or "" for event in events})
    await session.flush()  # text() does not autoflush: the change's rows go first
    await session.execute(
        _EMIT,
        {
            "space": _LOCK_SPACE,
            "buckets": LOCK_BUCKETS - 1,
            "keys": keys,
            "rows": json.dumps(rows, default=str),
            "channel": NOTIFY_CHANNEL,
            "live_channel": LIVE_CHANNEL,
            "live": LIVE_KEY,
        },
    )
