"""organization(id, asOf): the organization's own and derived values as they were at an
instant (issue 9, "History"), rebuilt from its history and computed by the live inheritance
rules. Instants come from the database's clock between the writes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from graphql_client import GraphQL, address_input, contract_input, inlined

#: The id format is tests/graphql/test_node.py's; these compare ids with vendor ids.
pytestmark = pytest.mark.read_vendor_ids

AS_OF = """
query AsOf($id: ID!, $asOf: DateTime) {
  organization(id: $id, asOf: $asOf) {
    name
    description
    ancestorOrganizations { id name }
    derivedDescription
    contract { displayName }
    derivedContract { displayName }
    effectiveSiteProperties { orderPriceLimit inheritedFrom { contract orderPriceLimit } }
    derivedBillingAddress { city }
    secondaryAddresses { addressType address { city } }
  }
}
"""

UPDATE_SITE = """
mutation Update($id: ID!, $input: [SiteOrganizationPropertiesInput!]!) {
  updateSiteOrganizationProperties(id: $id, input: $input) {
    userErrors { code message field }
  }
}
"""


async def now(session: AsyncSession) -> datetime:
    """The database's clock (the one history dates changes by), outside any write."""
    instant: datetime = await session.scalar(text("SELECT clock_timestamp()"))
    await session.commit()
    return instant


async def as_of(graphql: GraphQL, organization_id: str, instant: datetime | None) -> Any:
    variables = {"id": organization_id, "asOf": instant.isoformat() if instant else None}
    return (await graphql.data(AS_OF, variables))["organization"]


async def set_site(graphql: GraphQL, organization_id: str, **properties: Any) -> None:
    data = await graphql.data(
        UPDATE_SITE,
        {"id": organization_id, "input": [{"site": "siteUS", "properties": properties}]},
    )
    assert data["updateSiteOrganizationProperties"]["userErrors"] == []


@dataclass(frozen=True)
class Timeline:
    """Parent (own siteUS contract A, a billing address in Chicago) → child (nothing of its
    own); then the parent's contract replaced by B. Instants: before both existed, after
    they were created, after the change."""

    parent: str
    child: str
    before_creation: datetime
    created: datetime
    changed: datetime


@pytest.fixture
async def timeline(graphql: GraphQL, session: AsyncSession) -> Timeline:
    before_creation = await now(session)
    parent = await graphql.create_organization(
        "Sample Regional",
        parentOrganizationId="100001",
        description="regional",
        contract=contract_input("Contract A"),
        secondaryAddresses=[address_input("Office", city="Chicago", isDefaultBillingAddress=True)],
    )
    child = await graphql.create_organization("Sample Branch", parentOrganizationId=parent)
    created = await now(session)
    await set_site(graphql, parent, contract=contract_input("Contract B"), orderPriceLimit=500)
    changed = await now(session)
    return Timeline(parent, child, before_creation, created, changed)


async def test_a_childs_derived_contract_before_and_after_its_parents_contract_change(
    graphql: GraphQL, timeline: Timeline
) -> None:
    before = await as_of(graphql, timeline.child, timeline.created)
    after = await as_of(graphql, timeline.child, timeline.changed)

    assert before["derivedContract"] == {"displayName": "Contract A"}
    assert before["effectiveSiteProperties"] == {
        "orderPriceLimit": None,
        "inheritedFrom": {"contract": timeline.parent, "orderPriceLimit": None},
    }
    assert after["derivedContract"] == {"displayName": "Contract B"}
    assert after["effectiveSiteProperties"] == {
        "orderPriceLimit": 500.0,
        "inheritedFrom": {"contract": timeline.parent, "orderPriceLimit": timeline.parent},
    }


async def test_the_parents_own_contract_at_each_instant(
    graphql: GraphQL, timeline: Timeline
) -> None:
    before = await as_of(graphql, timeline.parent, timeline.created)
    after = await as_of(graphql, timeline.parent, timeline.changed)

    assert before["contract"] == {"displayName": "Contract A"}
    assert after["contract"] == {"displayName": "Contract B"}


async def test_an_instant_before_the_organization_existed_reads_null(
    graphql: GraphQL, timeline: Timeline
) -> None:
    assert await as_of(graphql, timeline.child, timeline.before_creation) is None


async def test_no_instant_or_one_in_the_future_reads_now(
    graphql: GraphQL, timeline: Timeline, session: AsyncSession
) -> None:
    await graphql.data(
        UPDATE_SITE,
        {
            "id": timeline.parent,
            "input": [{"site": "siteUS", "properties": {"orderPriceLimit": 7}}],
        },
    )
    current = await as_of(graphql, timeline.child, None)
    future = await as_of(graphql, timeline.child, await now(session) + timedelta(days=1))

    assert current == future
    assert current["effectiveSiteProperties"]["orderPriceLimit"] == 7.0


async def test_own_fields_and_addresses_as_they_were(
    graphql: GraphQL, timeline: Timeline, session: AsyncSession
) -> None:
    await session.execute(
        text("UPDATE organizations SET description = 'renamed region' WHERE id = :id"),
        {"id": timeline.parent},
    )
    await session.execute(
        text("UPDATE addresses SET city = 'Denver' WHERE organization_id = :id"),
        {"id": timeline.parent},
    )
    await session.commit()

    then = await as_of(graphql, timeline.child, timeline.changed)
    today = await as_of(graphql, timeline.child, None)
    parent_then = await as_of(graphql, timeline.parent, timeline.changed)

    assert (then["derivedDescription"], then["derivedBillingAddress"]) == (
        "regional",
        {"city": "Chicago"},
    )
    assert (today["derivedDescription"], today["derivedBillingAddress"]) == (
        "renamed region",
        {"city": "Denver"},
    )
    assert parent_then["secondaryAddresses"] == [
        {"addressType": "Office", "address": {"city": "Chicago"}}
    ]


async def test_a_moved_parent_gives_the_chain_of_the_time(
    graphql: GraphQL, timeline: Timeline, session: AsyncSession
) -> None:
    # Move the parent from under "Sample" (100001) to under "Sample East" (100002).
    await session.execute(
        text("UPDATE organizations SET parent_id = '100002' WHERE id = :id"),
        {"id": timeline.parent},
    )
    await session.commit()

    then = await as_of(graphql, timeline.child, timeline.changed)
    today = await as_of(graphql, timeline.child, None)

    assert [a["id"] for a in then["ancestorOrganizations"]] == ["100001", timeline.parent]
    assert [a["id"] for a in today["ancestorOrganizations"]] == [
        "100001",
        "100002",
        timeline.parent,
    ]


async def test_a_point_in_time_read_costs_the_same_statements_at_any_depth(
    graphql: GraphQL, session: AsyncSession, statement_counter: Any
) -> None:
    parent = "100001"
    chain = []
    for depth in range(6):
        parent = await graphql.create_organization(f"Level {depth}", parentOrganizationId=parent)
        chain.append(parent)
    instant = await now(session)

    costs = []
    for organization_id in (chain[0], chain[-1]):
        statement_counter.reset()
        await as_of(graphql, organization_id, instant)
        costs.append(statement_counter.count)

    # chain, default site, derived address, addresses, site values, contracts
    assert costs == [6, 6]


@pytest.mark.parametrize("connection", ["childOrganizations", "descendants"])
async def test_fields_without_history_are_refused_in_a_point_in_time_read(
    graphql: GraphQL, timeline: Timeline, connection: str
) -> None:
    result = await graphql.post(
        "query($id: ID!, $t: DateTime) { organization(id: $id, asOf: $t)"
        f" {{ name {connection} {{ edges {{ node {{ id }} }} }} }} }}",
        {"id": timeline.parent, "t": timeline.changed.isoformat()},
    )

    assert result["errors"][0]["extensions"]["code"] == "100002"
    assert connection in result["errors"][0]["message"]


async def test_an_instant_needs_a_time_zone(graphql: GraphQL) -> None:
    result = await graphql.post(AS_OF, {"id": "100001", "asOf": "2020-01-01T00:00:00"})

    assert result["errors"][0]["extensions"]["code"] == "100002"


@pytest.mark.parametrize("instant", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:00:00-14:00"])
async def test_an_instant_outside_the_years_once_in_utc_is_the_callers_error(
    graphql: GraphQL, instant: str
) -> None:
    result = await graphql.post(AS_OF, {"id": "100001", "asOf": instant})
    assert result["errors"][0]["extensions"] == {"code": "100002", "field": "asOf"}


async def test_an_id_postgresql_cannot_take_read_at_an_instant_is_null(graphql: GraphQL) -> None:
    # In the document: the transport refuses a NUL in variables (graphql.request_body).
    document = inlined(AS_OF, {"id": "a\u0000"})
    result = await graphql.post(document, {"asOf": "2020-01-01T00:00:00Z"})
    assert result == {"data": {"organization": None}}


async def test_point_in_time_reads_are_for_admins(
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    async with shopper_client("110000") as client:  # a member of 100001
        result = await GraphQL(client).post(
            AS_OF, {"id": "100001", "asOf": "2020-01-01T00:00:00+00:00"}
        )

    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_members_as_they_were(
    graphql: GraphQL, timeline: Timeline, session: AsyncSession
) -> None:
    members = "query($id: ID!, $t: DateTime) { organization(id: $id, asOf: $t) { members { id } } }"
    await session.execute(
        text("INSERT INTO organization_members VALUES (:id, '110000')"), {"id": timeline.child}
    )
    await session.commit()
    joined = await now(session)
    await session.execute(
        text("DELETE FROM organization_members WHERE organization_id = :id"), {"id": timeline.child}
    )
    await session.commit()

    async def at(instant: datetime | None) -> Any:
        variables = {"id": timeline.child, "t": instant.isoformat() if instant else None}
        return (await graphql.data(members, variables))["organization"]["members"]

    assert await at(timeline.changed) == []
    assert await at(joined) == [{"id": "110000"}]
    assert await at(None) == []


async def test_a_deleted_address_is_there_before_its_deletion_only(
    graphql: GraphQL, timeline: Timeline, session: AsyncSession
) -> None:
    await session.execute(
        text("DELETE FROM addresses WHERE organization_id = :id"), {"id": timeline.parent}
    )
    await session.commit()

    then = await as_of(graphql, timeline.child, timeline.changed)
    today = await as_of(graphql, timeline.child, None)

    assert then["derivedBillingAddress"] == {"city": "Chicago"}
    # Deleting it cleared the parent's default (ON DELETE SET NULL): the root's again.
    assert today["derivedBillingAddress"] == {"city": "Boston"}


async def test_parent_and_history_in_a_point_in_time_read_stop_at_the_instant(
    graphql: GraphQL, timeline: Timeline
) -> None:
    document = """
    query($id: ID!, $t: DateTime) {
      organization(id: $id, asOf: $t) {
        parentOrganization { id contract { displayName } }
        history { edges { node { entityKind operation } } }
      }
    }
    """
    data = await graphql.data(document, {"id": timeline.parent, "t": timeline.created.isoformat()})
    organization = data["organization"]

    assert organization["parentOrganization"] == {
        "id": "100001",
        "contract": {"displayName": "Sample Master Contract"},
    }
    # Created with an address and a contract; the later contract change is not there yet.
    assert sorted(
        (e["node"]["entityKind"], e["node"]["operation"]) for e in organization["history"]["edges"]
    ) == [("ADDRESS", "INSERT"), ("ORGANIZATION", "INSERT"), ("SITE_PROPERTIES", "INSERT")]
