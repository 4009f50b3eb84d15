"""Webhook subscriptions: admins register where change events are POSTed
(docs/change-events.md). Delivery itself is :mod:`orgql.webhooks.dispatcher`.

Rules: the URL is an absolute http(s) URL with a host and no credentials, and, where private
targets are refused, not one that shows a private or local host (:mod:`.targets`); event types are
names of :class:`~orgql.core.events.outbox.EventType` (none: every type); the signing secret is
generated here and shown to the caller once, at creation, never again. A subscription receives
the events emitted after it was created.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.errors import Codes, ErrorKind, OrgqlError, quoted
from orgql.core.common.paging import DEFAULT_PAGE_SIZE, first_problem
from orgql.core.common.validation import Problems, is_storable_text, join, too_many, unknown_keys
from orgql.core.events.delivery_status import DeliveryStatus
from orgql.core.events.host_names import UnreadableHost, client_host
from orgql.core.events.outbox import EVENT_TYPES
from orgql.core.events.targets import host_problem
from orgql.db.event_models import OutboxEvent, WebhookDelivery, WebhookSubscription

#: orgql's own code (OCC has no webhooks): the subscription addressed does not exist.
SUBSCRIPTION_NOT_FOUND = "190001"

MAX_URL_LENGTH = 2048
MAX_DESCRIPTION_LENGTH = 254
DELIVERY_STATUSES = tuple(status.value for status in DeliveryStatus)
_NEW_KEYS = frozenset(["url", "eventTypes", "description", "active"])


@dataclass(frozen=True)
class NewSubscription:
    url: str
    event_types: Sequence[str] = ()
    description: str | None = None
    active: bool = True


@dataclass(frozen=True)
class CreatedSubscription:
    """The new subscription and its signing secret (the only time the secret is shown)."""

    subscription: WebhookSubscription
    secret: str


@dataclass(frozen=True)
class DeliveryView:
    delivery: WebhookDelivery
    event: OutboxEvent


def parse_new(document: Mapping[str, object]) -> NewSubscription:
    """A REST body: ``{"url", "eventTypes"?, "description"?, "active"?}`` (100002)."""
    problems = Problems()
    unknown_keys(document, _NEW_KEYS, None, problems)
    url = document.get("url")
    if not isinstance(url, str):
        problems.add(Codes.INVALID_INPUT, "url is required and must be a string", "url")
    types = document.get("eventTypes", [])
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        problems.add(Codes.INVALID_INPUT, "eventTypes must be a list of strings", "eventTypes")
    description = document.get("description")
    if description is not None and not isinstance(description, str):
        problems.add(Codes.INVALID_INPUT, "description must be a string", "description")
    active = document.get("active", True)
    if not isinstance(active, bool):
        problems.add(Codes.INVALID_INPUT, "active must be true or false", "active")
    problems.raise_if_any()
    assert isinstance(url, str)
    assert isinstance(types, list)
    assert isinstance(active, bool)
    text = description if isinstance(description, str) else None
    return NewSubscription(url, types, text, active)


def _check(new: NewSubscription, *, allow_private_targets: bool) -> list[str]:
    """The problems of ``new`` (every one), and its event types without duplicates."""
    problems = Problems()
    problem = url_problem(new.url, allow_private_targets=allow_private_targets)
    if problem is not None:
        problems.add(Codes.INVALID_INPUT, problem, "url")
    if not too_many(new.event_types, "eventTypes", "eventTypes", problems):
        for index, name in enumerate(new.event_types):
            if name not in EVENT_TYPES:
                problems.add(
                    Codes.INVALID_INPUT,
                    f"unknown event type {quoted(name)}; known: {', '.join(sorted(EVENT_TYPES))}",
                    join("eventTypes", index),
                )
    if new.description is not None and (
        len(new.description) > MAX_DESCRIPTION_LENGTH or not is_storable_text(new.description)
    ):
        problems.add(
            Codes.INVALID_INPUT,
            f"description must be storable text of at most {MAX_DESCRIPTION_LENGTH} characters",
            "description",
        )
    problems.raise_if_any()
    return list(dict.fromkeys(new.event_types))


def url_problem(url: str, *, allow_private_targets: bool) -> str | None:
    """Why ``url`` cannot receive webhooks, or None: absolute http(s), a host, no
    credentials (they would show in every listing), no fragment, storable, not too long;
    unless ``allow_private_targets``, no host that is private or local by its looks."""
    if len(url) > MAX_URL_LENGTH or not is_storable_text(url):
        return f"url must be storable text of at most {MAX_URL_LENGTH} characters"
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return "url must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a port that is not a number from 0 to 65535
    except ValueError as exc:
        return f"url is not a valid URL: {exc}"
    if parts.scheme not in ("http", "https"):
        return "url must be an http or https URL"
    if not parts.hostname:
        return "url must name a host"
    try:
        parts.hostname.encode("idna")
    except UnicodeError:
        return "url's host is not a valid host name"
    try:
        host = client_host(parts.hostname)  # the one reading every check below judges
    except UnreadableHost as exc:
        return str(exc)
    if parts.username is not None or parts.password is not None:
        return "url must not contain credentials"
    if parts.fragment or url.endswith("#"):
        return "url must not have a fragment"
    if port == 0:
        return "url must not name port 0"
    refused = None if allow_private_targets else host_problem(host, written=parts.hostname)
    if refused is not None:
        return (
            f"{refused}: this server refuses webhooks to private, loopback, link-local and"
            " other non-public addresses"
        )
    return None


async def create(
    session: AsyncSession, new: NewSubscription, *, allow_private_targets: bool
) -> CreatedSubscription:
    """Register a webhook; the secret is returned here only. ``allow_private_targets`` is
    ``ORGQL_WEBHOOK_ALLOW_PRIVATE_TARGETS`` as it applies (``Settings``)."""
    event_types = _check(new, allow_private_targets=allow_private_targets)
    secret = "whsec_" + secrets.token_urlsafe(32)
    subscription = WebhookSubscription(
        id=uuid.uuid4(),
        url=new.url,
        secret=secret,
        event_types=event_types,
        active=new.active,
        description=new.description,
    )
    session.add(subscription)
    await session.flush()
    await session.refresh(subscription)
    return CreatedSubscription(subscription, secret)


def _parse_id(subscription_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(subscription_id)
    except ValueError:
        raise not_found(subscription_id) from None


def not_found(subscription_id: str) -> OrgqlError:
    return OrgqlError(
        SUBSCRIPTION_NOT_FOUND,
        f"Webhook subscription {quoted(subscription_id)} does not exist",
        "id",
        ErrorKind.NOT_FOUND,
    )


async def get(session: AsyncSession, subscription_id: str) -> WebhookSubscription:
    found = await session.get(WebhookSubscription, _parse_id(subscription_id))
    if found is None:
        raise not_found(subscription_id)
    return found


async def delete_subscription(session: AsyncSession, subscription_id: str) -> None:
    """Remove the subscription and its deliveries, pending ones too (nothing more is sent)."""
    deleted = await session.scalar(
        delete(WebhookSubscription)
        .where(WebhookSubscription.id == _parse_id(subscription_id))
        .returning(WebhookSubscription.id)
    )
    if deleted is None:
        raise not_found(subscription_id)


async def set_active(
    session: AsyncSession, subscription_id: str, active: bool
) -> WebhookSubscription:
    """Pause (False) or resume (True) a subscription. Paused: its pending deliveries wait and
    events emitted meanwhile are not kept for it; resumed: the waiting ones go out."""
    if not isinstance(active, bool):
        raise OrgqlError(Codes.INVALID_INPUT, "active must be true or false", "active")
    subscription = await session.scalar(
        select(WebhookSubscription)
        .where(WebhookSubscription.id == _parse_id(subscription_id))
        .with_for_update()
    )
    if subscription is None:
        raise not_found(subscription_id)
    subscription.active = active
    await session.flush()
    return subscription


def parse_change(document: Mapping[str, object]) -> bool:
    """A REST PATCH body: ``{"active": true|false}`` (100002 otherwise)."""
    problems = Problems()
    unknown_keys(document, frozenset(["active"]), None, problems)
    active = document.get("active")
    if not isinstance(active, bool):
        problems.add(Codes.INVALID_INPUT, "active is required: true or false", "active")
    problems.raise_if_any()
    assert isinstance(active, bool)
    return active


async def list_all(session: AsyncSession) -> list[WebhookSubscription]:
    return list(
        await session.scalars(
            select(WebhookSubscription).order_by(
                WebhookSubscription.created_at, WebhookSubscription.id
            )
        )
    )


async def deliveries(
    session: AsyncSession,
    subscription_ids: Sequence[uuid.UUID],
    *,
    status: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> dict[uuid.UUID, list[DeliveryView]]:
    """The latest ``limit`` deliveries of each subscription (newest event first), in one
    statement for all of them."""
    problems = Problems()
    if status is not None and status not in DELIVERY_STATUSES:
        problems.add(
            Codes.INVALID_INPUT, f"status must be one of {', '.join(DELIVERY_STATUSES)}", "status"
        )
    if (problem := first_problem(limit)) is not None:
        problems.add(Codes.INVALID_INPUT, problem, "first")
    problems.raise_if_any()
    result: dict[uuid.UUID, list[DeliveryView]] = {key: [] for key in subscription_ids}
    if not subscription_ids or limit == 0:
        return result
    rank = (
        select(
            WebhookDelivery.subscription_id,
            WebhookDelivery.event_id,
            func.row_number()
            .over(
                partition_by=WebhookDelivery.subscription_id,
                order_by=WebhookDelivery.event_id.desc(),
            )
            .label("n"),
        )
        .where(WebhookDelivery.subscription_id.in_(list(subscription_ids)))
        .where(WebhookDelivery.status == status if status else WebhookDelivery.status.is_not(None))
        .subquery()
    )
    rows = await session.execute(
        select(WebhookDelivery, OutboxEvent)
        .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
        .join(
            rank,
            (rank.c.subscription_id == WebhookDelivery.subscription_id)
            & (rank.c.event_id == WebhookDelivery.event_id),
        )
        .where(rank.c.n <= limit)
        .order_by(WebhookDelivery.subscription_id, WebhookDelivery.event_id.desc())
    )
    for delivery, event in rows:
        result[delivery.subscription_id].append(DeliveryView(delivery, event))
    return result
