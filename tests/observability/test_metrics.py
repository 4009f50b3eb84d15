"""/metrics in Prometheus text format, scraped after real requests through the app."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

CREATE = """
mutation Create($name: String!) {
  createOrganization(input: {name: $name}) { organization { id } userErrors { code } }
}
"""


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the scrape by (name, sorted labels)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return samples(response.text)


def requests_total(
    transport: str, operation: str, outcome: str, path: str = "none", reason: str = "none"
) -> tuple[str, tuple[tuple[str, str], ...]]:
    labels = {
        "transport": transport,
        "operation": operation,
        "outcome": outcome,
        "path": path,
        "fallback_reason": reason,
    }
    return ("orgql_requests_total", tuple(sorted(labels.items())))


async def test_graphql_requests_are_counted_by_operation_name_and_outcome(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/graphql", json={"query": CREATE, "variables": {"name": "Metered"}})
    await client.post("/graphql", json={"query": CREATE, "variables": {"name": "Metered"}})
    await client.post(
        "/graphql", json={"query": 'query Root { organization(id: "100001") { id } }'}
    )

    metrics = await scrape(client)

    mutation = ("resolvers", "mutation")
    assert metrics[requests_total("graphql", "Create", "ok", *mutation)] == 1
    assert metrics[requests_total("graphql", "Create", "client_error", *mutation)] == 1
    assert metrics[requests_total("graphql", "Root", "ok", "sql_plan")] == 1
    # The second createOrganization met the first's name: 100005 in its userErrors.
    assert metrics[("orgql_errors_total", (("code", "100005"), ("transport", "graphql")))] == 1


async def test_rest_requests_are_counted_by_route_template_and_errors_by_occ_code(
    client: httpx.AsyncClient,
) -> None:
    await client.get("/ccadmin/v1/organizations/100001")
    await client.get("/ccadmin/v1/organizations/nope")
    await client.get("/ccadmin/v1/organizations/nope2")

    metrics = await scrape(client)

    operation = "GET /ccadmin/v1/organizations/{id}"
    assert metrics[requests_total("rest", operation, "ok")] == 1
    assert metrics[requests_total("rest", operation, "client_error")] == 2
    assert metrics[("orgql_errors_total", (("code", "100001"), ("transport", "rest")))] == 2


async def test_latency_is_a_histogram_per_transport_and_operation(
    client: httpx.AsyncClient,
) -> None:
    await client.get("/ccadmin/v1/organizations/100001")

    metrics = await scrape(client)

    labels = (
        ("operation", "GET /ccadmin/v1/organizations/{id}"),
        ("path", "none"),
        ("transport", "rest"),
    )
    assert metrics[("orgql_request_duration_seconds_count", labels)] == 1
    assert metrics[("orgql_request_duration_seconds_bucket", (("le", "+Inf"), *labels))] == 1
    assert metrics[("orgql_request_duration_seconds_sum", labels)] > 0


async def test_pool_usage_is_reported(client: httpx.AsyncClient) -> None:
    await client.get("/ccadmin/v1/organizations/100001")

    metrics = await scrape(client)

    assert metrics[("orgql_db_pool_size", ())] == 5  # the test engine's pool
    assert metrics[("orgql_db_pool_connections", (("state", "checked_out"),))] == 0
    assert metrics[("orgql_db_pool_connections", (("state", "idle"),))] >= 1


async def test_graphql_operation_names_longer_than_64_characters_share_one_label(
    client: httpx.AsyncClient,
) -> None:
    name = "Q" * 100
    await client.post(
        "/graphql", json={"query": f'query {name} {{ organization(id: "1") {{ id }} }}'}
    )

    metrics = await scrape(client)

    assert metrics[requests_total("graphql", "other", "ok", "sql_plan")] == 1
