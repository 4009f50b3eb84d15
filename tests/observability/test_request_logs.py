"""Access logs: one JSON line per request with its id, operation, duration and outcome;
never a token or personal data."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator

import httpx
import pytest

from orgql.observability.logs import JsonFormatter
from orgql.observability.requests import new_request_id

QUERY = 'query Root { organization(id: "100001") { id } }'
EMAIL = "jane.doe@example.com"


@pytest.fixture
def log() -> Iterator[io.StringIO]:
    """What the ``orgql`` loggers write, formatted as in production."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("orgql")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def access_lines(log: io.StringIO) -> list[dict[str, object]]:
    entries = [json.loads(line) for line in log.getvalue().splitlines()]
    return [entry for entry in entries if entry["logger"] == "orgql.access"]


async def test_a_request_id_from_the_caller_is_returned_and_logged(
    client: httpx.AsyncClient, log: io.StringIO
) -> None:
    response = await client.post(
        "/graphql", json={"query": QUERY}, headers={"X-Request-ID": "abc-123"}
    )

    assert response.headers["x-request-id"] == "abc-123"
    [line] = access_lines(log)
    assert line["request_id"] == "abc-123"


async def test_a_request_without_an_id_gets_a_generated_one(
    client: httpx.AsyncClient, log: io.StringIO
) -> None:
    first = await client.get("/healthz")
    second = await client.get("/healthz", headers={"X-Request-ID": "not an id; " + "x" * 200})

    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert all(len(value) == 32 for value in ids)
    assert ids[0] != ids[1]
    assert [line["request_id"] for line in access_lines(log)] == ids


def test_a_generated_request_id_is_a_random_uuid4_in_hex() -> None:
    ids = [new_request_id() for _ in range(200)]

    assert len(set(ids)) == len(ids)
    for value in ids:
        parsed = uuid.UUID(hex=value)
        assert (parsed.hex, parsed.version, parsed.variant) == (value, 4, uuid.RFC_4122)


async def test_the_access_line_names_operation_status_outcome_and_duration(
    client: httpx.AsyncClient, log: io.StringIO
) -> None:
    await client.post("/graphql", json={"query": QUERY})
    await client.get("/ccadmin/v1/organizations/nope")

    graphql, rest = access_lines(log)
    assert {key: graphql[key] for key in ("level", "message", "transport", "operation")} == {
        "level": "info",
        "message": "POST /graphql 200",
        "transport": "graphql",
        "operation": "Root",
    }
    assert (graphql["status"], graphql["outcome"], graphql["error_codes"]) == (200, "ok", [])
    assert isinstance(graphql["duration_ms"], float)
    assert (rest["operation"], rest["status"], rest["outcome"], rest["error_codes"]) == (
        "getOrganization",
        404,
        "client_error",
        ["100001"],
    )


async def test_tokens_and_personal_data_never_reach_the_log(
    client: httpx.AsyncClient, log: io.StringIO
) -> None:
    admin_token = client.headers.get("authorization", "").removeprefix("Bearer ")
    await client.post("/graphql", json={"query": QUERY, "variables": {"email": EMAIL}})
    await client.get("/ccadmin/v1/organizations", params={"q": f'email eq "{EMAIL}"'})
    await client.get("/ccadmin/v1/organizations/1", headers={"Authorization": "Bearer secret-x"})

    written = log.getvalue()
    assert len(access_lines(log)) == 3
    assert admin_token == "" or admin_token not in written  # the client's own token
    assert "secret-x" not in written
    assert "Bearer" not in written
    assert EMAIL not in written
    assert "example.com" not in written


WRITE = 'mutation Write { updateOrganization(id: "1", input: {}) { organization { id } } }'
PAGE = "query Page { organizations(first: 2) { edges { node { id name } } } }"


async def test_the_access_line_and_the_metrics_say_which_path_answered_and_why(
    client: httpx.AsyncClient, log: io.StringIO
) -> None:
    """graphql.execution.paths: the SQL plan, the compiled plan (with the reason it was not
    the SQL plan) or graphql-core's executor (with the reason it was not a plan)."""
    requests: list[tuple[str, dict[str, object]]] = [
        ("Page", {"query": PAGE}),
        ("Root", {"query": QUERY}),
        ("Sites", {"query": "query Sites { sites { id } }"}),
        ("Big", {"query": "query Big { organizations(first: 500) { edges { node { id } } } }"}),
        ("Schema", {"query": "query Schema { __schema { queryType { name } } }"}),
        ("Write", {"query": WRITE}),
        (
            "Site",
            {
                "query": "query Site { organizations(first: 1) { edges { node {"
                ' effectiveSiteProperties(site: "nope") { approvalRequired } } } } }'
            },
        ),
    ]
    for _, body in requests:
        await client.post("/graphql", json=body)
    await client.get("/ccadmin/v1/organizations/100001")

    lines = access_lines(log)
    seen = [(line["operation"], line["execution_path"], line["fallback_reason"]) for line in lines]
    assert seen == [
        ("Page", "sql_plan", None),
        ("Root", "sql_plan", None),
        ("Sites", "compiled", "root_fields"),
        ("Big", "compiled", "arguments"),
        ("Schema", "resolvers", "not_compilable"),
        ("Write", "resolvers", "mutation"),
        ("Site", "compiled", "unknown_site"),
        ("getOrganization", None, None),
    ]
    scrape = (await client.get("/metrics")).text
    assert (
        'orgql_requests_total{fallback_reason="none",operation="Page",outcome="ok",'
        'path="sql_plan",transport="graphql"} 1.0'
    ) in scrape
    assert 'operation="Big",outcome="client_error",path="compiled"' in scrape
