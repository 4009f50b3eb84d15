"""An address's nickname (``addressType``) is unique within its organization or profile and
seen whole (core.common.characters): ``Office\u200b`` would sit beside Office. Adding or
renaming an address to such a nickname, or creating an organization with one, is refused
(100002 at its path, 400), REST and GraphQL alike; an address stored before the rule takes
every other change, with its nickname left out or sent back as it is."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from profile_address_support import ADD as ADD_TO_PROFILE
from profile_address_support import UPDATE as UPDATE_PROFILE_ADDRESS
from profile_address_support import contact, new_address, profile_id_of
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from graphql_client import SAMPLE_ADDRESS_LINES, GraphQL, address_input

ORGANIZATIONS = "/ccadmin/v1/organizations"
ADDRESSES = f"{ORGANIZATIONS}/100002/secondaryAddresses"
UNSEEN = "Office\u200b"

ADD = """mutation($input: OrganizationAddressInput!) {
  addOrganizationAddress(organizationId: "100002", input: $input) {
    address { addressType address { city } } userErrors { code field } } }"""
UPDATE = """mutation($id: ID!, $input: OrganizationAddressInput!) {
  updateOrganizationAddress(organizationId: "100002", addressId: $id, input: $input) {
    address { addressType address { city } } userErrors { code field } } }"""
CREATE = """mutation($input: CreateOrganizationInput!) {
  createOrganization(input: $input) { organization { name } userErrors { code field } } }"""


def office(nickname: str = "Office", **lines: Any) -> dict[str, Any]:
    return {"addressType": nickname, "address": {**SAMPLE_ADDRESS_LINES, **lines}}


def _refusal(response: httpx.Response) -> tuple[int, str, str | None]:
    body = response.json()
    return response.status_code, body["errorCode"], body.get("o:errorPath")


async def _added(client: httpx.AsyncClient, nickname: str = "Office") -> str:
    response = await client.post(ADDRESSES, json=office(nickname))
    assert response.status_code == 201, response.text
    address_id: str = response.json()["repositoryId"]
    return address_id


async def test_rest_add_update_and_create_refuse_the_nickname(client: httpx.AsyncClient) -> None:
    address_id = await _added(client)

    added = await client.post(ADDRESSES, json=office(UNSEEN))
    renamed = await client.put(f"{ADDRESSES}/{address_id}", json={"addressType": UNSEEN})
    created = await client.post(
        ORGANIZATIONS, json={"name": "Acme", "secondaryAddresses": [office(UNSEEN)]}
    )

    assert [_refusal(added), _refusal(renamed), _refusal(created)] == [
        (400, "100002", "addressType"),
        (400, "100002", "addressType"),
        (400, "100002", "secondaryAddresses[0].addressType"),
    ]
    assert (await client.get(f"{ADDRESSES}/{address_id}")).json()["addressType"] == "Office"


async def test_graphql_add_update_and_create_refuse_the_nickname(
    client: httpx.AsyncClient, graphql: GraphQL
) -> None:
    address_id = await _added(client)

    added = await graphql.data(ADD, {"input": office("\u202eOffice")})
    renamed = await graphql.data(UPDATE, {"id": address_id, "input": {"addressType": UNSEEN}})
    created = await graphql.data(
        CREATE, {"input": {"name": "Acme", "secondaryAddresses": [address_input(UNSEEN)]}}
    )

    assert [
        added["addOrganizationAddress"],
        renamed["updateOrganizationAddress"],
        created["createOrganization"],
    ] == [
        {"address": None, "userErrors": [{"code": "100002", "field": "addressType"}]},
        {"address": None, "userErrors": [{"code": "100002", "field": "addressType"}]},
        {
            "organization": None,
            "userErrors": [{"code": "100002", "field": "secondaryAddresses[0].addressType"}],
        },
    ]


async def test_graphql_profile_address_add_and_update_refuse_the_nickname(
    client: httpx.AsyncClient, graphql: GraphQL
) -> None:
    profile = profile_id_of(await contact(client, "ada@example.com"))
    home = (await graphql.data(ADD_TO_PROFILE, {"profile": profile, "input": new_address()}))[
        "addProfileAddress"
    ]["address"]["repositoryId"]

    added = await graphql.data(ADD_TO_PROFILE, {"profile": profile, "input": new_address(UNSEEN)})
    renamed = await graphql.data(
        UPDATE_PROFILE_ADDRESS, {"id": home, "input": {"addressType": "Home\ufeff"}}
    )

    refused = {"address": None, "userErrors": [{"code": "100002", "field": "addressType"}]}
    assert (added["addProfileAddress"], renamed["updateProfileAddress"]) == (refused, refused)


LEGACY = "Legacy\u200b office"


@pytest.fixture
async def legacy_address(client: httpx.AsyncClient, engine: AsyncEngine) -> str:
    """An address of Sample East whose nickname an older orgql stored; its id."""
    address_id = await _added(client)
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE addresses SET address_type = :nickname WHERE id = :id"),
            {"nickname": LEGACY, "id": address_id},
        )
    return address_id


async def test_a_rest_update_sending_the_legacy_nickname_back_unchanged_is_taken(
    client: httpx.AsyncClient, legacy_address: str
) -> None:
    response = await client.put(
        f"{ADDRESSES}/{legacy_address}", json={"addressType": LEGACY, "address": {"city": "Mobile"}}
    )

    assert response.status_code == 200, response.text
    assert (response.json()["addressType"], response.json()["address"]["city"]) == (
        LEGACY,
        "Mobile",
    )


@pytest.mark.parametrize(
    "given",
    [{"address": {"city": "Mobile"}}, {"addressType": LEGACY, "address": {"city": "Mobile"}}],
    ids=["nickname left out", "nickname sent back unchanged"],
)
async def test_a_graphql_update_keeping_the_legacy_nickname_is_taken(
    graphql: GraphQL, legacy_address: str, given: dict[str, Any]
) -> None:
    answer = await graphql.data(UPDATE, {"id": legacy_address, "input": given})

    assert answer["updateOrganizationAddress"] == {
        "address": {"addressType": LEGACY, "address": {"city": "Mobile"}},
        "userErrors": [],
    }


async def test_a_legacy_profile_address_nickname_sent_back_unchanged_is_taken(
    client: httpx.AsyncClient, graphql: GraphQL, engine: AsyncEngine
) -> None:
    profile = profile_id_of(await contact(client, "ada@example.com"))
    added = await graphql.data(ADD_TO_PROFILE, {"profile": profile, "input": new_address()})
    home = added["addProfileAddress"]["address"]["repositoryId"]
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE addresses SET address_type = :nickname WHERE id = :id"),
            {"nickname": LEGACY, "id": home},
        )

    answer = await graphql.data(
        UPDATE_PROFILE_ADDRESS,
        {"id": home, "input": {"addressType": LEGACY, "address": {"city": "Peoria"}}},
    )

    assert answer["updateProfileAddress"]["userErrors"] == []
    assert answer["updateProfileAddress"]["address"]["addressType"] == LEGACY


MARKED = "\u20ddOffice"


async def test_a_nickname_starting_with_a_mark_is_refused_everywhere(
    client: httpx.AsyncClient, graphql: GraphQL
) -> None:
    address_id = await _added(client)
    profile = profile_id_of(await contact(client, "ada@example.com"))

    added = await client.post(ADDRESSES, json=office(MARKED))
    renamed = await graphql.data(UPDATE, {"id": address_id, "input": {"addressType": "\u0301"}})
    created = await client.post(
        ORGANIZATIONS, json={"name": "Acme", "secondaryAddresses": [office(MARKED)]}
    )
    to_profile = await graphql.data(
        ADD_TO_PROFILE, {"profile": profile, "input": new_address(MARKED)}
    )

    assert [_refusal(added), _refusal(created)] == [
        (400, "100002", "addressType"),
        (400, "100002", "secondaryAddresses[0].addressType"),
    ]
    assert "addressType starts with a combining mark (U+20DD)" in added.json()["message"]
    refused = {"address": None, "userErrors": [{"code": "100002", "field": "addressType"}]}
    assert (renamed["updateOrganizationAddress"], to_profile["addProfileAddress"]) == (
        refused,
        refused,
    )


async def test_a_legacy_nickname_starting_with_a_mark_sent_back_unchanged_is_taken(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    address_id = await _added(client)
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE addresses SET address_type = :nickname WHERE id = :id"),
            {"nickname": MARKED, "id": address_id},
        )

    response = await client.put(
        f"{ADDRESSES}/{address_id}", json={"addressType": MARKED, "address": {"city": "Mobile"}}
    )

    assert response.status_code == 200, response.text
    assert response.json()["addressType"] == MARKED


async def test_a_legacy_nickname_given_to_another_address_is_told_both_problems(
    client: httpx.AsyncClient, graphql: GraphQL, engine: AsyncEngine
) -> None:
    # One rule for an organization's addresses and a profile's (core.addresses.nicknames):
    # the nickname is refused for its character and as taken, both told, on either owner.
    profile = profile_id_of(await contact(client, "ada@example.com"))
    home = (await graphql.data(ADD_TO_PROFILE, {"profile": profile, "input": new_address()}))[
        "addProfileAddress"
    ]["address"]["repositoryId"]
    office_id = await _added(client)
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE addresses SET address_type = :nickname WHERE id IN (:home, :office)"),
            {"nickname": LEGACY, "home": home, "office": office_id},
        )

    to_profile = await graphql.data(
        ADD_TO_PROFILE, {"profile": profile, "input": new_address(LEGACY)}
    )
    to_organization = await client.post(ADDRESSES, json=office(LEGACY))

    both = [("100002", "addressType"), ("100002", "addressType")]
    errors = to_profile["addProfileAddress"]["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == both
    assert [(e["errorCode"], e["o:errorPath"]) for e in to_organization.json()["errors"]] == both
    assert [e["message"] for e in to_organization.json()["errors"]] == [
        "addressType holds an invisible or control character (U+200B)",
        f"the organization has an address with addressType {LEGACY!r} already",
    ]
