"""Each GraphQL limit refuses a document just over it and allows one just under it; the body
size limit holds on every route; production turns the developer aids off."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from orgql.core.common.validation import MAX_ITEMS
from orgql.graphql.limits import LIMIT_SETTINGS
from orgql.settings import Settings

#: The ``limited`` fixture (tests/auth/conftest.py).
Limited = Callable[..., Any]


async def _post(client: httpx.AsyncClient, query: str) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query})
    body: dict[str, Any] = response.json()
    return body


def _codes(body: dict[str, Any]) -> list[str]:
    return [str(e.get("extensions", {}).get("code", e["message"])) for e in body.get("errors", [])]


def _nested(levels: int) -> str:
    """organization > parentOrganization (levels - 2 times) > id: ``levels`` deep."""
    inner = "id"
    for _ in range(levels - 2):
        inner = f"parentOrganization {{ {inner} }}"
    return f'{{ organization(id: "100003") {{ {inner} }} }}'


async def test_depth_just_over_the_limit_is_refused_and_at_it_allowed(limited: Limited) -> None:
    async with limited(graphql_max_depth=4) as client:
        over = await _post(client, _nested(6))
        at = await _post(client, _nested(5))

    assert "exceeds maximum operation depth of 4" in over["errors"][0]["message"]
    assert "errors" not in at


def _aliases(count: int) -> str:
    return "{ " + " ".join(f"s{i}: sites {{ id }}" for i in range(count)) + " }"


async def test_aliases_over_the_limit_are_refused(limited: Limited) -> None:
    async with limited(graphql_max_aliases=5) as client:
        over = await _post(client, _aliases(6))
        at = await _post(client, _aliases(5))

    assert "6 aliases found. Allowed: 5" in over["errors"][0]["message"]
    assert "errors" not in at


async def test_tokens_over_the_limit_are_refused(limited: Limited) -> None:
    # "{ sites { id } }" is 6 tokens; each "id" more is one.
    async with limited(graphql_max_tokens=9) as client:
        refused = await client.post("/graphql", json={"query": "{ sites { id id id id id } }"})
        at = await _post(client, "{ sites { id id id id } }")

    over = refused.json()
    assert refused.status_code == 400, over
    assert "Document contains more than 9 tokens" in over["errors"][0]["message"]
    assert over["errors"][0]["extensions"] == {"code": "TOO_MANY_TOKENS"}
    assert "errors" not in at


async def test_cost_counts_connections_by_first(limited: Limited) -> None:
    # organizations (1) + first * (edges 1 + node 1 + id 1): first=10 costs 31.
    query = "{{ organizations(first: {}) {{ edges {{ node {{ id }} }} }} }}"
    async with limited(graphql_max_cost=31) as client:
        over = await _post(client, query.format(11))
        at = await _post(client, query.format(10))

    assert over["errors"][0]["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": 34}
    assert "errors" not in at


async def test_nested_connections_multiply(limited: Limited) -> None:
    query = (
        "{ organizations(first: 100) { edges { node { childOrganizations(first: 100)"
        " { edges { node { id } } } } } } }"
    )
    async with limited() as client:
        body = await _post(client, query)

    assert _codes(body) == ["QUERY_TOO_COSTLY"]


async def test_first_over_100_is_refused(limited: Limited) -> None:
    async with limited() as client:
        over = await _post(client, "{ organizations(first: 101) { edges { node { id } } } }")
        at = await _post(client, "{ organizations(first: 100) { edges { node { id } } } }")

    assert over["errors"][0]["message"] == "first must be at most 100"
    assert "errors" not in at


async def test_batches_over_the_limit_are_refused(limited: Limited) -> None:
    operation = {"query": "{ sites { id } }"}
    async with limited(graphql_max_batch=3) as client:
        over = await client.post("/graphql", json=[operation] * 4)
        at = await client.post("/graphql", json=[operation] * 3)

    assert over.status_code == 400
    assert over.json() == {
        "data": None,
        "errors": [{"message": "Too many operations", "extensions": {"code": "BAD_REQUEST"}}],
    }
    assert (at.status_code, len(at.json())) == (200, 3)


async def test_a_request_over_its_time_budget_is_503(limited: Limited) -> None:
    async with limited(graphql_timeout_seconds=1e-9) as client:
        response = await client.post("/graphql", json={"query": "{ sites { id } }"})

    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "TIMEOUT"}
    assert error["message"].startswith("the request took longer than")


@pytest.mark.parametrize(
    "path", ["/ccadmin/v1/organizations", "/ccstore/v1/organizationRequests", "/ccadmin/v1/login"]
)
async def test_bodies_over_the_size_limit_are_413_errormodels_on_rest_routes(
    limited: Limited, path: str
) -> None:
    async with limited(max_body_bytes=2048) as client:
        over = await client.post(path, content=b" " * 2049)
        at = await client.post(path, content=b" " * 2048)

    assert (over.status_code, over.json()["errorCode"]) == (413, "100002")
    assert at.status_code != 413


#: What a body over ``max_body_bytes=2048`` gets on /graphql: a GraphQL error, as every
#: other refusal of the endpoint (a GraphQL client reads ``errors``, not ``errorCode``).
GRAPHQL_TOO_LARGE = {
    "data": None,
    "errors": [
        {
            "message": "the request body is larger than 2048 bytes",
            "extensions": {"code": "BAD_REQUEST"},
        }
    ],
}


async def test_a_graphql_body_over_the_size_limit_is_a_413_graphql_error(
    limited: Limited,
) -> None:
    async with limited(max_body_bytes=2048) as client:
        over = await client.post("/graphql", content=b" " * 2049)
        at = await client.post("/graphql", content=b" " * 2048)

    assert (over.status_code, over.json()) == (413, GRAPHQL_TOO_LARGE)
    assert over.headers["content-type"] == "application/json"
    assert over.headers["x-request-id"]
    assert at.status_code != 413


async def _chunks() -> AsyncIterator[bytes]:
    for _ in range(3):
        yield b" " * 1024


async def test_a_streamed_graphql_body_over_the_limit_is_a_413_graphql_error(
    limited: Limited,
) -> None:
    async with limited(max_body_bytes=2048) as client:
        response = await client.post(
            "/graphql", content=_chunks(), headers={"Content-Type": "application/json"}
        )

    assert (response.status_code, response.json()) == (413, GRAPHQL_TOO_LARGE)


async def test_a_streamed_rest_body_over_the_limit_is_a_413_errormodel(limited: Limited) -> None:
    async with limited(max_body_bytes=2048) as client:
        response = await client.post(
            "/ccadmin/v1/organizations",
            content=_chunks(),
            headers={"Content-Type": "application/json"},
        )

    assert (response.status_code, response.json()["errorCode"]) == (413, "100002")


# ---------------------------------------------------------------- developer aids


INTROSPECTION = "{ __schema { queryType { name } } }"


async def test_development_has_introspection_suggestions_and_graphiql(limited: Limited) -> None:
    async with limited() as client:
        introspection = await _post(client, INTROSPECTION)
        suggestion = await _post(client, "{ site { id } }")
        graphiql = await client.get("/graphql", headers={"Accept": "text/html"})

    assert introspection["data"] == {"__schema": {"queryType": {"name": "Query"}}}
    assert "Did you mean 'sites'?" in suggestion["errors"][0]["message"]
    assert graphiql.status_code == 200


async def test_production_turns_the_developer_aids_off_together(limited: Limited) -> None:
    async with limited(environment="production") as client:
        introspection = await _post(client, INTROSPECTION)
        suggestion = await _post(client, "{ site { id } }")
        graphiql = await client.get("/graphql", headers={"Accept": "text/html"})

    assert "introspection has been disabled" in introspection["errors"][0]["message"]
    assert "Did you mean" not in suggestion["errors"][0]["message"]
    assert graphiql.status_code == 404


@pytest.mark.parametrize(
    "switch", ["graphql_introspection", "graphql_field_suggestions", "graphiql"]
)
async def test_each_developer_aid_switches_off_alone(limited: Limited, switch: str) -> None:
    async with limited(**{switch: False}) as client:
        introspection = await _post(client, INTROSPECTION)
        suggestion = await _post(client, "{ site { id } }")
        graphiql = await client.get("/graphql", headers={"Accept": "text/html"})

    assert [
        "errors" in introspection,
        "Did you mean" not in suggestion["errors"][0]["message"],
        graphiql.status_code != 200,
    ] == [
        switch == "graphql_introspection",
        switch == "graphql_field_suggestions",
        switch == "graphiql",
    ]


async def test_a_batch_runs_its_operations_one_after_the_other(limited: Limited) -> None:
    create = {
        "query": 'mutation { createOrganization(input: {name: "Batch Co"}) '
        "{ userErrors { code } } }"
    }
    count = {"query": '{ organizations(filter: {nameContains: "Batch Co"}) { totalCount } }'}
    async with limited() as client:
        response = await client.post("/graphql", json=[count, create, count])

    assert [item["data"] for item in response.json()] == [
        {"organizations": {"totalCount": 0}},
        {"createOrganization": {"userErrors": []}},
        {"organizations": {"totalCount": 1}},
    ]


async def test_directives_on_one_field_over_the_limit_are_refused(limited: Limited) -> None:
    # @include and @skip are the executable directives; neither may repeat on one node.
    over_field = "{ sites @include(if: true) @skip(if: false) { id } }"
    over_fragment = "{ ... on Query @include(if: true) @skip(if: false) { sites { id } } }"
    at_field = "{ sites @include(if: true) { id } }"
    async with limited(graphql_max_directives=1) as client:
        refused = await _post(client, over_field)
        refused_fragment = await _post(client, over_fragment)
        allowed = await _post(client, at_field)

    assert _codes(refused) == ["TOO_MANY_DIRECTIVES"]
    assert refused["errors"][0]["message"] == (
        "2 directives on one field, more than the limit of 1"
    )
    assert _codes(refused_fragment) == ["TOO_MANY_DIRECTIVES"]
    assert "errors" not in allowed


#: Per limit's code (graphql.limits.LIMIT_SETTINGS): the settings lowering it, and a
#: request over it.
OVER_EACH_LIMIT: dict[str, tuple[dict[str, int], dict[str, Any]]] = {
    "FRAGMENT_CYCLE": ({}, {"query": "{ sites { ...A } } fragment A on Site { ...A }"}),
    "QUERY_TOO_DEEP": (
        {"graphql_max_depth": 2},
        {"query": "{ organizations(first: 1) { edges { node { id } } } }"},
    ),
    "TOO_MANY_ALIASES": (
        {"graphql_max_aliases": 1},
        {"query": "{ a: sites { id } b: sites { id } }"},
    ),
    "QUERY_TOO_COSTLY": (
        {"graphql_max_cost": 31},
        {"query": "{ organizations(first: 11) { edges { node { id } } } }"},
    ),
    "TOO_MANY_TOKENS": (
        {"graphql_max_tokens": 10},
        {"query": "{ sites { id name id name id name } }"},
    ),
    "TOO_MANY_FIELDS": ({"graphql_max_fields": 2}, {"query": "{ sites { id name } }"}),
    "TOO_MANY_REPEATS": ({"graphql_max_repeats": 2}, {"query": "{ sites { id id id } }"}),
    "TOO_MANY_FRAGMENTS": (
        {"graphql_max_fragments": 1},
        {"query": "{ sites { ...A ...B } } fragment A on Site { id } fragment B on Site { name }"},
    ),
    "TOO_MANY_DIRECTIVES": (
        {"graphql_max_directives": 1},
        {"query": "{ sites @include(if: true) @skip(if: false) { id } }"},
    ),
    "VARIABLES_TOO_LARGE": (
        {},
        {
            "query": "query($ids: [ID!]) { sites { id } }",
            "variables": {"ids": ["x"] * (MAX_ITEMS + 1)},
        },
    ),
}


@pytest.mark.parametrize("code", sorted(LIMIT_SETTINGS))
async def test_every_limit_s_refusal_is_a_400_with_its_code(limited: Limited, code: str) -> None:
    """A limit's refusal answers 400, other validation errors 200 (docs/security.md,
    "Limits"), each limit's alike: the directives' answered 200, its code missing from the
    list of the limits' codes, written apart from the rule. A code added to the limits
    without a case here fails this test."""
    if code not in OVER_EACH_LIMIT:
        pytest.fail(f"{code} is a limit's code without a request over it in OVER_EACH_LIMIT")
    limits, body = OVER_EACH_LIMIT[code]
    async with limited(**limits) as client:
        refused = await client.post("/graphql", json=body)

    assert (refused.status_code, _codes(refused.json())) == (400, [code]), refused.text


def test_every_case_is_a_limit_s() -> None:
    assert set(OVER_EACH_LIMIT) == set(LIMIT_SETTINGS)


def test_each_limit_s_setting_is_a_setting() -> None:
    """The setting a manifest refusal names for a limit (graphql.limits.LIMIT_SETTINGS) is
    one an operator can set."""
    settings = {f"ORGQL_{name.upper()}" for name in Settings.model_fields}
    named = {setting for setting in LIMIT_SETTINGS.values() if setting is not None}

    assert named <= settings
    assert len(named) == 8
