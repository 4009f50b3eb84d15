"""Where webhooks may go (ORGQL_WEBHOOK_ALLOW_PRIVATE_TARGETS): in production a URL that
shows a private or local host is refused at registration, and a delivery whose host name
resolves to such an address is refused when connecting, given up at once; development allows
them (the tests' receivers are on loopback)."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from webhook_receiver import Receiver
from webhook_support import Clock, deliveries_of, emit_committed, subscribe

from orgql.app import create_app
from orgql.core.events.outbox import EventType
from orgql.core.events.targets import IPAddress, refused_kind
from orgql.db.engine import make_sessionmaker
from orgql.settings import Settings
from orgql.webhooks.dispatcher import Dispatcher, DispatchPolicy, running
from orgql.webhooks.egress import webhook_client

SUBSCRIPTIONS = "/ccadmin/v1/webhookSubscriptions"
CREATE = """
mutation Create($input: CreateWebhookSubscriptionInput!) {
  createWebhookSubscription(input: $input) {
    webhookSubscription { url }
    userErrors { code message field }
  }
}
"""
REFUSED_AT_REGISTRATION = [
    ("http://127.0.0.1:8080/hooks", "127.0.0.1 is a loopback address"),
    ("http://10.1.2.3/hooks", "10.1.2.3 is a private address"),
    ("http://192.168.0.10/hooks", "192.168.0.10 is a private address"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    ("http://100.64.0.1/hooks", "100.64.0.1 is an address that is not globally routable"),
    ("http://0.0.0.0:8080/hooks", "0.0.0.0 is an unspecified address"),
    ("http://224.0.0.1/hooks", "224.0.0.1 is a multicast address"),
    ("http://[::1]:8080/hooks", "::1 is a loopback address"),
    ("http://[fd00::1]/hooks", "fd00::1 is a unique-local address"),
    ("http://[fe80::1%25eth0]/hooks", "fe80::1%25eth0 is a link-local address"),
    ("http://[::ffff:127.0.0.1]/hooks", "::ffff:127.0.0.1 is a loopback address"),
    ("http://2130706433/hooks", "2130706433 is a loopback address"),  # 127.0.0.1 as one number
    ("http://0x7f.1/hooks", "0x7f.1 is a loopback address"),
    ("http://localhost:8080/hooks", "localhost is a local name"),
    ("http://LocalHost./hooks", "localhost. is a local name"),
    ("http://admin.localhost/hooks", "admin.localhost is a local name"),
    ("http://metadata.google.internal/computeMetadata/v1/", "is a local name"),
    ("http://printer.local/hooks", "printer.local is a local name"),
    ("http://receiver:8080/hooks", "receiver is a single-label name"),
    # Dots of other scripts, which httpx's IDNA encoding reads as "." (U+3002, U+FF0E, U+FF61)
    ("http://127\u30020.0.1:8767/", "127\u30020.0.1 (read as 127.0.0.1) is a loopback address"),
    ("http://127\uff0e0.0.1/", "(read as 127.0.0.1) is a loopback address"),
    ("http://127\uff610.0.1/", "(read as 127.0.0.1) is a loopback address"),
    ("http://169.254.169\u3002254/", "(read as 169.254.169.254) is a link-local address"),
    ("http://10\u30020\u30020.1/", "(read as 10.0.0.1) is a private address"),
    ("http://localhost\u3002/", "localhost\u3002 (read as localhost.) is a local name"),
    ("http://printer\uff0elocal/", "(read as printer.local) is a local name"),
]


@pytest.fixture
def app_client(
    settings: Settings, engine: AsyncEngine, client_for: Callable[..., httpx.AsyncClient]
) -> Callable[..., Any]:
    """``async with app_client(environment="production") as client``: an admin client of an
    app of its own with those settings, on the test's database."""

    @asynccontextmanager
    async def open_client(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(settings.model_copy(update=overrides), engine=engine)
        async with app.router.lifespan_context(app) as state, client_for(app, state) as client:
            yield client

    return open_client


@pytest.mark.parametrize(("url", "message"), REFUSED_AT_REGISTRATION)
async def test_production_refuses_to_register_a_private_or_local_host_over_rest(
    app_client: Callable[..., Any], url: str, message: str
) -> None:
    async with app_client(environment="production") as client:
        refused = await client.post(SUBSCRIPTIONS, json={"url": url})
        listed = await client.get(SUBSCRIPTIONS)

    assert refused.status_code == 400
    body = refused.json()
    assert (body["errorCode"], body["o:errorPath"]) == ("100002", "url")
    assert message in body["message"]
    assert "refuses webhooks to private, loopback, link-local" in body["message"]
    assert listed.json() == {"items": []}


async def test_production_refuses_a_private_host_over_graphql_too(
    app_client: Callable[..., Any],
) -> None:
    async with app_client(environment="production") as client:
        answer = await client.post(
            "/graphql",
            json={"query": CREATE, "variables": {"input": {"url": "http://localhost:9/hooks"}}},
        )

    payload = answer.json()["data"]["createWebhookSubscription"]
    assert payload["webhookSubscription"] is None
    [error] = payload["userErrors"]
    assert (error["code"], error["field"]) == ("100002", "url")
    assert error["message"].startswith("url's host localhost is a local name: this server")


@pytest.mark.parametrize("url", ["http://127\u30020.0.1:8767/", "http://localhost\uff0e/"])
async def test_production_refuses_a_host_with_unicode_dots_over_graphql_too(
    app_client: Callable[..., Any], url: str
) -> None:
    async with app_client(environment="production") as client:
        answer = await client.post(
            "/graphql", json={"query": CREATE, "variables": {"input": {"url": url}}}
        )

    payload = answer.json()["data"]["createWebhookSubscription"]
    assert payload["webhookSubscription"] is None
    [error] = payload["userErrors"]
    assert (error["code"], error["field"]) == ("100002", "url")
    assert "refuses webhooks to private, loopback" in error["message"]


@pytest.mark.parametrize(
    "url",
    [
        "https://erp.example.com/hooks",
        "https://b\u00fccher\u3002example/hooks",
        "https://8.8.8.8/hooks",
        "http://[2606:4700::1]/h",
    ],
)
async def test_production_registers_public_hosts(app_client: Callable[..., Any], url: str) -> None:
    async with app_client(environment="production") as client:
        created = await client.post(SUBSCRIPTIONS, json={"url": url})

    assert created.status_code == 201, created.text


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hooks", "http://localhost:8080/hooks"])
@pytest.mark.parametrize(
    "overrides",
    [
        {"environment": "development"},
        {"environment": "production", "webhook_allow_private_targets": True},
    ],
)
async def test_development_or_the_setting_allows_private_hosts(
    app_client: Callable[..., Any], url: str, overrides: dict[str, Any]
) -> None:
    async with app_client(**overrides) as client:
        created = await client.post(SUBSCRIPTIONS, json={"url": url})

    assert created.status_code == 201, created.text


def test_the_setting_defaults_by_profile() -> None:
    assert Settings(environment="development").allows_private_webhook_targets
    assert not Settings(environment="production").allows_private_webhook_targets
    assert not Settings(
        environment="development", webhook_allow_private_targets=False
    ).allows_private_webhook_targets
    assert Settings(
        environment="production", webhook_allow_private_targets=True
    ).allows_private_webhook_targets


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("8.8.8.8", None),
        ("2606:4700::1", None),
        ("172.31.255.255", "a private address"),
        ("172.32.0.1", None),
        ("127.255.0.1", "a loopback address"),
        ("::", "an unspecified address"),
        ("ff02::1", "a multicast address"),
        ("fec0::1", "a unique-local address"),
        ("2002:7f00:1::", "a loopback address"),  # 6to4 of 127.0.0.1
        ("::ffff:10.0.0.1", "a private address"),
        ("::ffff:8.8.8.8", None),
        ("240.0.0.1", "a reserved address"),
        ("192.0.2.7", "a private address"),  # documentation (TEST-NET-1)
    ],
)
def test_what_counts_as_a_private_target(address: str, kind: str | None) -> None:
    assert refused_kind(ipaddress.ip_address(address)) == kind


# ------------------------------------------------------------------ delivery


def resolving(table: dict[str, list[str]]) -> Callable[[str, int], Any]:
    """A resolver answering from ``table`` (the seam the dispatcher's client resolves with)."""

    async def resolve(host: str, port: int) -> Sequence[IPAddress]:
        return [ipaddress.ip_address(address) for address in table[host]]

    return resolve


def dispatcher_of(
    engine: AsyncEngine, client: httpx.AsyncClient, clock: Clock, **policy: Any
) -> Dispatcher:
    return Dispatcher(
        make_sessionmaker(engine), DispatchPolicy(max_attempts=5, **policy), client, clock=clock
    )


async def test_a_name_resolving_to_loopback_is_refused_at_delivery_and_given_up_at_once(
    engine: AsyncEngine,
    session: AsyncSession,
    receiver: Receiver,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A public-looking name passes registration in production; it resolves to loopback now.
    url = receiver.url.replace("127.0.0.1", "hooks.example.com")
    subscription = await subscribe(engine, url)
    await emit_committed(engine, [(EventType.ORGANIZATION_MOVED, "100003")])
    resolve = resolving({"hooks.example.com": ["127.0.0.1"]})

    async with webhook_client(timeout=5, allow_private=False, resolve=resolve) as client:
        with caplog.at_level(logging.DEBUG, logger="orgql.webhooks"):
            attempted = await dispatcher_of(engine, client, clock).drain()

    [delivery] = await deliveries_of(session, subscription.subscription.id)
    assert attempted == 1
    assert receiver.received == []
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, None)
    # What the server's DNS answered is not the API's to show (admins read lastError): its
    # kind only. The address is in a warning of the server's log, with the host (operators'
    # information, as in every line of the log; a URL's path and query never are).
    assert delivery.last_error == (
        "RefusedTarget: hooks.example.com resolves to a loopback address:"
        " this server delivers to public addresses only"
    )
    naming = [r for r in caplog.records if "127.0.0.1" in r.getMessage()]
    assert [(r.levelno, r.getMessage()) for r in naming] == [
        (
            logging.WARNING,
            "a webhook target's name hooks.example.com resolves to 127.0.0.1,"
            " a loopback address: refused",
        )
    ]
    assert not [r for r in caplog.records if "/hooks" in r.getMessage()]


async def test_the_same_name_is_delivered_to_the_address_it_resolves_to_where_allowed(
    engine: AsyncEngine, session: AsyncSession, receiver: Receiver, clock: Clock
) -> None:
    url = receiver.url.replace("127.0.0.1", "hooks.example.com")
    subscription = await subscribe(engine, url)
    await emit_committed(engine, [(EventType.ORGANIZATION_MOVED, "100003")])
    resolve = resolving({"hooks.example.com": ["127.0.0.1"]})

    async with webhook_client(timeout=5, allow_private=True, resolve=resolve) as client:
        await dispatcher_of(engine, client, clock).drain()

    [received] = receiver.received
    [delivery] = await deliveries_of(session, subscription.subscription.id)
    assert received.headers["host"] == url.split("/")[2]  # the name, connected to its address
    assert delivery.status == "delivered"


async def test_a_name_with_one_private_address_among_public_ones_is_refused(
    engine: AsyncEngine, session: AsyncSession, clock: Clock
) -> None:
    subscription = await subscribe(engine, "https://mixed.example.com/hooks")
    await emit_committed(engine, [(EventType.ORGANIZATION_MOVED, "100003")])
    resolve = resolving({"mixed.example.com": ["93.184.216.34", "10.0.0.7"]})

    async with webhook_client(timeout=5, allow_private=False, resolve=resolve) as client:
        await dispatcher_of(engine, client, clock).drain()

    [delivery] = await deliveries_of(session, subscription.subscription.id)
    assert delivery.status == "failed"
    assert "mixed.example.com resolves to a private address:" in (delivery.last_error or "")
    assert "10.0.0.7" not in (delivery.last_error or "")


async def test_a_redirect_is_a_failed_attempt_not_followed(
    engine: AsyncEngine, session: AsyncSession, receiver: Receiver, clock: Clock
) -> None:
    elsewhere = Receiver()
    await elsewhere.start()
    try:
        receiver.behave = lambda received: 307
        receiver.answer_headers = {"location": elsewhere.url}
        subscription = await subscribe(engine, receiver.url)
        await emit_committed(engine, [(EventType.ORGANIZATION_MOVED, "100003")])

        async with webhook_client(timeout=5, allow_private=True) as client:
            await dispatcher_of(engine, client, clock).drain()
    finally:
        await elsewhere.stop()

    [delivery] = await deliveries_of(session, subscription.subscription.id)
    assert len(receiver.received) == 1
    assert elsewhere.received == []
    assert (delivery.status, delivery.last_status_code) == ("pending", 307)


@pytest.mark.parametrize(
    ("environment", "outcome"), [("production", "failed"), ("development", "delivered")]
)
async def test_the_apps_dispatcher_follows_the_profile_for_localhost(
    settings: Settings,
    engine: AsyncEngine,
    session: AsyncSession,
    receiver: Receiver,
    environment: str,
    outcome: str,
) -> None:
    # Registered while allowed (or before an upgrade): the delivery checks again.
    subscription = await subscribe(engine, receiver.url.replace("127.0.0.1", "localhost"))
    await emit_committed(engine, [(EventType.ORGANIZATION_MOVED, "100003")])
    outcomes: list[str] = []
    recorded = asyncio.Event()

    def count(result: str) -> None:
        outcomes.append(result)
        recorded.set()

    profile = settings.model_copy(update={"environment": environment, "webhook_dispatcher": True})
    async with running(profile, engine, on_outcome=count):
        async with asyncio.timeout(10):
            await recorded.wait()

    [delivery] = await deliveries_of(session, subscription.subscription.id)
    assert outcomes == [outcome]
    assert delivery.status == outcome
    assert len(receiver.received) == (1 if outcome == "delivered" else 0)
    if outcome == "failed":
        assert (delivery.last_error or "").startswith("RefusedTarget: localhost resolves to ")
        assert "a loopback address" in (delivery.last_error or "")
