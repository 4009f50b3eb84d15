"""A site that does not exist is the caller's error on queries too, never a silent null."""

from __future__ import annotations

from graphql_client import GraphQL

DERIVED_CONTRACT = """
query Contract($site: ID) {
  organization(id: "100003") { derivedContract(site: $site) { displayName } }
}
"""


async def test_unknown_site_argument_is_an_error_with_code_100002(graphql: GraphQL) -> None:
    body = await graphql.post(DERIVED_CONTRACT, {"site": "noSuchSite"})

    assert body["data"] == {"organization": {"derivedContract": None}}
    [error] = body["errors"]
    assert error["message"] == "Site 'noSuchSite' does not exist"
    assert error["extensions"] == {"code": "100002", "field": "site"}


async def test_unknown_x_ccsite_header_is_an_error_naming_the_header(graphql: GraphQL) -> None:
    body = await graphql.post(DERIVED_CONTRACT, headers={"x-ccsite": "noSuchSite"})

    [error] = body["errors"]
    assert error["extensions"] == {"code": "100002", "field": "x-ccsite"}


async def test_known_site_header_selects_that_site(graphql: GraphQL) -> None:
    body = await graphql.post(DERIVED_CONTRACT, headers={"x-ccsite": "site2"})

    assert body == {"data": {"organization": {"derivedContract": None}}}
