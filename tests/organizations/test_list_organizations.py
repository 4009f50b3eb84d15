"""GET /ccadmin/v1/organizations: OCC list shape, limit/offset paging, the ``q`` name filter,
and a cost in SQL statements that does not grow with the page."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.organizations import service as organizations
from orgql.core.organizations.input import parse_new_organization
from rest.builders import ORGANIZATIONS, contract, secondary_address

DEMO_NAMES = ["Sample", "Sample East", "Sample East Purchasing"]


def _names(body: dict[str, Any]) -> list[str]:
    return [item["name"] for item in body["items"]]


async def test_list_without_parameters_returns_every_organization_in_the_list_shape(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(ORGANIZATIONS)

    body = response.json()
    assert response.status_code == 200
    assert {key: value for key, value in body.items() if key != "items"} == {
        "totalResults": 3,
        "total": 3,
        "sort": [{"property": "id", "order": "asc"}],
        "offset": 0,
        "limit": 250,
        "links": [{"rel": "self", "href": "http://localhost:9080/ccadmin/v1/organizations"}],
    }
    assert _names(body) == DEMO_NAMES


async def test_list_items_have_the_organization_shape_with_their_own_self_link(
    client: httpx.AsyncClient,
) -> None:
    listed = (await client.get(ORGANIZATIONS, params={"q": 'name eq "Sample East"'})).json()

    single = (await client.get(f"{ORGANIZATIONS}/100002")).json()
    assert listed["items"] == [single]


async def test_limit_and_offset_select_a_page_and_total_results_counts_all(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.get(ORGANIZATIONS, params={"limit": 1, "offset": 1})).json()

    assert (_names(body), body["totalResults"], body["offset"], body["limit"]) == (
        ["Sample East"],
        3,
        1,
        1,
    )


@pytest.mark.parametrize("offset", [10, 2**31, 1_459_969_536_919, 2**63 - 1])
async def test_offset_past_the_end_gives_an_empty_page(
    client: httpx.AsyncClient, offset: int
) -> None:
    """Up to PostgreSQL's largest OFFSET, a bigint (past 32 bits was a 500: the offset is a
    bound parameter of the list's one statement)."""
    body = (await client.get(ORGANIZATIONS, params={"offset": offset})).json()

    assert (body["items"], body["totalResults"]) == ([], 3)


@pytest.mark.parametrize(
    ("q", "names"),
    [
        ('name co "EAST"', ["Sample East", "Sample East Purchasing"]),
        ('name eq " sample east "', ["Sample East"]),
        ('name sw "Sample East"', ["Sample East", "Sample East Purchasing"]),
        ('NAME SW "sample e"', ["Sample East", "Sample East Purchasing"]),
        ("purch", ["Sample East Purchasing"]),
        ('name co "100%"', []),
        ('name co "\\"quoted\\""', []),
        ("", DEMO_NAMES),
    ],
    ids=["co", "eq", "sw", "case-insensitive operator", "bare word", "percent", "escape", "empty"],
)
async def test_q_filters_on_the_name(client: httpx.AsyncClient, q: str, names: list[str]) -> None:
    body = (await client.get(ORGANIZATIONS, params={"q": q})).json()

    assert (_names(body), body["totalResults"]) == (names, len(names))


async def test_total_results_counts_the_filtered_organizations_not_the_page(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.get(ORGANIZATIONS, params={"q": "east", "limit": 1})).json()

    assert (_names(body), body["totalResults"]) == (["Sample East"], 2)


@pytest.mark.parametrize(
    "q",
    ['name gt "a"', 'colour co "a"', "two words", 'name co "unterminated', "nul\x00"],
)
async def test_unsupported_q_is_400_with_code_100002(client: httpx.AsyncClient, q: str) -> None:
    response = await client.get(ORGANIZATIONS, params={"q": q})

    assert response.status_code == 400
    assert (response.json()["errorCode"], response.json()["o:errorPath"]) == ("100002", "q")


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"limit": "ten"}, "limit"),
        ({"limit": 251}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 2**63}, "offset"),
    ],
    ids=["limit not a number", "limit above 250", "negative offset", "offset past bigint"],
)
async def test_bad_paging_parameter_is_400_with_code_100002(
    client: httpx.AsyncClient, params: dict[str, Any], path: str
) -> None:
    response = await client.get(ORGANIZATIONS, params=params)

    assert response.status_code == 400
    assert (response.json()["errorCode"], response.json()["o:errorPath"]) == ("100002", path)


# ---------------------------------------------------------------- statements per page

BULK = 100


@pytest.fixture
async def bulk_organizations(session: AsyncSession) -> None:
    """BULK organizations below "Sample East Purchasing", each with everything a page renders:
    addresses, a member, a contract on the default site, a dynamic property."""
    async with session.begin():
        for index in range(BULK):
            doc = {
                "name": f"Bulk {index:03d}",
                "parentOrganization": {"id": "100003"},
                "members": ["110000"],
                "secondaryAddresses": [
                    secondary_address("Office", isDefaultBillingAddress=True),
                    secondary_address("Dock", isDefaultShippingAddress=True),
                ],
                "contract": contract(contract_terms={"terms": f"Terms {index}"}),
                "approvalRequired": False,
            }
            new = parse_new_organization(doc, {"dynamicProperty1": f"value {index}"})
            await organizations.create(session, new)


@pytest.mark.usefixtures("bulk_organizations")
async def test_a_page_of_100_costs_the_same_statements_as_a_page_of_1(
    client: httpx.AsyncClient, statement_counter: Any
) -> None:
    costs = {}
    for limit in (1, BULK):
        statement_counter.reset()
        response = await client.get(ORGANIZATIONS, params={"q": 'name sw "Bulk"', "limit": limit})
        assert len(response.json()["items"]) == limit
        costs[limit] = statement_counter.count

    # One: the site, the page with its ancestors and total, their addresses, site values with
    # their contracts, roles and members (core.organizations.snapshots).
    assert costs == {1: 1, BULK: 1}
