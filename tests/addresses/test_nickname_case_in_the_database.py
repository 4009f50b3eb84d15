"""A nickname is free in its owner as the database's unique keys (``uq_addresses_org_type``,
``uq_addresses_profile_type``: ``lower(btrim(address_type))``) judge it, not as Python's
``lower`` would: the two disagree on a final sigma and a dotted capital I. The check
(core.addresses.nicknames) neither refuses a nickname the key accepts nor leaves one only the
key catches (then told alone, without the input's other problems)."""

from __future__ import annotations

import httpx
from profile_address_support import ADD as ADD_TO_PROFILE
from profile_address_support import contact, new_address, profile_id_of
from sqlalchemy.ext.asyncio import AsyncEngine

from database_checks import same_nickname_key
from graphql_client import SAMPLE_ADDRESS_LINES, GraphQL

ADDRESSES = "/ccadmin/v1/organizations/100002/secondaryAddresses"

#: Python lower-cases a final capital sigma to a final small one (U+03C2, as the stored one
#: ends); PostgreSQL to a small sigma (U+03C3), so the key holds the two apart.
STORED_SIGMA, NEW_SIGMA = "οδος", "ΟΔΟΣ"
#: Python lower-cases a dotted capital I (U+0130) to ``i`` and a combining dot; PostgreSQL to
#: ``i``: one key.
STORED_I, NEW_I = "i", "İ"


def _office(nickname: str, **more: object) -> dict[str, object]:
    return {"addressType": nickname, "address": {**SAMPLE_ADDRESS_LINES, **more}}


async def test_a_nickname_the_key_holds_apart_is_free(
    client: httpx.AsyncClient, graphql: GraphQL, engine: AsyncEngine
) -> None:
    assert not await same_nickname_key(engine, STORED_SIGMA, NEW_SIGMA)
    stored = await client.post(ADDRESSES, json=_office(STORED_SIGMA))
    profile = profile_id_of(await contact(client, "sigma@example.com"))
    await graphql.data(ADD_TO_PROFILE, {"profile": profile, "input": new_address(STORED_SIGMA)})

    added = await client.post(ADDRESSES, json=_office(NEW_SIGMA))
    to_profile = await graphql.data(
        ADD_TO_PROFILE, {"profile": profile, "input": new_address(NEW_SIGMA)}
    )

    assert (stored.status_code, added.status_code) == (201, 201), added.text
    assert added.json()["addressType"] == NEW_SIGMA
    assert to_profile["addProfileAddress"]["userErrors"] == []
    assert to_profile["addProfileAddress"]["address"]["addressType"] == NEW_SIGMA


async def test_a_nickname_the_key_takes_for_one_is_told_with_the_other_problems(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    assert await same_nickname_key(engine, STORED_I, NEW_I)
    assert (await client.post(ADDRESSES, json=_office(STORED_I))).status_code == 201

    refused = await client.post(ADDRESSES, json=_office(NEW_I, types=[{"id": "ss-99999"}]))

    assert refused.status_code == 400
    assert [(e["errorCode"], e["o:errorPath"]) for e in refused.json()["errors"]] == [
        ("100002", "addressType"),
        ("180104", "address.types[0].id"),
    ]
