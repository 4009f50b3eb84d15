"""schemathesis over the REST shim's OpenAPI document and over the GraphQL schema: no answer
is a 5xx and none leaks SQL or a traceback; every REST answer conforms to the document (its
status is documented and its body validates, as in tests/rest/test_openapi_conformance.py).
Bounded: a few examples per operation, well under two minutes together."""

from __future__ import annotations

from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings

from orgql.graphql.schema import default_schema
from orgql.rest.routes import openapi_json
from rest.conformance import Conformance

#: What must never reach a caller: SQL, driver and ORM names, Python tracebacks.
LEAKS = ("SELECT ", "INSERT ", "UPDATE ", "DELETE FROM", "sqlalchemy", "asyncpg", "Traceback")
EXAMPLES_PER_OPERATION = 15


def _cases(loaded: Any) -> list[Any]:
    """Examples of every operation, drawn up front (hypothesis runs synchronously)."""
    cases: list[Any] = []
    for result in loaded.get_all_operations():
        operation = result.ok()

        @given(operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def collect(case: Any) -> None:
            cases.append(case)

        collect()
    return cases


def _headers(case: Any) -> dict[str, str]:
    # The generated Authorization is noise; the client's admin token reaches the handlers.
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    return {k: v for k, v in headers.items() if all(32 <= ord(c) < 127 for c in k + v)}


def _check(response: httpx.Response, label: str) -> None:
    assert response.status_code < 500, (label, response.status_code, response.text[:300])
    leaked = [leak for leak in LEAKS if leak in response.text]
    assert leaked == [], (label, response.text[:300])


async def test_rest_shim_answers_generated_requests_without_5xx_or_leaks(
    client: httpx.AsyncClient,
) -> None:
    cases = _cases(schemathesis.openapi.from_dict(openapi_json()))
    conformance = Conformance()
    nonconforming: list[tuple[str, list[str]]] = []
    for case in cases:
        kwargs: dict[str, Any] = {"params": case.query or None, "headers": _headers(case)}
        if case.body is not None and not isinstance(case.body, schemathesis.core.NotSet):
            if case.media_type == "application/json":
                kwargs["json"] = case.body
            else:
                kwargs["data"] = case.body
        response = await client.request(case.method, case.formatted_path, **kwargs)
        _check(response, f"{case.method} {case.formatted_path}")
        if problems := conformance.problems(response):
            nonconforming.append((f"{case.method} {response.request.url}", problems))
    assert nonconforming == []
    assert len(cases) > 100


async def test_graphql_answers_generated_operations_without_5xx_or_leaks(
    client: httpx.AsyncClient,
) -> None:
    cases = _cases(schemathesis.graphql.from_file(default_schema().as_str()))
    for case in cases:
        response = await client.post("/graphql", json={"query": case.body})
        _check(response, case.body)
    assert len(cases) > 50
