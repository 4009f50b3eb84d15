"""syncFinancialData compares a synced address's nickname (its external id) as the database's
unique key does, ``lower(btrim(address_type))`` in PostgreSQL, whose ``lower`` disagrees with
Python's on a capital sigma and a dotted capital I (below). An id whose key another address
of the organization holds is a failed address item, as "aB" after "Ab" is; the sync stores
the rest (it was 500 100193, the unique key refusing the insert)."""

from __future__ import annotations

import httpx
import pytest
from financial_support import SYNC, upstream_settings
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from upstream import PRIMARY_BILL_TO, SHIP_TO, Upstream, account, site

from database_checks import same_nickname_key
from graphql_client import SAMPLE_ADDRESS_LINES
from orgql.db import models
from orgql.db.engine import make_sessionmaker
from orgql.settings import Settings

DEMO = SYNC.format("100001")
TAKEN = "addressType {!r} is used by another address of the organization"

#: Capital alpha sigma: PostgreSQL lower-cases it to small alpha sigma, Python to alpha and a
#: final sigma (U+03C2), which PostgreSQL keeps apart.
CAPITAL_SIGMA, SMALL_SIGMA, FINAL_SIGMA = "\u0391\u03a3", "\u03b1\u03c3", "\u03b1\u03c2"
#: A dotted capital I (U+0130): ``i`` to PostgreSQL, ``i`` and a combining dot to Python.
DOTTED_I = "\u0130"


@pytest.fixture
def settings(database_url: str, upstream: Upstream) -> Settings:
    return upstream_settings(database_url, upstream.url)


async def nicknames(engine: AsyncEngine) -> list[str]:
    """The addressType of 100001's addresses, synced or not."""
    async with make_sessionmaker(engine)() as session:
        types = await session.scalars(
            select(models.Address.address_type)
            .where(models.Address.organization_id == "100001")
            .order_by(models.Address.address_type)
        )
        return [t for t in types if t is not None]


@pytest.mark.parametrize(("first", "second"), [(CAPITAL_SIGMA, SMALL_SIGMA), (DOTTED_I, "i")])
async def test_external_ids_one_to_the_database_but_two_to_python_share_a_nickname(
    client: httpx.AsyncClient,
    upstream: Upstream,
    demo_party: str,
    engine: AsyncEngine,
    first: str,
    second: str,
) -> None:
    assert await same_nickname_key(engine, first, second)
    upstream.parties[demo_party] = [
        account("ca1", site(first, PRIMARY_BILL_TO), site(second, SHIP_TO), site("other")),
        account("ca2", site(second, SHIP_TO)),
    ]

    response = await client.post(DEMO, json={})

    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["customerAccountIds"]) == 2
    assert body["failedAddressItems"] == [
        {"externalId": second, "errorMessage": TAKEN.format(second)}
    ]
    assert sorted(n for n in await nicknames(engine) if n in (first, second, "other")) == sorted(
        [first, "other"]
    )


@pytest.mark.parametrize(("manual", "synced"), [(SMALL_SIGMA, CAPITAL_SIGMA), ("i", DOTTED_I)])
async def test_an_external_id_a_manual_nickname_holds_in_the_databases_eyes_fails(
    client: httpx.AsyncClient,
    upstream: Upstream,
    demo_party: str,
    engine: AsyncEngine,
    manual: str,
    synced: str,
) -> None:
    assert await same_nickname_key(engine, manual, synced)
    added = await client.post(
        "/ccadmin/v1/organizations/100001/secondaryAddresses",
        json={"addressType": manual, "address": SAMPLE_ADDRESS_LINES},
    )
    assert added.status_code == 201, added.text
    upstream.parties[demo_party] = [account("ca1", site(synced, PRIMARY_BILL_TO), site("other"))]

    response = await client.post(DEMO, json={})

    assert response.status_code == 200, response.text
    assert response.json()["failedAddressItems"] == [
        {"externalId": synced, "errorMessage": TAKEN.format(synced)}
    ]
    stored = await nicknames(engine)
    assert {manual, "other"} <= set(stored)
    assert synced not in stored


async def test_an_external_id_python_would_match_but_the_database_does_not_is_stored(
    client: httpx.AsyncClient, upstream: Upstream, demo_party: str, engine: AsyncEngine
) -> None:
    """Python would take capital sigma and final sigma for one nickname, the key does not."""
    assert not await same_nickname_key(engine, CAPITAL_SIGMA, FINAL_SIGMA)
    upstream.parties[demo_party] = [
        account("ca1", site(CAPITAL_SIGMA, PRIMARY_BILL_TO), site(FINAL_SIGMA))
    ]

    response = await client.post(DEMO, json={})

    assert response.status_code == 200, response.text
    assert response.json()["failedAddressItems"] == []
    stored = await nicknames(engine)
    assert {CAPITAL_SIGMA, FINAL_SIGMA} <= set(stored)
