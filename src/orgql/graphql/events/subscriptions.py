"""GraphQL subscriptions (graphql-transport-ws, graphql.websocket): live account changes and
a registration request's status, fed by the process's live feed (orgql.live.feed) and
filtered by the rule of the queries (core.events.audience)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON

from orgql.core.events import audience as audiences
from orgql.core.events.audience import Audience, LiveEvent
from orgql.core.events.outbox import EventType
from orgql.core.requests import reads as request_reads
from orgql.core.requests.statuses import FINAL_STATUSES, RequestStatus
from orgql.graphql.context import Context, Info
from orgql.graphql.permissions import SIGNED_IN
from orgql.graphql.requests.types import OrganizationRequestStatus
from orgql.graphql.websocket import GOING_AWAY, SLOW_CONSUMER, TRY_AGAIN_LATER
from orgql.live.feed import SHUTTING_DOWN, Feed, Subscriber

logger = logging.getLogger(__name__)

#: Most organization ids one accountChanges may name.
MAX_ORGANIZATION_IDS = 100
#: The close reason when a subscriber's accounts could not be read again (1013).
AUDIENCE_UNREAD = "the accounts followed could not be read again: subscribe again"


@strawberry.type(description="A change to an account (the event catalogue: docs/change-events.md).")
class AccountChange:
    event_id: strawberry.ID = strawberry.field(
        description="The event's id, the same as its webhook's (`Orgql-Event-Id`)."
    )
    type: str = strawberry.field(description="The event type, e.g. `organization.updated`.")
    organization_id: strawberry.ID = strawberry.field(description="The account (vendor id).")
    occurred_at: datetime
    data: JSON = strawberry.field(description="The event's data, as a webhook carries it.")

    @classmethod
    def of(cls, event: LiveEvent) -> AccountChange:
        return cls(
            event_id=strawberry.ID(event.event_id),
            type=event.type,
            organization_id=strawberry.ID(event.organization_id or ""),
            occurred_at=event.occurred_at,
            data=JSON(dict(event.data)),
        )


@strawberry.type(description="Where a registration request stands, now and at each decision.")
class OrganizationRequestStatusChange:
    request_id: strawberry.ID
    status: OrganizationRequestStatus
    organization_id: strawberry.ID | None = strawberry.field(
        description="The organization an approval created (vendor id)."
    )


def _feed(context: Context) -> Feed:
    feed: Feed | None = getattr(context.request.state, "live_feed", None)
    if feed is None or context.live is None:
        raise GraphQLError(
            "subscriptions are served over WebSocket (graphql-transport-ws) only",
            extensions={"code": "BAD_REQUEST"},
        )
    return feed


def _dropper(context: Context) -> Callable[[str], None]:
    def dropped(reason: str) -> None:
        if context.live is not None:
            code = GOING_AWAY if reason == SHUTTING_DOWN else SLOW_CONSUMER
            context.live.close_soon(code, reason)

    return dropped


async def _audience(context: Context) -> Audience | None:
    async with context.sessionmaker() as session:
        return await audiences.load(session, context.principal)


@asynccontextmanager
async def _subscribed(
    context: Context, select: Callable[[LiveEvent], LiveEvent | None], queue_size: int
) -> AsyncIterator[Subscriber]:
    """A subscriber registered with the feed: it receives what commits from now on."""
    feed = _feed(context)
    subscriber = Subscriber(select, queue_size, _dropper(context))
    await feed.subscribe(subscriber)
    try:
        yield subscriber
    finally:
        await asyncio.shield(feed.unsubscribe(subscriber))


@strawberry.type
class LiveSubscriptions:
    @strawberry.subscription(
        description="Changes to the accounts the caller may see, in commit order per account:"
        " lifecycle, site properties, effective values, financial syncs (a shopper: their own"
        " accounts only). `organizationIds` narrows them (at most 100).",
        permission_classes=SIGNED_IN,
    )
    async def account_changes(
        self, info: Info, organization_ids: list[strawberry.ID] | None = None
    ) -> AsyncGenerator[AccountChange, None]:
        context = info.context
        if organization_ids is not None and len(organization_ids) > MAX_ORGANIZATION_IDS:
            raise GraphQLError(
                f"at most {MAX_ORGANIZATION_IDS} organizationIds",
                extensions={"code": "BAD_USER_INPUT", "field": "organizationIds"},
            )
        wanted = None if organization_ids is None else {str(i) for i in organization_ids}
        audience = await _audience(context)
        if audience is None:
            return
        reloads: set[asyncio.Task[None]] = set()

        async def reload() -> None:
            try:
                for _ in range(5):  # read again while a narrowing overtakes the read
                    narrowed = audience.narrowed
                    fresh = await _audience(context)
                    if fresh is None or audience.narrowed != narrowed:
                        continue
                    audience.members, audience.inactive = fresh.members, fresh.inactive
                    audience.lenders = fresh.lenders
                    return
            except Exception as error:  # the database failed: the audience is stale now
                # Changes of an account just joined would be missed without a word: the
                # connection is closed (1013) for the client to subscribe again, afresh.
                logger.warning(
                    "accountChanges: reading the audience again failed (%s); closing the"
                    " connection for the client to subscribe again",
                    type(error).__name__,
                )
                if context.live is not None:
                    context.live.close_soon(TRY_AGAIN_LATER, AUDIENCE_UNREAD)

        def select(event: LiveEvent) -> LiveEvent | None:
            if audience.follow(event):
                task = asyncio.create_task(reload())
                reloads.add(task)
                task.add_done_callback(reloads.discard)
            chosen = audience.receives(event)
            if chosen is None or (wanted is not None and chosen.organization_id not in wanted):
                return None
            return chosen

        queue_size = _feed(context).policy.queue_size  # ORGQL_GRAPHQL_WS_QUEUE_EVENTS
        try:
            async with _subscribed(context, select, queue_size) as subscriber:
                while True:
                    yield AccountChange.of(await subscriber.queue.get())
        finally:  # unsubscribed first: no select() starts a reload after this
            await _ended(reloads)

    @strawberry.subscription(
        description="A registration request's status: now, then at each change (review and"
        " moreInfoNeeded) and at its approval or rejection (then the subscription"
        " completes). An admin may follow any request; a shopper the"
        " requests linked to their profile. Any other id: 101000, as for an unknown request;"
        " a request deleted meanwhile ends it with 101000 too.",
        permission_classes=SIGNED_IN,
    )
    async def organization_request_status(
        self, info: Info, id: strawberry.ID
    ) -> AsyncGenerator[OrganizationRequestStatusChange, None]:
        context = info.context
        request_id = str(id)

        def select(event: LiveEvent) -> LiveEvent | None:
            mine = event.data.get("requestId") == request_id
            return event if mine and event.type in audiences.REQUEST_FOLLOWED_EVENT_TYPES else None

        # Subscribed before the status is read: a decision in between is not missed.
        # A decision is final; status changes before it are admins' edits, a few: a
        # requester who does not read them is dropped as any slow consumer.
        async with _subscribed(context, select, 16) as subscriber:
            async with context.sessionmaker() as session:
                found = (await request_reads.requests_by_id(session, [request_id])).get(request_id)
            principal = context.principal
            if found is None or not (
                principal.is_admin or (principal.subject and found.profile_id == principal.subject)
            ):
                raise _unknown_request(request_id)
            status = RequestStatus(found.status)
            organization = found.organization_id
            yield _status_change(request_id, status, organization)
            while status not in FINAL_STATUSES:
                event = await subscriber.queue.get()
                if event.type == EventType.ORGANIZATION_REQUEST_DELETED:  # gone: as unknown
                    raise _unknown_request(request_id)
                told, organization = _status_of(event)
                if told == status:  # committed before the read, which told it already
                    continue
                status = told
                yield _status_change(request_id, status, organization)


async def _ended(tasks: set[asyncio.Task[None]]) -> None:
    """Cancel ``tasks`` and wait until they have ended: a reload must not outlive its
    subscription (its session would stay checked out, reading for nobody; one still pending
    at shutdown is destroyed with a warning). ``asyncio.wait`` raises none of their
    outcomes, so the subscription's own exception (or cancellation) goes on unchanged."""
    pending = list(tasks)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending)


def _unknown_request(request_id: str) -> GraphQLError:
    error = request_reads.not_found(request_id)
    return GraphQLError(error.message, extensions={"code": error.code, "field": "id"})


def _status_of(event: LiveEvent) -> tuple[RequestStatus, str | None]:
    """The status a request's event tells, and the organization an approval created."""
    if event.type == EventType.ORGANIZATION_REQUEST_APPROVED:
        return RequestStatus.APPROVED, str(event.data.get("organizationId") or "")
    if event.type == EventType.ORGANIZATION_REQUEST_REJECTED:
        return RequestStatus.REJECTED, None
    return RequestStatus(str(event.data.get("toStatus"))), None


def _status_change(
    request_id: str, status: RequestStatus, organization_id: str | None
) -> OrganizationRequestStatusChange:
    return OrganizationRequestStatusChange(
        request_id=strawberry.ID(request_id),
        status=status,
        organization_id=strawberry.ID(organization_id) if organization_id else None,
    )
