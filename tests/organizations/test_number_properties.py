"""A `number` dynamic property round-trips: what GET and GraphQL answer can be PUT back
unchanged and stores the same value, and the PUT's own answer is what later reads show.
PostgreSQL's JSONB keeps a number as a numeric (a float written with an exponent, 1e+20,
comes back as the integer 100000000000000000000, and -0.0 as 0.0), so a number is held to a
64-bit integer's range and a float is taken as the column gives it back."""

from __future__ import annotations

import json
import math

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from graphql_client import GraphQL
from orgql.db import models
from orgql.db.engine import make_sessionmaker
from rest.builders import ORGANIZATIONS

ORGANIZATION = f"{ORGANIZATIONS}/100003"
JSON_HEADERS = {"content-type": "application/json"}
DYNAMIC = "query($id: ID!) { organization(id: $id) { dynamicProperties } }"


@pytest.fixture
async def number_property(engine: AsyncEngine) -> str:
    async with make_sessionmaker(engine)() as session, session.begin():
        session.add(models.DynamicPropertyDefinition(id="numProp", data_type="number"))
    return "numProp"


async def _put(client: httpx.AsyncClient, number: str) -> httpx.Response:
    """PUT the number as written (not as Python would write it again)."""
    return await client.put(
        ORGANIZATION, content=f'{{"numProp": {number}}}'.encode(), headers=JSON_HEADERS
    )


@pytest.mark.usefixtures("number_property")
@pytest.mark.parametrize(
    ("sent", "read"),
    [
        ("1e18", 10**18),
        ("1e16", 10**16),
        ("-1.5e17", -150000000000000000),
        ("9999999999999998.0", 9999999999999998.0),
        ("-0.0", 0.0),
        ("1.5", 1.5),
        ("0.1", 0.1),
        ("1e-05", 1e-05),
        ("5e-324", 5e-324),
        ("12.0", 12.0),
        ("9223372036854775807", 2**63 - 1),
        ("-9223372036854775808", -(2**63)),
        ("-9.223372036854775808e18", -(2**63)),
    ],
)
async def test_a_number_reads_back_as_answered_and_writes_back_unchanged(
    client: httpx.AsyncClient, graphql: GraphQL, sent: str, read: float
) -> None:
    answered = await _put(client, sent)
    assert answered.status_code == 200, answered.text
    got = (await client.get(ORGANIZATION)).json()["numProp"]
    data = await graphql.data(DYNAMIC, {"id": "100003"})
    graphql_value = data["organization"]["dynamicProperties"]["numProp"]

    for value in (answered.json()["numProp"], got, graphql_value):
        assert (type(value), value) == (type(read), read)
        assert math.copysign(1, value) == math.copysign(1, read)  # no -0.0
    again = await _put(client, json.dumps(got))
    assert again.status_code == 200, again.text
    assert (await client.get(ORGANIZATION)).json()["numProp"] == got


@pytest.mark.usefixtures("number_property")
@pytest.mark.parametrize(
    "sent", ["1e20", "1e308", "-1e19", "9.3e18", "9223372036854775808", "100000000000000000000"]
)
async def test_a_number_past_a_64_bit_integer_is_refused(
    client: httpx.AsyncClient, sent: str
) -> None:
    """1e20 was accepted, then read back as 100000000000000000000, which PUT refused."""
    before = (await client.get(ORGANIZATION)).json().get("numProp")

    refused = await _put(client, sent)

    assert refused.status_code == 400, refused.text
    assert (refused.json()["errorCode"], refused.json()["o:errorPath"]) == ("100002", "numProp")
    assert refused.json()["message"] == (
        "numProp must be a number from -9223372036854775808 to 9223372036854775807"
    )
    assert (await client.get(ORGANIZATION)).json().get("numProp") == before


@pytest.mark.usefixtures("number_property")
async def test_graphql_refuses_a_number_past_a_64_bit_integer(graphql: GraphQL) -> None:
    update = """
    mutation($id: ID!, $input: UpdateOrganizationInput!) {
      updateOrganization(id: $id, input: $input) { userErrors { code field } }
    }"""
    data = await graphql.data(
        update, {"id": "100003", "input": {"dynamicProperties": {"numProp": 1e20}}}
    )

    assert data["updateOrganization"]["userErrors"] == [{"code": "100002", "field": "numProp"}]


UPDATE = """
mutation($id: ID!, $input: UpdateOrganizationInput!) {
  updateOrganization(id: $id, input: $input) {
    organization { version dynamicProperties } userErrors { code field }
  }
}"""


@pytest.mark.usefixtures("number_property")
@pytest.mark.parametrize(("stored", "sent"), [("7", "7.0"), ("0", "-0.0"), ("7.0", "7")])
async def test_an_equal_number_answers_what_is_stored(
    client: httpx.AsyncClient, graphql: GraphQL, stored: str, sent: str
) -> None:
    """A number equal to the stored one changes nothing (JSONB compares numbers by value): the
    write's answer is the stored number, as GET and GraphQL read it, at the same version."""
    assert (await _put(client, stored)).status_code == 200
    before = await client.get(ORGANIZATION)
    kept = json.loads(stored)

    answered = await _put(client, sent)
    mutated = await graphql.data(
        UPDATE, {"id": "100003", "input": {"dynamicProperties": {"numProp": json.loads(sent)}}}
    )
    got = await client.get(ORGANIZATION)
    read = await graphql.data(DYNAMIC, {"id": "100003"})

    assert answered.status_code == 200, answered.text
    payload = mutated["updateOrganization"]
    assert payload["userErrors"] == []
    values = [
        answered.json()["numProp"],
        payload["organization"]["dynamicProperties"]["numProp"],
        got.json()["numProp"],
        read["organization"]["dynamicProperties"]["numProp"],
    ]
    assert [(type(value), value) for value in values] == [(type(kept), kept)] * 4
    version = before.headers["ETag"]
    assert [answered.headers["ETag"], got.headers["ETag"]] == [version] * 2
    assert f'"{payload["organization"]["version"]}"' == version
