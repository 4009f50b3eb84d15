"""The rules of a profile's own addresses: validation as an organization's, a nickname unique
per profile (under concurrency too), a bounded count, ids that name nothing of the caller's
answered as missing ones, and the history the database records."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from profile_address_support import (
    ADD,
    ADD_MINE,
    DELETE,
    SAMPLE,
    UPDATE,
    UPDATE_MINE,
    address_rows,
    contact,
    new_address,
    run,
)
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from database_checks import wait_until_waiting_on_locks
from graphql_client import inlined
from orgql.core.access.principals import SYSTEM
from orgql.core.addresses import profile_addresses
from orgql.core.common.errors import OrgqlError
from orgql.core.common.ids import next_ids
from orgql.core.history import point_in_time
from orgql.db import history_models, models
from orgql.db.engine import make_sessionmaker
from orgql.graphql.global_ids import encode

Shopper = Callable[[str], httpx.AsyncClient]


async def added_id(client: httpx.AsyncClient, profile: str, nickname: str = "Home") -> str:
    answer = await run(client, ADD, profile=profile, input=new_address(nickname))
    assert answer["data"]["addProfileAddress"]["userErrors"] == []
    address_id: str = answer["data"]["addProfileAddress"]["address"]["repositoryId"]
    return address_id


async def test_an_address_is_validated_as_an_organizations(client: httpx.AsyncClient) -> None:
    profile = await contact(client, "lines@example.com")
    incomplete = {"addressType": "Home", "address": {"city": "Springfield", "state": "x" * 255}}

    answer = await run(client, ADD, profile=profile, input=incomplete)

    assert answer["data"]["addProfileAddress"] == {
        "address": None,
        "userErrors": [
            {"code": "100002", "field": "address.companyName"},
            {"code": "100002", "field": "address.address1"},
            {"code": "00004", "field": "address.state"},
            {"code": "100002", "field": "address.postalCode"},
            {"code": "100002", "field": "address.country"},
            {"code": "100002", "field": "address.phoneNumber"},
        ],
    }


async def test_a_nickname_is_unique_per_profile_ignoring_case_and_spaces(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    profile = await contact(client, "nick@example.com")
    other = await contact(client, "other.nick@example.com")
    home = await added_id(client, profile, "Home")
    work = await added_id(client, profile, "Work")

    again = await run(client, ADD, profile=profile, input=new_address(" HOME "))
    renamed = await run(client, UPDATE, id=work, input={"addressType": "home"})
    elsewhere = await run(client, ADD, profile=other, input=new_address("Home"))

    assert again["data"]["addProfileAddress"]["userErrors"] == [
        {"code": "100002", "field": "addressType"}
    ]
    assert renamed["data"]["updateProfileAddress"]["userErrors"] == [
        {"code": "100002", "field": "addressType"}
    ]
    assert elsewhere["data"]["addProfileAddress"]["userErrors"] == []
    assert await address_rows(engine, profile) == [(home, "Home"), (work, "Work")]


async def test_of_two_concurrent_adds_with_one_nickname_one_wins(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    profile = await contact(client, "race@example.com")
    sessions = make_sessionmaker(engine)
    async with sessions() as first, sessions() as second:
        await first.begin()
        won = await profile_addresses.add(first, SYSTEM, profile, new_address("Home"))

        async def add_second() -> None:
            async with second.begin():
                await profile_addresses.add(second, SYSTEM, profile, new_address("home "))

        racing = asyncio.create_task(add_second())
        await wait_until_waiting_on_locks(engine, 1)
        await first.commit()
        with pytest.raises(OrgqlError) as refused:
            await racing

    assert (refused.value.code, refused.value.field) == ("100002", "addressType")
    assert await address_rows(engine, profile) == [(won.id, "Home")]


async def test_two_concurrent_adds_of_ones_own_addresses_wait_in_turn(
    client: httpx.AsyncClient, engine: AsyncEngine, shopper_client: Shopper
) -> None:
    # The check of the caller's standing locks their profile's row, which the add then
    # locks to write: taken shared first by both, each add waited for the other (a deadlock,
    # one answered 503). Both are let go at once by a third transaction holding the row.
    profile = await contact(client, "own.race@example.com", "profileAddressManager")
    async with shopper_client(profile) as shopper, make_sessionmaker(engine)() as blocker:
        await blocker.begin()
        await blocker.execute(
            select(models.Profile.id).where(models.Profile.id == profile).with_for_update()
        )
        racing = [
            asyncio.create_task(run(shopper, ADD_MINE, input=new_address(nickname)))
            for nickname in ("Home", "Cabin")
        ]
        await wait_until_waiting_on_locks(engine, 2)
        await blocker.rollback()
        answers = await asyncio.gather(*racing)

    assert [a["data"]["addMyAddress"]["userErrors"] for a in answers] == [[], []]
    assert sorted(nickname for _, nickname in await address_rows(engine, profile)) == [
        "Cabin",
        "Home",
    ]


async def test_a_profile_holds_a_bounded_number_of_addresses(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    profile = await contact(client, "many@example.com")
    limit = profile_addresses.MAX_PROFILE_ADDRESSES
    async with make_sessionmaker(engine)() as session, session.begin():
        ids = await next_ids(session, limit)
        session.add_all(
            models.Address(id=i, profile_id=profile, address_type=f"Address {n}", city="Rome")
            for n, i in enumerate(ids)
        )

    refused = await run(client, ADD, profile=profile, input=new_address("One more"))
    await run(client, DELETE, id=ids[0])
    accepted = await run(client, ADD, profile=profile, input=new_address("One more"))

    assert refused["data"]["addProfileAddress"]["userErrors"] == [{"code": "190102", "field": None}]
    assert accepted["data"]["addProfileAddress"]["userErrors"] == []
    assert len(await address_rows(engine, profile)) == limit


@pytest.mark.parametrize(
    "address_id",
    ["999999", "150001", "x" * 41, "bad\u0000id", ""],
    ids=["missing", "an-organizations-address", "too-long", "nul", "empty"],
)
async def test_an_id_that_names_no_profile_address_is_not_found(
    client: httpx.AsyncClient, address_id: str
) -> None:
    # In the document: the transport refuses a NUL in variables (graphql.request_body).
    updated = await run(
        client, inlined(UPDATE, {"id": address_id}), input={"addressType": "Renamed"}
    )
    deleted = await run(client, inlined(DELETE, {"id": address_id}))

    assert updated["data"]["updateProfileAddress"]["userErrors"] == [
        {"code": "190101", "field": "id"}
    ]
    assert deleted["data"]["deleteProfileAddress"]["userErrors"] == [
        {"code": "190101", "field": "id"}
    ]


async def test_another_profiles_address_is_answered_as_a_missing_one(
    client: httpx.AsyncClient, shopper_client: Shopper, engine: AsyncEngine
) -> None:
    mine = await contact(client, "me@example.com", "profileAddressManager")
    theirs = await contact(client, "them@example.com")
    their_address = await added_id(client, theirs)

    async with shopper_client(mine) as shopper:
        other = await run(shopper, UPDATE_MINE, id=their_address, input={"addressType": "Mine"})
        missing = await run(shopper, UPDATE_MINE, id="999999", input={"addressType": "Mine"})

    assert other["data"]["updateMyAddress"] == missing["data"]["updateMyAddress"]
    assert other["data"]["updateMyAddress"]["userErrors"] == [{"code": "190101", "field": "id"}]
    assert await address_rows(engine, theirs) == [(their_address, "Home")]


async def test_malformed_profile_and_global_ids_are_refused(client: httpx.AsyncClient) -> None:
    unknown = await run(client, inlined(ADD, {"profile": "bad\u0000id"}), input=new_address())
    wrong_type = await run(
        client, UPDATE, id=encode("Organization", SAMPLE), input={"addressType": "Renamed"}
    )

    assert unknown["data"]["addProfileAddress"]["userErrors"] == [
        {"code": "22002", "field": "profileId"}
    ]
    assert wrong_type["data"] is None
    assert [error["extensions"]["code"] for error in wrong_type["errors"]] == ["100002"]


async def test_default_flags_and_types_are_an_organizations_only(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    profile = await contact(client, "flags@example.com")
    document = new_address(isDefaultShippingAddress=True, types=[{"id": "ss-10002"}])

    async with make_sessionmaker(engine)() as session, session.begin():
        with pytest.raises(OrgqlError) as refused:
            await profile_addresses.add(session, SYSTEM, profile, document)

    assert [(d.code, d.field) for d in refused.value.details] == [
        ("100002", "address.isDefaultShippingAddress"),
        ("100002", "address.types"),
    ]


async def test_history_records_a_profiles_address_under_its_parent_organization(
    client: httpx.AsyncClient, shopper_client: Shopper, engine: AsyncEngine
) -> None:
    profile = await contact(client, "history@example.com", "profileAddressManager")
    async with shopper_client(profile) as shopper:
        added = await run(shopper, ADD_MINE, input=new_address())
        address_id = added["data"]["addMyAddress"]["address"]["repositoryId"]
        await run(shopper, UPDATE_MINE, id=address_id, input={"address": {"city": "Peoria"}})
    listed = await run(
        client,
        "query H($id: ID!) { organization(id: $id) { history(first: 2) { edges { node {"
        " entityKind entityId operation actor } } } } }",
        id=SAMPLE,
    )

    table = history_models.OrganizationHistory
    async with make_sessionmaker(engine)() as session:
        rows = (
            await session.execute(
                select(table.entity_kind, table.organization_id, table.operation, table.actor)
                .where(table.entity_id == address_id)
                .order_by(table.id)
            )
        ).all()
        owned = await point_in_time.addresses_by_organization_as_of(
            session, [SAMPLE], datetime.now(UTC)
        )

    actor = f"shopper:{profile}"
    assert [tuple(row) for row in rows] == [
        ("profile_address", SAMPLE, "insert", actor),
        ("profile_address", SAMPLE, "update", actor),
    ]
    assert [edge["node"] for edge in listed["data"]["organization"]["history"]["edges"]] == [
        {
            "entityKind": "PROFILE_ADDRESS",
            "entityId": address_id,
            "operation": "UPDATE",
            "actor": actor,
        },
        {
            "entityKind": "PROFILE_ADDRESS",
            "entityId": address_id,
            "operation": "INSERT",
            "actor": actor,
        },
    ]
    # An organization's addresses at an instant are its own, never its contacts'.
    assert address_id not in {row.id for row in owned[SAMPLE]}


async def test_an_address_has_exactly_one_owner(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    profile = await contact(client, "owner@example.com")
    async with make_sessionmaker(engine)() as session:
        for owners in ({"organization_id": SAMPLE, "profile_id": profile}, {}):
            (address_id,) = await next_ids(session, 1)
            session.add(models.Address(id=address_id, address_type="Both", **owners))
            with pytest.raises(IntegrityError, match="ck_addresses_one_owner"):
                await session.flush()
            await session.rollback()


async def test_a_profiles_address_is_no_organizations_default(client: httpx.AsyncClient) -> None:
    profile = await contact(client, "not.default@example.com")
    address_id = await added_id(client, profile)

    response = await client.put(
        f"/ccadmin/v1/organizations/{SAMPLE}", json={"billingAddress": {"repositoryId": address_id}}
    )

    assert response.status_code == 400, response.text
    assert response.json()["errorCode"] == "100053"
