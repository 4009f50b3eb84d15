"""Global ids and cursors read back in every spelling of their bytes (graphql.base64_text):
padded or not, in the standard or the URL-safe base64 alphabet, as the Relay libraries'
``toGlobalId`` and clients that strip padding send them. The server's own spelling does not
change, and what is no such text is refused as before (100002)."""

from __future__ import annotations

import base64

import pytest

from graphql_client import GraphQL
from orgql.graphql import cursors
from orgql.graphql.global_ids import GlobalRef, decode, encode

NODE = "query($id: ID!) { node(id: $id) { __typename id ... on Site { repositoryId } } }"
PAGE = """query($after: String) { organizations(first: 2, after: $after) {
  edges { cursor node { repositoryId } } pageInfo { endCursor } } }"""


def relay_global_id(type_name: str, vendor_id: str) -> str:
    """graphql-relay's toGlobalId, graphene's to_global_id: standard base64, padded."""
    return base64.b64encode(f"{type_name}:{vendor_id}".encode()).decode("ascii")


def test_the_server_writes_unpadded_base64url() -> None:
    assert encode("Site", "a?~>") == "U2l0ZTphP34-"
    assert encode("Organization", "1") == "T3JnYW5pemF0aW9uOjE"


@pytest.mark.parametrize(
    ("type_name", "vendor_id"),
    [("Organization", "100001"), ("Organization", "1"), ("Site", "a?~>"), ("Site", "x?")],
)
def test_a_global_id_is_read_padded_and_in_the_standard_alphabet(
    type_name: str, vendor_id: str
) -> None:
    written = encode(type_name, vendor_id)
    spellings = {
        written,
        relay_global_id(type_name, vendor_id),
        relay_global_id(type_name, vendor_id).rstrip("="),
        base64.urlsafe_b64encode(f"{type_name}:{vendor_id}".encode()).decode("ascii"),
    }

    assert {value: decode(value) for value in spellings} == dict.fromkeys(
        spellings, GlobalRef(type_name, vendor_id)
    )


@pytest.mark.parametrize(
    "value",
    [
        "T3JnYW5pemF0aW9uOjEwMDAwMQ=",  # one "=" where two complete the group
        "T3JnYW5pemF0aW9uOjEwMDAwMQ===",
        encode("Organization", "10") + "==",  # padding after a full group
        "T3JnYW5pemF0aW9uOjEwMDAwMQ=A",
        "T3JnYW5pemF0aW9uOj.wMDAwMQ",
        "T3JnYW5pemF0aW9uOjEwMDAwMR==",  # other trailing bits
        relay_global_id("Organization", "x" * 128) + "==",  # too long
    ],
)
def test_another_text_is_no_global_id(value: str) -> None:
    assert decode(value) is None


async def test_node_answers_every_spelling_of_a_global_id_alike(graphql: GraphQL) -> None:
    written = encode("Site", "siteUS")
    answers = [
        await graphql.data(NODE, {"id": spelling})
        for spelling in (written, relay_global_id("Site", "siteUS"), written + "=")
    ]

    expected = {"node": {"__typename": "Site", "id": written, "repositoryId": "siteUS"}}
    assert answers == [expected] * 3


async def test_an_id_argument_takes_the_relay_spelling(graphql: GraphQL) -> None:
    query = "query($id: ID!) { organization(id: $id) { repositoryId } }"

    found = await graphql.data(query, {"id": relay_global_id("Organization", "100001")})

    assert found == {"organization": {"repositoryId": "100001"}}


@pytest.mark.parametrize(
    "value", ["T3JnYW5pemF0aW9uOjEwMDAwMQ=", "T3JnYW5pemF0aW9uOjEwMDAwMQ===", "T3Jn!!=="]
)
async def test_a_malformed_padded_global_id_is_a_coded_error(graphql: GraphQL, value: str) -> None:
    body = await graphql.post(NODE, {"id": value})

    [error] = body["errors"]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("100002", "id")


async def test_a_cursor_without_its_padding_continues_the_page(graphql: GraphQL) -> None:
    first = (await graphql.data(PAGE))["organizations"]
    cursor = first["pageInfo"]["endCursor"]
    assert cursor.endswith("=")  # the server's spelling, padded

    pages = [
        (await graphql.data(PAGE, {"after": after}))["organizations"]["edges"]
        for after in (cursor, cursor.rstrip("="))
    ]

    assert pages[0] == pages[1] != []


@pytest.mark.parametrize(
    "after",
    [
        cursors.organization_cursor("100001")[:-1],  # one "=" where two complete the group
        "b3Jn!OjEwMDAwMQ==",  # a character of no alphabet (once skipped, read as b3JnOjEw...)
        # Well formed, but longer than MAX_CURSOR_LENGTH ("b3JnOjEwMDAwMQ" * 40 was not
        # UTF-8 once decoded: refused with or without the bound).
        cursors.encode("org", "1" * 400),
    ],
)
async def test_a_malformed_cursor_is_a_coded_error(graphql: GraphQL, after: str) -> None:
    body = await graphql.post(PAGE, {"after": after})

    [error] = body["errors"]
    assert error["extensions"] == {"code": "100002", "field": "after"}
