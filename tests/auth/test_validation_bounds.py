"""Documents and variables that would hold the event loop in graphql-core's own work are
refused before it: fields repeated at one place and fragments spread at one place (its
OverlappingFieldsCanBeMergedRule compares them in pairs), too many fields, and variables too
large to coerce; the largest documents the project sends still pass."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import httpx
from graphql import (
    GraphQLEnumType,
    GraphQLNonNull,
    GraphQLScalarType,
    get_introspection_query,
    get_named_type,
    parse,
)
from test_graphql_analysis import python_calls_at_most

from orgql.graphql.analysis import DocumentLimits, analyse
from orgql.graphql.schema import default_schema

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import scenarios

NODES = "query($i: [ID!]!) { nodes(ids: $i) { id } }"


#: Python calls enough for any document the analysis lets through; 330 fragments spread on
#: one object made millions (review2).
BUDGET = 1_500_000


def _repeated(times: int) -> str:
    # A comment of its own: no cache hides the work (the attack's trick).
    return f"# {times}\n{{" + " sites { name }" * times + " }"


async def _refusal(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    [error] = response.json()["errors"]
    return {"message": error["message"], **error["extensions"]}


async def test_a_field_repeated_hundreds_of_times_is_refused_anonymously(
    anonymous_client: httpx.AsyncClient,
) -> None:
    response = await anonymous_client.post("/graphql", json={"query": _repeated(745)})

    assert await _refusal(response) == {
        "message": "the document selects 1490 fields (each fragment counted wherever it is"
        " spread), more than the limit of 1000",
        "code": "TOO_MANY_FIELDS",
        "fields": 1490,
    }


async def test_a_field_repeated_past_the_limit_at_one_place_is_refused(
    anonymous_client: httpx.AsyncClient,
) -> None:
    over = await anonymous_client.post("/graphql", json={"query": _repeated(400)})
    at = await anonymous_client.post("/graphql", json={"query": _repeated(30)})

    assert await _refusal(over) == {
        "message": "'sites' is selected 400 times at the root of the operation (fragments and"
        " repeated parent fields merged), more than the limit of 30",
        "code": "TOO_MANY_REPEATS",
    }
    assert at.status_code == 200
    assert "errors" not in at.json()


async def test_repeats_are_counted_through_fragments_and_parent_fields(
    anonymous_client: httpx.AsyncClient,
) -> None:
    # 4 fragments of 8 inline fragments each: 32 'name' under 'sites', 2 'sites' apart.
    inline = " ".join(["... on Site { name }"] * 8)
    fragments = " ".join(f"fragment F{i} on Site {{ {inline} }}" for i in range(4))
    through_fragments = "{ sites { ...F0 ...F1 ...F2 ...F3 } } " + fragments
    # 4 organizations of 8 parentOrganization each: 32 at organization.parentOrganization.
    parent = 'organization(id: "100003") { ' + "parentOrganization { id } " * 8 + "}"
    through_parents = "{ " + " ".join([parent] * 4) + " }"
    # graphql-core's rules walk a fragment spread nowhere too (before refusing it unused).
    unused = "{ __typename } fragment Loose on Query { " + "sites { id } " * 32 + "}"
    refused = [
        await anonymous_client.post("/graphql", json={"query": query})
        for query in (through_fragments, through_parents, unused)
    ]

    messages = [(await _refusal(response))["message"] for response in refused]
    assert messages == [
        "'name' is selected 32 times under 'sites' (fragments and repeated parent fields"
        " merged), more than the limit of 30",
        "'parentOrganization' is selected 32 times under 'organization' (fragments and"
        " repeated parent fields merged), more than the limit of 30",
        "'sites' is selected 32 times in fragment 'Loose' (fragments and repeated parent"
        " fields merged), more than the limit of 30",
    ]


def _scalars() -> list[str]:
    organization = default_schema()._schema.get_type("Organization")
    return [
        name
        for name, field in organization.fields.items()  # type: ignore[union-attr]
        if isinstance(get_named_type(field.type), GraphQLScalarType | GraphQLEnumType)
        and not any(isinstance(a.type, GraphQLNonNull) for a in field.args.values())
    ]


def _fragments(count: int) -> str:
    names = _scalars()
    return " ".join(
        f"fragment F{i} on Organization{{{names[i % len(names)]}}}" for i in range(count)
    )


def _spreads(count: int) -> str:
    return " ".join(f"...F{i}" for i in range(count))


def _many_fragments(count: int) -> str:
    # One field each, no name repeated past the limit, within the tokens: graphql-core's
    # rule compares every pair of fragments spread at one place (54,000 for 330).
    spreads = _spreads(count)
    return f'# {count}\n{{organization(id:"100001"){{{spreads}}}}} {_fragments(count)}'


async def test_many_distinct_fragments_at_one_place_are_refused_before_validation(
    anonymous_client: httpx.AsyncClient,
) -> None:
    with python_calls_at_most(BUDGET):
        response = await anonymous_client.post("/graphql", json={"query": _many_fragments(330)})

    assert (await _refusal(response))["code"] == "TOO_MANY_FRAGMENTS"


async def test_fragments_are_counted_at_their_place_with_their_own_spreads(
    client: httpx.AsyncClient,
) -> None:
    at = await client.post("/graphql", json={"query": _many_fragments(60)})
    # G and the 60 it spreads: 61 at 'organization'.
    nested = (
        f'{{organization(id:"100001"){{...G}}}} fragment G on Organization{{{_spreads(60)}}} '
        + _fragments(60)
    )
    over = await client.post("/graphql", json={"query": nested})

    assert at.status_code == 200, at.text
    assert "errors" not in at.json()
    assert await _refusal(over) == {
        "message": "61 fragments are spread under 'organization' (their own spreads and"
        " repeated parent fields merged), more than the limit of 60",
        "code": "TOO_MANY_FRAGMENTS",
    }


async def test_the_field_limits_are_settings(limited: Any) -> None:
    async with limited(graphql_max_repeats=400, graphql_max_fields=800) as client:
        at = await client.post("/graphql", json={"query": _repeated(400)})
    async with limited(graphql_max_repeats=399, graphql_max_fields=800) as client:
        repeats = await client.post("/graphql", json={"query": _repeated(400)})
    async with limited(graphql_max_repeats=400, graphql_max_fields=799) as client:
        fields = await client.post("/graphql", json={"query": _repeated(400)})
    async with limited(graphql_max_fragments=100) as client:
        fragments_at = await client.post("/graphql", json={"query": _many_fragments(100)})
    async with limited(graphql_max_fragments=99) as client:
        fragments = await client.post("/graphql", json={"query": _many_fragments(100)})

    assert at.status_code == fragments_at.status_code == 200
    assert "errors" not in at.json()
    assert "errors" not in fragments_at.json()
    assert (await _refusal(repeats))["code"] == "TOO_MANY_REPEATS"
    assert (await _refusal(fields))["code"] == "TOO_MANY_FIELDS"
    assert (await _refusal(fragments))["code"] == "TOO_MANY_FRAGMENTS"


def test_the_projects_largest_documents_are_within_the_field_limits() -> None:
    limits = DocumentLimits(12, 30, 20000, max_fields=1000, max_repeats=10, max_fragments=10)
    schema = default_schema()._schema
    documents = [
        scenarios.EVERYTHING,
        scenarios.PAGE,
        get_introspection_query(descriptions=True, input_value_deprecation=True, type_depth=9),
    ]
    assert [analyse(schema, parse(document), limits) for document in documents] == [[], [], []]


async def test_graphiqls_introspection_and_the_bench_documents_pass_over_http(
    client: httpx.AsyncClient,
) -> None:
    introspection = get_introspection_query(
        descriptions=True, input_value_deprecation=True, type_depth=9
    )
    answers = [
        await client.post("/graphql", json={"query": query, "variables": variables})
        for query, variables in (
            (introspection, None),
            (scenarios.EVERYTHING, {"id": "100001"}),
            (scenarios.PAGE, {"first": 100}),
        )
    ]

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert [answer.json().get("errors") for answer in answers] == [None, None, None]


async def test_a_component_tree_of_thirty_fragments_on_one_object_passes(
    client: httpx.AsyncClient,
) -> None:
    # A Relay client selects id (and here the parent's) in every fragment spread on the
    # same object: 30 repeats of each at one place, the default's room.
    fragments = " ".join(
        f"fragment F{i} on Organization {{ id name parentOrganization {{ id name }} }}"
        for i in range(30)
    )
    spreads = " ".join(f"...F{i}" for i in range(30))
    query = f'{{ organization(id: "100001") {{ {spreads} }} }} {fragments}'

    answer = await client.post("/graphql", json={"query": query})

    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["organization"]["id"]


# ---------------------------------------------------------------- variables


async def test_a_list_variable_of_1000_items_is_coerced_and_1001_refused(
    anonymous_client: httpx.AsyncClient,
) -> None:
    at = await anonymous_client.post(
        "/graphql", json={"query": NODES, "variables": {"i": ["1"] * 1000}}
    )
    over = await anonymous_client.post(
        "/graphql", json={"query": NODES, "variables": {"i": ["1"] * 1001}}
    )

    # Coerced: the resolver's own bound answers it.
    assert at.status_code == 200
    assert [e["extensions"].get("code") for e in at.json()["errors"]] != ["VARIABLES_TOO_LARGE"]
    assert await _refusal(over) == {
        "message": "variable $i holds 1001 items, more than the limit of 1000",
        "code": "VARIABLES_TOO_LARGE",
    }


async def test_a_list_of_500000_ids_is_refused_before_coercion(
    anonymous_client: httpx.AsyncClient,
) -> None:
    body = json.dumps({"query": NODES, "variables": {"i": [1] * 500_000}}, separators=(",", ":"))
    response = await anonymous_client.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )

    assert (await _refusal(response))["message"] == (
        "variable $i holds 500000 items, more than the limit of 1000"
    )


async def test_a_long_list_is_refused_without_a_walk_of_its_items(limited: Any) -> None:
    # Production hides schema names in graphql-core's messages by the names the variables
    # hold: it walked all 500,000 items of a refusal that has none to hide.
    body = json.dumps({"query": NODES, "variables": {"i": [1] * 500_000}}, separators=(",", ":"))
    async with limited(environment="production") as client:
        with python_calls_at_most(100_000):
            response = await client.post(
                "/graphql", content=body, headers={"Content-Type": "application/json"}
            )

    assert (await _refusal(response))["code"] == "VARIABLES_TOO_LARGE"


async def test_a_list_inside_an_input_object_is_bounded_and_named_by_its_path(
    client: httpx.AsyncClient,
) -> None:
    query = (
        "mutation($in: CreateOrganizationInput!) { createOrganization(input: $in)"
        " { userErrors { code } } }"
    )
    variables = {"in": {"name": "Big", "members": [str(i) for i in range(1001)]}}
    response = await client.post("/graphql", json={"query": query, "variables": variables})

    assert (await _refusal(response))["message"] == (
        "variable $in.members holds 1001 items, more than the limit of 1000"
    )


async def test_variables_over_get_are_bounded_alike(anonymous_client: httpx.AsyncClient) -> None:
    variables = json.dumps({"i": [1] * 1001}, separators=(",", ":"))
    response = await anonymous_client.get(
        "/graphql", params={"query": NODES, "variables": variables}
    )

    assert (await _refusal(response))["code"] == "VARIABLES_TOO_LARGE"


async def test_the_direct_path_refuses_a_long_list_before_coercing_it(
    client: httpx.AsyncClient,
) -> None:
    # The second request of a document a SQL plan answered skips the pipeline
    # (graphql.execution.direct), and coerces the variables there.
    query = 'query D($i: [ID!]) { organization(id: "100001") { id name } }'
    first = await client.post("/graphql", json={"query": query, "variables": {"i": ["1"]}})
    over = await client.post("/graphql", json={"query": query, "variables": {"i": ["1"] * 1001}})
    again = await client.post("/graphql", json={"query": query, "variables": {"i": ["1"] * 1000}})

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert (await _refusal(over))["message"] == (
        "variable $i holds 1001 items, more than the limit of 1000"
    )
