"""A profile's own addresses over GraphQL: the merchant admin manages any profile's, a
shopper their own while they hold profileAddressManager in an active account; a refusal
changes nothing."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from profile_address_support import (
    ADD,
    ADD_MINE,
    DELETE,
    DELETE_MINE,
    PROFILE_ADDRESSES,
    SAMPLE,
    UPDATE,
    UPDATE_MINE,
    address_rows,
    contact,
    history_count,
    new_address,
    profile_events,
    profile_id_of,
    run,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from orgql.graphql.global_ids import encode

Shopper = Callable[[str], httpx.AsyncClient]
MANAGER = "profileAddressManager"


async def test_the_admin_adds_reads_updates_and_deletes_a_profiles_address(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    profile = await contact(client, "ann@example.com")

    added = await run(client, ADD, profile=profile, input=new_address())
    address = added["data"]["addProfileAddress"]["address"]
    address_id = address["repositoryId"]
    updated = await run(
        client, UPDATE, id=address_id, input={"address": {"city": "Peoria", "address2": "Apt 2"}}
    )
    read = await run(client, PROFILE_ADDRESSES, id=profile_id_of(profile))
    deleted = await run(client, DELETE, id=address_id)

    assert added["data"]["addProfileAddress"]["userErrors"] == []
    assert address == {
        "repositoryId": address_id,
        "profileId": profile,
        "addressType": "Home",
        "address": {"city": "Springfield", "address2": None},
    }
    assert updated["data"]["updateProfileAddress"] == {
        "address": {
            "repositoryId": address_id,
            "profileId": profile,
            "addressType": "Home",
            "address": {"city": "Peoria", "address2": "Apt 2"},
        },
        "userErrors": [],
    }
    assert read["data"]["node"] == {
        "repositoryId": profile,
        "addresses": [{"addressType": "Home", "address": {"city": "Peoria"}}],
    }
    assert deleted["data"]["deleteProfileAddress"] == {
        "deletedAddressId": address_id,
        "userErrors": [],
    }
    assert await address_rows(engine, profile) == []
    assert await profile_events(engine) == [
        (
            "profile.address.created",
            SAMPLE,
            {
                "profileId": profile,
                "addressId": address_id,
                "changed": [
                    "address1",
                    "addressType",
                    "city",
                    "companyName",
                    "country",
                    "phoneNumber",
                    "postalCode",
                    "state",
                ],
            },
        ),
        (
            "profile.address.updated",
            SAMPLE,
            {
                "profileId": profile,
                "addressId": address_id,
                "changed": ["address2", "city"],
            },
        ),
        (
            "profile.address.deleted",
            SAMPLE,
            {"profileId": profile, "addressId": address_id},
        ),
    ]


async def test_an_update_that_changes_nothing_emits_nothing(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    profile = await contact(client, "same@example.com")
    added = await run(client, ADD, profile=profile, input=new_address())
    address_id = added["data"]["addProfileAddress"]["address"]["repositoryId"]

    again = await run(client, UPDATE, id=address_id, input={"address": {"city": "Springfield"}})

    assert again["data"]["updateProfileAddress"]["userErrors"] == []
    assert [kind for kind, _, _ in await profile_events(engine)] == ["profile.address.created"]


async def test_a_shopper_with_the_role_manages_their_own_addresses(
    client: httpx.AsyncClient, shopper_client: Shopper, engine: AsyncEngine
) -> None:
    profile = await contact(client, "manager@example.com", MANAGER)

    async with shopper_client(profile) as shopper:
        added = await run(shopper, ADD_MINE, input=new_address("Cabin"))
        address_id = added["data"]["addMyAddress"]["address"]["repositoryId"]
        updated = await run(shopper, UPDATE_MINE, id=address_id, input={"addressType": "Lodge"})
        read = await run(shopper, PROFILE_ADDRESSES, id=profile_id_of(profile))
        deleted = await run(shopper, DELETE_MINE, id=address_id)

    assert added["data"]["addMyAddress"]["address"]["profileId"] == profile
    assert updated["data"]["updateMyAddress"]["address"]["addressType"] == "Lodge"
    assert read["data"]["node"]["addresses"] == [
        {"addressType": "Lodge", "address": {"city": "Springfield"}}
    ]
    assert deleted["data"]["deleteMyAddress"] == {"deletedAddressId": address_id, "userErrors": []}
    assert [kind for kind, _, _ in await profile_events(engine)] == [
        "profile.address.created",
        "profile.address.updated",
        "profile.address.deleted",
    ]


async def test_a_shopper_reads_only_their_own_addresses(
    client: httpx.AsyncClient, shopper_client: Shopper
) -> None:
    mine = await contact(client, "mine@example.com", MANAGER)
    theirs = await contact(client, "theirs@example.com", MANAGER)
    added = await run(client, ADD, profile=theirs, input=new_address())
    their_address = added["data"]["addProfileAddress"]["address"]["repositoryId"]

    async with shopper_client(mine) as shopper:
        profile = await run(shopper, PROFILE_ADDRESSES, id=profile_id_of(theirs))
        node = await run(
            shopper,
            "query N($id: ID!) { node(id: $id) { id } }",
            id=encode("ProfileAddress", their_address),
        )
    async with shopper_client(theirs) as owner:
        own_node = await run(
            owner,
            "query N($id: ID!) { node(id: $id) { ... on ProfileAddress { addressType } } }",
            id=encode("ProfileAddress", their_address),
        )

    # A colleague of one account reads the profile, not its addresses.
    assert profile["data"]["node"] == {"repositoryId": theirs, "addresses": None}
    assert node == {"data": {"node": None}}
    assert own_node == {"data": {"node": {"addressType": "Home"}}}


async def assert_refused_and_unchanged(
    shopper: httpx.AsyncClient, engine: AsyncEngine, profile: str, address_id: str
) -> None:
    """Every shopper mutation is refused FORBIDDEN, with nothing written."""
    history_before = await history_count(engine)
    answers = [
        await run(shopper, ADD_MINE, input=new_address("Second")),
        # Refused for the role before the input is read.
        await run(shopper, ADD_MINE, input={"address": {"city": None}}),
        await run(shopper, UPDATE_MINE, id=address_id, input={"addressType": "Renamed"}),
        await run(shopper, DELETE_MINE, id=address_id),
    ]

    for answer, field in zip(
        answers, ["addMyAddress", "addMyAddress", "updateMyAddress", "deleteMyAddress"], strict=True
    ):
        assert answer["data"] == {field: None}
        assert [error["extensions"]["code"] for error in answer["errors"]] == ["FORBIDDEN"]
    assert await address_rows(engine, profile) == [(address_id, "Home")]
    assert [kind for kind, _, _ in await profile_events(engine)] == ["profile.address.created"]
    assert await history_count(engine) == history_before


async def test_a_shopper_without_the_role_is_refused_and_nothing_changes(
    client: httpx.AsyncClient, shopper_client: Shopper, engine: AsyncEngine
) -> None:
    profile = await contact(client, "buyer@example.com", "buyer", "accountAddressManager")
    added = await run(client, ADD, profile=profile, input=new_address())
    address_id = added["data"]["addProfileAddress"]["address"]["repositoryId"]

    async with shopper_client(profile) as shopper:
        await assert_refused_and_unchanged(shopper, engine, profile, address_id)


async def test_the_role_in_a_deactivated_account_only_is_refused(
    client: httpx.AsyncClient, shopper_client: Shopper, engine: AsyncEngine
) -> None:
    profile = await contact(client, "former@example.com", MANAGER)
    added = await run(client, ADD, profile=profile, input=new_address())
    address_id = added["data"]["addProfileAddress"]["address"]["repositoryId"]
    response = await client.put(f"/ccadmin/v1/organizations/{SAMPLE}", json={"active": False})
    assert response.status_code == 200, response.text

    async with shopper_client(profile) as shopper:
        await assert_refused_and_unchanged(shopper, engine, profile, address_id)


async def test_the_role_in_one_active_account_is_enough(
    client: httpx.AsyncClient, shopper_client: Shopper
) -> None:
    profile = await contact(client, "two.accounts@example.com", MANAGER)
    # A member (without roles) of a second account, which is then deactivated.
    response = await client.post(
        f"/ccadmin/v1/profiles/{profile}/appendSecondaryOrganizations",
        json={"secondaryOrganizations": [{"id": "100002"}]},
    )
    assert response.status_code == 200, response.text
    response = await client.put("/ccadmin/v1/organizations/100002", json={"active": False})
    assert response.status_code == 200, response.text

    async with shopper_client(profile) as shopper:
        added = await run(shopper, ADD_MINE, input=new_address())

    assert added["data"]["addMyAddress"]["userErrors"] == []


async def test_an_inactive_profile_is_refused(
    client: httpx.AsyncClient, shopper_client: Shopper, engine: AsyncEngine
) -> None:
    profile = await contact(client, "inactive@example.com", MANAGER)
    added = await run(client, ADD, profile=profile, input=new_address())
    address_id = added["data"]["addProfileAddress"]["address"]["repositoryId"]
    response = await client.put(f"/ccadmin/v1/profiles/{profile}", json={"active": False})
    assert response.status_code == 200, response.text

    async with shopper_client(profile) as shopper:
        await assert_refused_and_unchanged(shopper, engine, profile, address_id)


async def test_the_admin_manages_an_inactive_profiles_addresses(
    client: httpx.AsyncClient,
) -> None:
    profile = await contact(client, "dormant@example.com")
    response = await client.put(f"/ccadmin/v1/profiles/{profile}", json={"active": False})
    assert response.status_code == 200, response.text

    added = await run(client, ADD, profile=profile, input=new_address())

    assert added["data"]["addProfileAddress"]["userErrors"] == []


async def test_anyone_without_a_token_is_unauthenticated(
    anonymous_client: httpx.AsyncClient,
) -> None:
    answer = await run(anonymous_client, ADD_MINE, input=new_address())

    assert answer["data"] == {"addMyAddress": None}
    assert [error["extensions"]["code"] for error in answer["errors"]] == ["UNAUTHENTICATED"]


async def test_the_shoppers_mutations_need_a_shopper_and_the_admins_an_admin(
    client: httpx.AsyncClient, shopper_client: Shopper
) -> None:
    profile = await contact(client, "roles@example.com", MANAGER)

    as_admin = await run(client, ADD_MINE, input=new_address())
    async with shopper_client(profile) as shopper:
        as_shopper = await run(shopper, ADD, profile=profile, input=new_address())

    assert as_admin["data"] == {"addMyAddress": None}
    assert [error["extensions"]["code"] for error in as_admin["errors"]] == ["FORBIDDEN"]
    assert as_shopper["data"] == {"addProfileAddress": None}
    assert [error["extensions"]["code"] for error in as_shopper["errors"]] == ["FORBIDDEN"]


async def test_an_organizations_members_show_their_addresses_to_the_admin(
    client: httpx.AsyncClient,
) -> None:
    profile = await contact(client, "member@example.com")
    await run(client, ADD, profile=profile, input=new_address())

    answer = await run(
        client,
        "query M($id: ID!) { organization(id: $id) { members { repositoryId"
        " addresses { addressType } } } }",
        id=SAMPLE,
    )

    assert answer["data"]["organization"]["members"] == [
        {"repositoryId": "110000", "addresses": []},
        {"repositoryId": profile, "addresses": [{"addressType": "Home"}]},
    ]
