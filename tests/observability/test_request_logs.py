"""Access logs: one JSON line per request with its id, operation, duration and outcome;
never a token or personal data."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from orgql.observability.logs import JsonFormatter

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
