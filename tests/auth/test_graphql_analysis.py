"""No document can stall the gateway: fragment cycles and doubling spreads are refused after
work linear in the document's size, every list is costed by its bound, introspection by its
answer, and production names nothing the caller did not write."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLObjectType,
    Node,
    get_introspection_query,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
)

from orgql.core.organizations.service import MAX_HIERARCHY_DEPTH
from orgql.graphql.list_bounds import LIST_BOUNDS, USER_ERRORS_BOUND
from orgql.graphql.schema import default_schema

#: The ``limited`` fixture (tests/auth/conftest.py).
Limited = Callable[..., Any]


class TooMuchWork(Exception):
    pass


@contextmanager
def python_calls_at_most(budget: int) -> Iterator[None]:
    """Fails the request (instead of hanging the test) once it has made ``budget`` Python
    function calls: the work is bounded whatever the machine's speed."""
    calls = 0

    def count(frame: FrameType, event: str, arg: object) -> None:
        nonlocal calls
        if event == "call":
            calls += 1
            if calls > budget:
                sys.setprofile(None)
                raise TooMuchWork(f"more than {budget} calls")

    sys.setprofile(count)
    try:
        yield
    finally:
        sys.setprofile(None)


#: An HTTP request through the app, refused: tens of thousands of calls. The attacks below
#: took 2^20 to 2^64 steps before.
BUDGET = 200_000

CYCLE = "{ ...A } fragment A on Query { ...A ...A }"
DOUBLING = (
    "{ ...F0 } "
    + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(19))
    + " fragment F19 on Query { sites { id } }"
)


async def _refused(client: httpx.AsyncClient, query: str) -> tuple[int, list[Any]]:
    with python_calls_at_most(BUDGET):
        response = await client.post("/graphql", json={"query": query})
    errors = response.json()["errors"]
    return response.status_code, [e.get("extensions", {}).get("code") for e in errors]


async def test_a_fragment_cycle_is_refused_before_any_rule_walks_it(limited: Limited) -> None:
    async with limited(environment="production") as client:
        refused = await _refused(client, CYCLE)

    assert refused == (400, ["FRAGMENT_CYCLE"])


async def test_a_longer_cycle_names_the_fragments_on_it(limited: Limited) -> None:
    query = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...C } " + (
        "fragment C on Query { ...B sites { id } }"
    )
    async with limited() as client:
        response = await client.post("/graphql", json={"query": query})

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["message"] == "Cannot spread fragment 'B' within itself via 'C'."


async def test_fragments_spreading_the_next_twice_are_costed_once_each(limited: Limited) -> None:
    async with limited(environment="production") as client:
        refused = await _refused(client, DOUBLING)

    assert refused == (400, ["QUERY_TOO_COSTLY"])


async def test_fragments_each_spread_many_times_are_validated_with_bounded_work(
    limited: Limited,
) -> None:
    # Allowed (cheap), yet every fragment is spread by every later one: 2,048 __typename
    # once expanded, past the default field limits, raised here.
    fragments = " ".join(
        f"fragment F{i} on Query {{ {' '.join(f'...F{j}' for j in range(i + 1, 12))} __typename }}"
        for i in range(12)
    )
    raised = {"graphql_max_fields": 4096, "graphql_max_repeats": 4096}
    async with limited(graphql_max_cost=10**6, **raised) as client:
        with python_calls_at_most(BUDGET * 5):
            response = await client.post("/graphql", json={"query": "{ ...F0 } " + fragments})

    assert response.json() == {"data": {"__typename": "Query"}}


async def test_nested_lists_without_first_are_costed_by_their_bound(limited: Limited) -> None:
    def nested(levels: int) -> str:
        inner = "id"
        for _ in range(levels):
            inner = f"ancestorOrganizations {{ {inner} }}"
        return f'{{ organization(id: "100003") {{ {inner} }} }}'

    bound = MAX_HIERARCHY_DEPTH - 1
    async with limited() as client:
        refused = await client.post("/graphql", json={"query": nested(6)})
        three = await client.post("/graphql", json={"query": nested(3)})
        two = await client.post("/graphql", json={"query": nested(2)})

    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert three.json()["errors"][0]["extensions"] == {
        "code": "QUERY_TOO_COSTLY",
        "cost": 1 + 1 + bound * (1 + bound * (1 + bound)),
    }
    assert "errors" not in two.json()


async def test_a_first_variable_is_costed_by_its_value(limited: Limited) -> None:
    # organizations (1) + first * (edges 1 + node 1 + id 1), as with a literal first.
    query = "query Q($n: Int) { organizations(first: $n) { edges { node { id } } } }"
    async with limited(graphql_max_cost=31) as client:
        answers = [
            await client.post("/graphql", json={"query": query, "variables": variables})
            for variables in ({"n": 10}, {"n": 11}, {}, {"n": None}, {"n": "x"})
        ]

    assert "errors" not in answers[0].json()
    costs = [answer.json()["errors"][0]["extensions"].get("cost") for answer in answers[1:4]]
    assert costs == [34, 61, 61]  # 11; left out or null: the default page of 20
    assert answers[4].json()["errors"][0]["extensions"]["cost"] == 301  # not a number: 100


@pytest.mark.parametrize("other_default", ["= 1", ""], ids=["small-default", "no-default"])
async def test_another_operation_s_default_does_not_cheapen_the_one_that_runs(
    limited: Limited, other_default: str
) -> None:
    """Found by review: defaults were gathered from every operation, the last one winning."""
    runs = "query A($n: Int = 100) { organizations(first: $n) { edges { node { id name } } } }"
    other = f"query B($n: Int {other_default}) {{ organizations(first: $n) {{ totalCount }} }}"
    async with limited(graphql_max_cost=100) as client:
        alone = await client.post("/graphql", json={"query": runs})
        beside = await client.post(
            "/graphql", json={"query": f"{runs} {other}", "operationName": "A"}
        )

    for answer in (alone, beside):
        assert answer.status_code == 400
        assert answer.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"


def test_every_list_field_with_a_selection_has_a_bound_or_a_first() -> None:
    unbounded = []
    for type_ in default_schema()._schema.type_map.values():
        if type_.name.startswith("__") or not isinstance(
            type_, GraphQLObjectType | GraphQLInterfaceType
        ):
            continue
        for name, field in type_.fields.items():
            is_list = isinstance(get_nullable_type(field.type), GraphQLList)
            if not is_list or is_leaf_type(get_named_type(field.type)) or "first" in field.args:
                continue
            if (type_.name, name) not in LIST_BOUNDS and name != "userErrors":
                unbounded.append(f"{type_.name}.{name}")

    assert unbounded == []
    assert USER_ERRORS_BOUND > 0


INTROSPECTION_ALIASES = (
    "{ "
    + " ".join(f"a{i}: __schema {{ types {{ ...T }} }}" for i in range(30))
    + " } fragment T on __Type { name fields { name args { name type { ...R } } type { ...R } } }"
    " fragment R on __Type { name ofType { name ofType { name } } }"
)


async def test_introspection_is_costed_by_the_fields_it_answers(limited: Limited) -> None:
    types = default_schema()._schema.type_map.values()
    fields = sum(
        len(t.fields) for t in types if isinstance(t, GraphQLObjectType | GraphQLInterfaceType)
    )
    # __schema and types 1 each; per type: name and fields 1 each; a name per field.
    expected = 2 + 2 * len(types) + fields
    query = "{ __schema { types { name fields { name } } } }"
    async with limited(graphql_max_cost=expected - 1) as client:
        over = await client.post("/graphql", json={"query": query})
    async with limited(graphql_max_cost=expected) as client:
        at = await client.post("/graphql", json={"query": query})
        aliases = await _refused(client, INTROSPECTION_ALIASES)

    assert over.json()["errors"][0]["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": expected}
    assert "errors" not in at.json()
    assert aliases == (400, ["QUERY_TOO_COSTLY"])


async def test_a_long_chain_of_introspection_fragments_is_refused_not_crashed(
    limited: Limited,
) -> None:
    chain = " ".join(f"fragment F{i} on __Type {{ ...F{i + 1} }}" for i in range(200))
    query = "{ __schema { queryType { ...F0 } } } " + chain + " fragment F200 on __Type { name }"
    async with limited() as client:
        refused = await _refused(client, query)

    assert refused == (400, ["QUERY_TOO_COSTLY"])


async def test_graphiqls_introspection_query_is_allowed_by_the_default_limits(
    limited: Limited,
) -> None:
    # GraphiQL 3.8 bundles graphql-js 16.9, whose query nests ofType 9 levels (depth 14).
    query = get_introspection_query(descriptions=True, input_value_deprecation=True, type_depth=9)
    async with limited() as client:
        response = await client.post("/graphql", json={"query": query})

    assert response.status_code == 200
    assert "errors" not in response.json()
    assert response.json()["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_introspection_is_bounded_by_its_cost_not_its_depth(limited: Limited) -> None:
    query = "{ __schema { types { fields { type { ofType { ofType { name } } } } } } }"
    async with limited(graphql_max_depth=2) as client:
        shallow_limit = await client.post("/graphql", json={"query": query})
    async with limited(graphql_max_depth=2, graphql_max_cost=100) as client:
        cheap_limit = await client.post("/graphql", json={"query": query})

    assert "errors" not in shallow_limit.json()
    assert cheap_limit.status_code == 400
    assert cheap_limit.json()["errors"][0]["extensions"] == {"code": "QUERY_TOO_COSTLY"}


async def test_depth_still_counts_a_data_field_beside_introspection(limited: Limited) -> None:
    query = (
        '{ __schema { queryType { name } } organization(id: "100003")'
        " { parentOrganization { parentOrganization { id } } } }"
    )
    async with limited(graphql_max_depth=2) as client:
        over = await client.post("/graphql", json={"query": query})

    assert over.json()["errors"][0]["extensions"] == {"code": "QUERY_TOO_DEEP"}


# ---------------------------------------------------------------- no suggestions in production

NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")

PROBES: list[tuple[str, dict[str, Any] | None]] = [
    ("{ organizaton(id: 1) { id } }", None),  # field
    ('{ organization(idd: "1") { id } }', None),  # argument
    ("{ organization { id } }", None),  # required argument
    ("{ organization(id: 1) }", None),  # leaf selection
    ('{ organizations(filtr: {nameContains: "a"}) { totalCount } }', None),
    ('{ organizations(filter: {nameContain: "a"}) { totalCount } }', None),  # input field
    ("{ organizations(filter: 1) { totalCount } }", None),  # input type
    ("{ organizationRequests(status: REVIEWW) { totalCount } }", None),  # enum value
    (
        "query Q($s: OrganizationRequestStatu) { organizationRequests(status: $s) { totalCount } }",
        None,
    ),
    ("query Q($s: Int) { organizationRequests(status: $s) { totalCount } }", None),
    (
        "query Q($s: OrganizationRequestStatus)"
        " { organizationRequests(status: $s) { totalCount } }",
        {"s": "REVIEWW"},
    ),
    (
        "query Q($f: OrganizationFilter) { organizations(filter: $f) { totalCount } }",
        {"f": {"nameContain": "a"}},
    ),
    (
        "mutation M($i: CreateOrganizationInput!)"
        " { createOrganization(input: $i) { userErrors { code } } }",
        {"i": {}},
    ),
    ("{ sites { id ... on Organizaton { id } } }", None),  # type
]


@pytest.mark.parametrize(("query", "variables"), PROBES)
async def test_production_names_nothing_the_request_did_not(
    limited: Limited, query: str, variables: dict[str, Any] | None
) -> None:
    async with limited(environment="production") as client:
        response = await client.post("/graphql", json={"query": query, "variables": variables})

    written = set(NAME.findall(query + repr(variables)))
    messages = [error["message"] for error in response.json()["errors"]]
    assert messages
    for message in messages:
        assert "Did you mean" not in message
        for quoted in message.split("'")[1::2]:
            assert set(NAME.findall(quoted)) <= written, message


async def test_production_confirms_no_name_guessed_in_a_variable_value(limited: Limited) -> None:
    """Found by review: names were taken from every variable value (and comments), so one
    variable full of guesses had production confirm the schema's names in bulk."""
    guesses = {"guess": "Foo OrganizationConnection Bar"}
    async with limited(environment="production") as client:
        plain = await client.post("/graphql", json={"query": "{ organizations }"})
        guessed = await client.post(
            "/graphql",
            json={"query": "{ organizations } # OrganizationConnection", "variables": guesses},
        )

    assert "OrganizationConnection" not in plain.text
    assert "OrganizationConnection" not in guessed.text
    assert guessed.json()["errors"][0]["message"] == plain.json()["errors"][0]["message"]


async def test_production_answers_the_real_error_beside_deep_variables(limited: Limited) -> None:
    """Found by review: the names of the variables were read by serialising them, which
    fails past 254 levels; the answer became the serialiser's error."""
    deep: Any = []
    for _ in range(300):
        deep = [deep]
    async with limited(environment="production") as client:
        response = await client.post(
            "/graphql", json={"query": "{ nope }", "variables": {"x": deep}}
        )

    message = response.json()["errors"][0]["message"]
    assert "Recursion" not in message
    assert message.startswith("Cannot query field 'nope'")


async def test_a_repeated_document_is_checked_without_walking_its_tree_again(
    limited: Limited,
) -> None:
    # graphql-core's nodes hash by value (a walk of the whole tree): the checks' caches look
    # the parsed document up by identity, so an identical request hashes no node at all.
    query = "{ " + " ".join(f"s{i}: sites {{ id name }}" for i in range(20)) + " }"
    hashed: list[str] = []

    def count(frame: FrameType, event: str, arg: object) -> None:
        node = frame.f_locals.get("self") if event == "call" else None
        if frame.f_code.co_name == "__hash__" and isinstance(node, Node):
            hashed.append(type(node).__name__)

    async with limited(graphql_max_aliases=50) as client:
        first = await client.post("/graphql", json={"query": query})
        sys.setprofile(count)
        try:
            again = await client.post("/graphql", json={"query": query})
        finally:
            sys.setprofile(None)

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert "errors" not in again.json()
    assert hashed == []
