"""Automatic persisted queries over graphql-transport-ws register as over HTTP
(graphql.persisted.PersistedDocuments.keep): a ``subscribe`` carrying the query and its hash
registers the document once it has answered data, before that answer is sent, so a
hash-only ``subscribe`` sent afterwards finds it, on any connection. A real uvicorn server
on loopback (test_subscriptions), plain ``websockets`` clients."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from test_subscriptions import GUARD, LiveServer, _serve, _signed_in

from graphql_client import gid
from orgql.db.document_models import PersistedDocument
from orgql.settings import Settings

SITES = "{ sites { id } }"
ALL_SITES = {"sites": [{"id": gid(site, "Site")} for site in ("site1", "site2", "siteUS")]}
CHANGES = "subscription { accountChanges { type organizationId } }"


def _apq(text: str) -> dict[str, Any]:
    sha256 = hashlib.sha256(text.encode()).hexdigest()
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256}}


@pytest.fixture
async def live(settings: Settings, engine: AsyncEngine) -> AsyncIterator[LiveServer]:
    async for server in _serve(settings, engine):
        yield server


async def _subscribe(
    connection: websockets.ClientConnection, id: str, query: str | None, text: str
) -> None:
    payload = {"query": query, "extensions": _apq(text)}
    await connection.send(json.dumps({"id": id, "type": "subscribe", "payload": payload}))


async def _message(connection: websockets.ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(connection.recv(), GUARD))
    return message


async def _stored(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(PersistedDocument.document)))


async def test_a_query_sent_with_its_hash_is_registered_for_a_hash_only_subscribe(
    live: LiveServer, session: AsyncSession
) -> None:
    """The query and its hash: answered, and registered before the answer is sent; the hash
    alone, on another connection, runs it. The WebSocket ran such a query without keeping
    it: the hash alone was answered PERSISTED_QUERY_NOT_FOUND, whatever was sent before."""
    first, second = await _signed_in(live), await _signed_in(live)
    await _subscribe(first, "with-text", SITES, SITES)
    answered = await _message(first)
    complete = await _message(first)
    await _subscribe(second, "hash-only", None, SITES)
    found = await _message(second)
    await first.close()
    await second.close()

    assert answered == {"id": "with-text", "type": "next", "payload": {"data": ALL_SITES}}
    assert complete == {"id": "with-text", "type": "complete"}
    assert found == {"id": "hash-only", "type": "next", "payload": {"data": ALL_SITES}}
    assert await _stored(session) == [SITES]


async def test_a_subscription_is_registered_with_its_first_event(
    live: LiveServer, session: AsyncSession
) -> None:
    """A subscription has run once it answers an event: its document is registered then,
    and a hash-only ``subscribe`` of another connection subscribes."""
    first, second = await _signed_in(live), await _signed_in(live)
    await _subscribe(first, "with-text", CHANGES, CHANGES)
    await asyncio.wait_for(live.feed.wait_for_subscribers(1), GUARD)
    await live.update("100001", "registered with its first event")
    event = await _message(first)
    await _subscribe(second, "hash-only", None, CHANGES)
    await asyncio.wait_for(live.feed.wait_for_subscribers(2), GUARD)
    await live.update("100002", "seen by the hash-only subscription")
    seen = await _message(second)
    await first.close()
    await second.close()

    assert (event["id"], event["type"]) == ("with-text", "next")
    assert event["payload"]["data"]["accountChanges"]["organizationId"] == "100001"
    assert (seen["id"], seen["type"]) == ("hash-only", "next")
    assert seen["payload"]["data"]["accountChanges"]["organizationId"] == "100002"
    assert await _stored(session) == [CHANGES]


async def test_registering_over_websocket_keeps_the_http_path_s_checks(
    settings: Settings, engine: AsyncEngine, session: AsyncSession
) -> None:
    """The same rule as over HTTP: a hash that is not the text's is refused (400's code)
    and nothing runs; a document past ORGQL_GRAPHQL_PERSISTED_MAX_BYTES runs, unregistered;
    an invalid one answers its error, unregistered."""
    long_text = "{ sites { " + " ".join(["id"] * 600) + " } }"  # past 1,024 bytes
    invalid = "{ noSuchField }"
    bounded = settings.model_copy(
        update={"graphql_persisted_max_bytes": 1024, "graphql_max_repeats": 1000}
    )
    async for live in _serve(bounded, engine):
        connection = await _signed_in(live)
        await _subscribe(connection, "mismatch", SITES, invalid)
        mismatch = await _message(connection)
        await _subscribe(connection, "long", long_text, long_text)
        long = await _message(connection)
        await _message(connection)  # its complete
        await _subscribe(connection, "invalid", invalid, invalid)
        refused = await _message(connection)
        await connection.close()

    assert mismatch["type"] == "error"
    assert mismatch["payload"][0]["extensions"] == {"code": "PERSISTED_QUERY_HASH_MISMATCH"}
    assert long["payload"] == {"data": ALL_SITES}
    assert refused["type"] == "error"
    assert await _stored(session) == []


async def test_a_trusted_document_is_run_by_its_top_level_id_as_over_http(
    settings: Settings, engine: AsyncEngine, tmp_path: Path
) -> None:
    """A ``subscribe`` payload of ``{"documentId": ...}`` (or Relay's ``doc_id``) runs the
    manifest's document, as the same body does over HTTP. The WebSocket read only the id in
    the extensions and refused it PERSISTED_DOCUMENT_NOT_TRUSTED."""
    manifest = tmp_path / "persisted-documents.json"
    sha256 = hashlib.sha256(SITES.encode()).hexdigest()
    manifest.write_text(json.dumps({sha256: SITES, "relay-id": SITES}))
    trusted = settings.model_copy(update={"graphql_trusted_documents": manifest})
    async for server in _serve(trusted, engine):
        connection = await _signed_in(server)
        answers = []
        for id, payload in (
            ("document-id", {"documentId": f"sha256:{sha256}"}),
            ("doc-id", {"doc_id": "relay-id"}),
        ):
            await connection.send(json.dumps({"id": id, "type": "subscribe", "payload": payload}))
            answers.append(await _message(connection))
            answers.append(await _message(connection))
        await connection.close()

    assert answers == [
        {"id": "document-id", "type": "next", "payload": {"data": ALL_SITES}},
        {"id": "document-id", "type": "complete"},
        {"id": "doc-id", "type": "next", "payload": {"data": ALL_SITES}},
        {"id": "doc-id", "type": "complete"},
    ]
