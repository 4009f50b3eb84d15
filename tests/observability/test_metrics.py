"""/metrics in Prometheus text format, scraped after real requests through the app."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from orgql.db.engine import PRIMARY_HELD_CONNECTIONS

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


async def test_rest_requests_are_counted_by_operation_id_and_errors_by_occ_code(
    client: httpx.AsyncClient,
) -> None:
    await client.get("/ccadmin/v1/organizations/100001")
    await client.get("/ccadmin/v1/organizations/nope")
    await client.get("/ccadmin/v1/organizations/nope2")

    metrics = await scrape(client)

    assert metrics[requests_total("rest", "getOrganization", "ok")] == 1
    assert metrics[requests_total("rest", "getOrganization", "client_error")] == 2
    assert metrics[("orgql_errors_total", (("code", "100001"), ("transport", "rest")))] == 2


async def test_latency_is_a_histogram_per_transport_and_operation(
    client: httpx.AsyncClient,
) -> None:
    await client.get("/ccadmin/v1/organizations/100001")

    metrics = await scrape(client)

    labels = (("operation", "getOrganization"), ("path", "none"), ("transport", "rest"))
    assert metrics[("orgql_request_duration_seconds_count", labels)] == 1
    assert metrics[("orgql_request_duration_seconds_bucket", (("le", "+Inf"), *labels))] == 1
    assert metrics[("orgql_request_duration_seconds_sum", labels)] > 0


async def test_a_refused_rest_request_is_counted_by_its_operation_id(
    anonymous_client: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    """A 401 is answered before routing: it is still named by the operation asked for."""
    assert (await anonymous_client.get("/ccadmin/v1/organizations/100001")).status_code == 401
    assert (await anonymous_client.put("/ccadmin/v1/organizations/100001")).status_code == 401
    assert (await anonymous_client.head("/ccstore/v1/organizations/100001")).status_code == 401

    metrics = await scrape(client)

    assert metrics[requests_total("rest", "getOrganization", "client_error")] == 1
    assert metrics[requests_total("rest", "updateOrganization", "client_error")] == 1
    assert metrics[requests_total("rest", "getStoreOrganization", "client_error")] == 1


async def test_unknown_rest_paths_and_methods_share_one_label(
    anonymous_client: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    for number in range(30):
        await anonymous_client.get(f"/ccadmin/v1/probe{number}/../etc/passwd")
        await client.get(f"/ccstore/v1/nothing/{number}")
    assert (await client.delete("/ccadmin/v1/organizations/100001")).status_code == 405

    metrics = await scrape(client)

    rest = {
        dict(labels)["operation"]
        for name, labels in metrics
        if name == "orgql_requests_total" and dict(labels)["transport"] == "rest"
    }
    assert rest == {"unknown"}
    assert metrics[requests_total("rest", "unknown", "client_error")] == 61


async def test_pool_usage_is_reported(client: httpx.AsyncClient) -> None:
    await client.get("/ccadmin/v1/organizations/100001")

    metrics = await scrape(client)

    # The ceiling of the test engine's pool: twice its size 5, and the two held long.
    assert metrics[("orgql_db_pool_size", ())] == 2 * 5 + PRIMARY_HELD_CONNECTIONS
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
