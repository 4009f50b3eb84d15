"""Persisted documents (graphql.persisted): Apollo's automatic persisted queries round trip
(miss, hash with document, hash alone), over POST and GET, stored in the database for every
process and bounded; and the trusted-documents mode, where only a manifest's documents run."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from orgql.app import create_app
from orgql.db.document_models import PersistedDocument
from orgql.graphql.persisted import load_manifest
from orgql.settings import Settings

QUERY = '{ organization(id: "100001") { repositoryId name } }'
ANSWER = {"data": {"organization": {"repositoryId": "100001", "name": "Sample"}}}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apq(text: str, version: int = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha256(text)}}


@pytest.fixture
def app_with(
    settings: Settings, engine: AsyncEngine, client_for: Callable[..., httpx.AsyncClient]
) -> Callable[..., Any]:
    """``async with app_with(**settings) as client``: an app of its own and an admin client."""

    @asynccontextmanager
    async def open_client(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(settings.model_copy(update=overrides), engine=engine)
        async with app.router.lifespan_context(app) as state, client_for(app, state) as client:
            yield client

    return open_client


async def test_the_automatic_persisted_query_round_trip(
    client: httpx.AsyncClient, app_with: Callable[..., Any]
) -> None:
    extensions = apq(QUERY)

    miss = await client.post("/graphql", json={"extensions": extensions})
    registered = await client.post("/graphql", json={"query": QUERY, "extensions": extensions})
    hit = await client.post("/graphql", json={"extensions": extensions})
    # Another process (an app of its own: another cache) finds it in the database.
    async with app_with() as other:
        elsewhere = await other.post("/graphql", json={"extensions": extensions})

    assert miss.status_code == 200
    assert miss.json() == {
        "data": None,
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ],
    }
    assert miss.headers["cache-control"] == "private, no-cache, must-revalidate"
    assert registered.json() == hit.json() == elsewhere.json() == ANSWER


async def test_the_round_trip_works_over_get(client: httpx.AsyncClient) -> None:
    params = {"extensions": json.dumps(apq(QUERY))}

    miss = await client.get("/graphql", params=params)
    await client.get("/graphql", params={**params, "query": QUERY})
    hit = await client.get("/graphql", params=params)

    assert miss.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert miss.headers["cache-control"] == "no-store"
    assert hit.status_code == 200
    assert hit.json() == ANSWER
    assert "etag" in hit.headers


async def test_a_hash_that_is_not_the_documents_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    extensions = apq("{ sites { id } }")

    response = await client.post("/graphql", json={"query": QUERY, "extensions": extensions})

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    assert await session.scalar(select(func.count()).select_from(PersistedDocument)) == 0


@pytest.mark.parametrize(
    ("extensions", "code"),
    [
        (apq(QUERY, version=2), "PERSISTED_QUERY_VERSION_UNSUPPORTED"),
        ({"persistedQuery": {"version": 1, "sha256Hash": "abc"}}, "BAD_REQUEST"),
        ({"persistedQuery": {"version": 1, "sha256Hash": 7}}, "BAD_REQUEST"),
        ({"persistedQuery": "yes"}, "BAD_REQUEST"),
        ({"documentId": "x" * 201}, "BAD_REQUEST"),
    ],
)
async def test_a_malformed_extension_is_a_400_with_a_code(
    client: httpx.AsyncClient, extensions: dict[str, Any], code: str
) -> None:
    response = await client.post("/graphql", json={"query": QUERY, "extensions": extensions})

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == code


async def test_an_invalid_document_is_not_registered(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    text = "{ noSuchField }"

    await client.post("/graphql", json={"query": text, "extensions": apq(text)})
    again = await client.post("/graphql", json={"extensions": apq(text)})

    assert again.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert await session.scalar(select(func.count()).select_from(PersistedDocument)) == 0


async def test_stored_documents_are_bounded_in_number_and_size(
    app_with: Callable[..., Any], session: AsyncSession
) -> None:
    texts = [f'{{ organization(id: "{100001 + i}") {{ name }} }}' for i in range(5)]
    long_text = "{ sites { " + " ".join(["name"] * 400) + " } }"  # past 1,024 bytes
    async with app_with(
        graphql_persisted_max_documents=3, graphql_persisted_max_bytes=1024
    ) as client:
        for text in [*texts, long_text]:
            answer = await client.post("/graphql", json={"query": text, "extensions": apq(text)})
            assert "data" in answer.json()

    stored = set(await session.scalars(select(PersistedDocument.document)))
    assert stored == set(texts[2:])  # the newest three; the long one ran, unregistered


async def test_documents_are_not_supported_when_turned_off(
    app_with: Callable[..., Any],
) -> None:
    async with app_with(graphql_persisted_queries=False) as client:
        response = await client.post("/graphql", json={"extensions": apq(QUERY)})
        plain = await client.post("/graphql", json={"query": QUERY})

    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"
    assert plain.json() == ANSWER


# -- trusted documents


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    """A manifest as GraphQL Code Generator writes it: sha256 hex of each document."""
    path = tmp_path / "persisted-documents.json"
    path.write_text(json.dumps({sha256(QUERY): QUERY, "relay-md5-like-id": "{ sites { id } }"}))
    return path


async def test_trusted_documents_run_by_id_and_nothing_else_does(
    app_with: Callable[..., Any], manifest: Path, session: AsyncSession
) -> None:
    async with app_with(graphql_trusted_documents=manifest) as client:
        by_document_id = await client.post(
            "/graphql", json={"documentId": f"sha256:{sha256(QUERY)}"}
        )
        by_relay_doc_id = await client.post("/graphql", json={"doc_id": "relay-md5-like-id"})
        by_apq_hash = await client.post("/graphql", json={"extensions": apq(QUERY)})
        by_get = await client.get("/graphql", params={"documentId": sha256(QUERY)})
        same_text = await client.post("/graphql", json={"query": QUERY})
        unknown_text = await client.post("/graphql", json={"query": "{ sites { name } }"})
        unknown_id = await client.post("/graphql", json={"documentId": "sha256:" + "0" * 64})
        registering = await client.post(
            "/graphql",
            json={"query": "{ sites { name } }", "extensions": apq("{ sites { name } }")},
        )

    assert by_document_id.json() == by_apq_hash.json() == by_get.json() == ANSWER
    assert same_text.json() == ANSWER
    assert "sites" in by_relay_doc_id.json()["data"]
    for refused in (unknown_text, unknown_id, registering):
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["extensions"]["code"] == (
            "PERSISTED_DOCUMENT_NOT_TRUSTED"
        )
    assert await session.scalar(select(func.count()).select_from(PersistedDocument)) == 0


def test_apollos_manifest_format_is_read(tmp_path: Path) -> None:
    path = tmp_path / "persisted-query-manifest.json"
    operation = {"id": sha256(QUERY), "name": "Org", "type": "query", "body": QUERY}
    path.write_text(
        json.dumps(
            {"format": "apollo-persisted-query-manifest", "version": 1, "operations": [operation]}
        )
    )

    assert load_manifest(path) == {sha256(QUERY): QUERY}


@pytest.mark.parametrize("content", ["[1, 2]", '{"a": 1}', "not json", '{"format": '])
def test_a_manifest_that_is_none_is_a_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(content)

    with pytest.raises(ValueError, match="trusted documents manifest"):
        load_manifest(path)
