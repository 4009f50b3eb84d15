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
from orgql.cli import main
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


APOLLO_LIST_ID = (
    '{"format": "apollo-persisted-query-manifest", "version": 1,'
    ' "operations": [{"id": ["a"], "body": "{ sites { id } }"}]}'
)


@pytest.mark.parametrize(
    "content", ["[1, 2]", '{"a": 1}', "not json", '{"format": ', APOLLO_LIST_ID]
)
def test_a_manifest_that_is_none_is_a_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(content)

    with pytest.raises(ValueError, match="trusted documents manifest"):
        load_manifest(path)


OTHER = '{ organization(id: "100002") { repositoryId name } }'


def test_an_id_listed_twice_with_different_texts_stops_the_start(tmp_path: Path) -> None:
    """JSON keeps the last of a key given twice: which document the id runs would be the
    reader's choice (the client's may differ). The gateway does not start, naming the id."""
    plain = tmp_path / "persisted-documents.json"
    plain.write_text(f'{{"doc": {json.dumps(QUERY)}, "doc": {json.dumps(OTHER)}}}')
    apollo = tmp_path / "persisted-query-manifest.json"
    operations = [{"id": "doc", "body": QUERY}, {"id": "doc", "body": OTHER}]
    apollo.write_text(
        json.dumps(
            {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
        )
    )

    for manifest in (plain, apollo):
        with pytest.raises(ValueError, match="trusted documents manifest") as raised:
            create_app(_settings_of(manifest))
        assert str(raised.value) == (
            f"trusted documents manifest {manifest}: 1 document id(s) listed more than once"
            " with different texts (which would run is ambiguous): 'doc'"
        )


def test_an_id_listed_twice_with_the_same_text_is_read(tmp_path: Path) -> None:
    plain = tmp_path / "persisted-documents.json"
    plain.write_text(f'{{"doc": {json.dumps(QUERY)}, "doc": {json.dumps(QUERY)}}}')
    apollo = tmp_path / "persisted-query-manifest.json"
    operations = [{"id": "doc", "body": QUERY, "name": "A"}, {"id": "doc", "body": QUERY}]
    apollo.write_text(
        json.dumps(
            {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
        )
    )

    assert load_manifest(plain) == load_manifest(apollo) == {"doc": QUERY}


# -- a manifest's documents within the limits, checked at start

#: Per limit: the settings lowering it, a document over it, how the refusal ends (the
#: limit's code and setting).
OVER_A_LIMIT = {
    "depth": (
        {"graphql_max_depth": 2},
        "{ organizations(first: 1) { edges { node { id } } } }",
        "(QUERY_TOO_DEEP, ORGQL_GRAPHQL_MAX_DEPTH)",
    ),
    "aliases": (
        {"graphql_max_aliases": 1},
        "{ a: sites { id } b: sites { id } }",
        "(TOO_MANY_ALIASES, ORGQL_GRAPHQL_MAX_ALIASES)",
    ),
    "tokens": (
        {"graphql_max_tokens": 10},
        "{ sites { id name id name id name } }",
        "(TOO_MANY_TOKENS, ORGQL_GRAPHQL_MAX_TOKENS)",
    ),
    "cost": (
        {"graphql_max_cost": 31},
        "{ organizations(first: 11) { edges { node { id } } } }",
        "(QUERY_TOO_COSTLY, ORGQL_GRAPHQL_MAX_COST)",
    ),
    "fields": (
        {"graphql_max_fields": 2},
        "{ sites { id name } }",
        "(TOO_MANY_FIELDS, ORGQL_GRAPHQL_MAX_FIELDS)",
    ),
    "repeats": (
        {"graphql_max_repeats": 2},
        "{ sites { id id id } }",
        "(TOO_MANY_REPEATS, ORGQL_GRAPHQL_MAX_REPEATS)",
    ),
    "fragments": (
        {"graphql_max_fragments": 1},
        "{ sites { ...A ...B } } fragment A on Site { id } fragment B on Site { name }",
        "(TOO_MANY_FRAGMENTS, ORGQL_GRAPHQL_MAX_FRAGMENTS)",
    ),
    "directives": (
        {"graphql_max_directives": 1},
        "{ sites @include(if: true) @skip(if: false) { id } }",
        "(TOO_MANY_DIRECTIVES, ORGQL_GRAPHQL_MAX_DIRECTIVES)",
    ),
    "fragment cycle": ({}, "{ sites { ...A } } fragment A on Site { ...A }", "(FRAGMENT_CYCLE)"),
    "syntax": ({}, "{ sites { id }", "Syntax Error: Expected Name, found <EOF>."),
}


def _manifest_of(tmp_path: Path, documents: dict[str, str]) -> Path:
    path = tmp_path / "persisted-documents.json"
    path.write_text(json.dumps(documents))
    return path


def _settings_of(manifest: Path, **limits: Any) -> Settings:
    """Settings of an app that is built, never started (no database is reached)."""
    return Settings(
        database_url="postgresql+asyncpg://nobody@127.0.0.1:9/none",
        graphql_trusted_documents=manifest,
        **limits,
    )


@pytest.mark.parametrize(
    ("limits", "document", "named"), OVER_A_LIMIT.values(), ids=OVER_A_LIMIT.keys()
)
def test_a_manifest_document_over_a_limit_stops_the_start(
    tmp_path: Path, limits: dict[str, int], document: str, named: str
) -> None:
    """A document a request would be refused for its limits can never run: the gateway does
    not start with it, and says which document and which limit, not a client at run time."""
    manifest = _manifest_of(tmp_path, {"fine": "{ sites { id } }", "over": document})

    with pytest.raises(ValueError, match="trusted documents manifest") as raised:
        create_app(_settings_of(manifest, **limits))

    message = str(raised.value)
    assert message.startswith(f"trusted documents manifest {manifest}: 1 document(s) would be")
    assert "document 'over': " in message
    assert message.endswith(named)
    assert "'fine'" not in message


def test_a_manifest_refusal_names_every_document_over_a_limit(tmp_path: Path) -> None:
    documents = {f"over-{n}": "{ a: sites { id } b: sites { id } }" for n in range(12)}
    manifest = _manifest_of(tmp_path, documents)

    with pytest.raises(ValueError, match="trusted documents manifest") as raised:
        create_app(_settings_of(manifest, graphql_max_aliases=1))

    message = str(raised.value)
    assert "12 document(s) would be refused" in message
    assert [f"'over-{n}'" in message for n in range(12)] == [True] * 10 + [False] * 2
    assert message.endswith("; and 2 more")


def test_serve_refused_for_a_manifest_document_says_so_in_one_paragraph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``orgql serve`` with a manifest document no request could run stops before anything
    starts (the database, unreachable here, is not migrated), status 2, with one paragraph
    naming the setting, the file, the document's id and the limit's setting, as other
    settings refused at start. It migrated, printed its address, then ended in uvicorn's
    traceback (every worker's with --workers)."""
    over = "{ a: sites { id } b: sites { id } }"
    manifest = _manifest_of(tmp_path, {"fine": "{ sites { id } }", "over": over})
    monkeypatch.setenv("ORGQL_GRAPHQL_TRUSTED_DOCUMENTS", str(manifest))
    monkeypatch.setenv("ORGQL_GRAPHQL_MAX_ALIASES", "1")
    monkeypatch.setenv("ORGQL_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")
    monkeypatch.setenv("ORGQL_ENVIRONMENT", "development")

    status = main(["serve", "--host", "127.0.0.1", "--port", "1"])

    out, err = capsys.readouterr()
    assert (status, out) == (2, "")
    assert err == (
        f"orgql: ORGQL_GRAPHQL_TRUSTED_DOCUMENTS: trusted documents manifest {manifest}:"
        " 1 document(s) would be refused whatever their variables: document 'over':"
        " 2 aliases found. Allowed: 1 (TOO_MANY_ALIASES, ORGQL_GRAPHQL_MAX_ALIASES)\n"
    )


def test_serve_refused_for_an_unreadable_manifest_says_so_in_one_paragraph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "absent.json"
    monkeypatch.setenv("ORGQL_GRAPHQL_TRUSTED_DOCUMENTS", str(manifest))
    monkeypatch.setenv("ORGQL_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")
    monkeypatch.setenv("ORGQL_ENVIRONMENT", "development")

    status = main(["serve", "--host", "127.0.0.1", "--port", "1"])

    out, err = capsys.readouterr()
    assert (status, out) == (2, "")
    assert err.startswith(
        f"orgql: ORGQL_GRAPHQL_TRUSTED_DOCUMENTS: trusted documents manifest {manifest}: "
    )
    assert "No such file or directory" in err
    assert err.count("\n") == 1


async def test_a_page_a_variable_sets_counts_at_its_least_at_start(
    tmp_path: Path, database_url: str, client_for: Callable[..., httpx.AsyncClient]
) -> None:
    """A document's cost that its variables may bring within the limit is not refused at
    start (its request is, with a page too large); one whose fixed part alone is over is."""
    paged = "query Q($n: Int) { organizations(first: $n) { edges { node { id } } } }"
    fixed_part_over = (
        "query P($n: Int) { a: organizations(first: $n) { edges { node { id } } }"
        " b: organizations(first: 11) { edges { node { id } } } }"
    )
    refused = _manifest_of(tmp_path, {"paged": paged, "over": fixed_part_over})
    with pytest.raises(ValueError, match=r"document 'over': the query costs 35, more than"):
        create_app(_settings_of(refused, graphql_max_cost=31))

    manifest = tmp_path / "paged.json"
    manifest.write_text(json.dumps({"paged": paged}))
    settings = _settings_of(manifest, graphql_max_cost=31).model_copy(
        update={"database_url": database_url}
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state, client_for(app, state) as client:
        small = await client.post("/graphql", json={"doc_id": "paged", "variables": {"n": 10}})
        large = await client.post("/graphql", json={"doc_id": "paged", "variables": {"n": 11}})

    assert "errors" not in small.json()
    assert large.json()["errors"][0]["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": 34}
