"""listProfiles' query parameters: an offset past the bound is refused naming the bound it
breaks (core.common.paging.offset_problem), the vendor's ``q`` filter, which this list
does not take, is refused rather than ignored (an ignored filter answered every profile),
and ``sort`` orders the page by the keys of core.people.sorting, as the organizations list
is ordered (an unknown key refused, not ignored)."""

from __future__ import annotations

import httpx
import pytest
from people_support import PROFILES, create_contact

from orgql.core.common.paging import MAX_OFFSET


def _refusal(response: httpx.Response) -> tuple[int, str, str | None, str]:
    body = response.json()
    return response.status_code, body["errorCode"], body.get("o:errorPath"), body["message"]


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        ("99999999999999999999", f"offset must be at most {MAX_OFFSET}"),
        (str(MAX_OFFSET + 1), f"offset must be at most {MAX_OFFSET}"),
        ("-1", "offset must not be negative"),
    ],
)
async def test_an_offset_out_of_bounds_names_the_bound_it_breaks(
    client: httpx.AsyncClient, offset: str, message: str
) -> None:
    response = await client.get(PROFILES, params={"offset": offset})

    assert _refusal(response) == (400, "100002", "offset", message)


async def test_the_largest_offset_is_an_empty_page(client: httpx.AsyncClient) -> None:
    response = await client.get(PROFILES, params={"offset": str(MAX_OFFSET)})

    assert response.status_code == 200, response.text
    assert (response.json()["offset"], response.json()["items"]) == (MAX_OFFSET, [])


@pytest.mark.parametrize("q", ['email eq "nobody@example.com"', "nobody", ["", "x"]], ids=repr)
async def test_a_q_filter_is_refused_not_ignored(
    client: httpx.AsyncClient, q: str | list[str]
) -> None:
    response = await client.get(PROFILES, params={"q": q})

    assert _refusal(response) == (
        400,
        "100002",
        "q",
        "q is not supported on profiles: look them up by email or customerContactId",
    )


async def test_a_blank_q_filters_nothing(client: httpx.AsyncClient) -> None:
    everyone = (await client.get(PROFILES)).json()

    response = await client.get(PROFILES, params={"q": " "})

    assert response.status_code == 200, response.text
    assert response.json()["items"] == everyone["items"]


def _order(response: httpx.Response) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.text
    return [(item["lastName"], item["email"]) for item in response.json()["items"]]


async def test_a_sort_orders_the_page_and_is_echoed(client: httpx.AsyncClient) -> None:
    for email, last in [("b@sort.example", "Alder"), ("a@sort.example", "Birch")]:
        await create_contact(client, email, lastName=last)
    await create_contact(client, "C@Sort.example", lastName="Alder")

    by_last_then_email = await client.get(PROFILES, params={"sort": "lastName:desc, email"})
    by_email = await client.get(PROFILES, params={"sort": "email:asc"})

    sorted_ones = [pair for pair in _order(by_last_then_email) if "sort.example" in pair[1].lower()]
    assert sorted_ones == [
        ("Birch", "a@sort.example"),
        ("Alder", "b@sort.example"),
        ("Alder", "C@Sort.example"),
    ]
    assert [e for _, e in _order(by_email) if "sort.example" in e.lower()] == [
        "a@sort.example",
        "b@sort.example",
        "C@Sort.example",  # compared as emails are: in lower case
    ]
    assert by_last_then_email.json()["sort"] == [
        {"property": "lastName", "order": "desc"},
        {"property": "email", "order": "asc"},
        {"property": "id", "order": "asc"},
    ]


async def test_without_a_sort_the_page_is_by_id(client: httpx.AsyncClient) -> None:
    response = await client.get(PROFILES)

    ids = [item["id"] for item in response.json()["items"]]
    assert ids == sorted(ids)
    assert response.json()["sort"] == [{"property": "id", "order": "asc"}]


@pytest.mark.parametrize(
    ("sort", "message"),
    [
        (
            "name",
            "sort: unknown key 'name'; known: id, repositoryId, email, firstName, lastName,"
            " customerContactId, partyId, partyNumber, active",
        ),
        ("email:up", "sort: email must be followed by :asc or :desc, not 'up'"),
        ("id,repositoryId:desc", "sort: repositoryId is named twice"),
    ],
)
async def test_a_sort_it_cannot_apply_is_refused_not_ignored(
    client: httpx.AsyncClient, sort: str, message: str
) -> None:
    response = await client.get(PROFILES, params={"sort": sort})

    assert _refusal(response) == (400, "100002", "sort", message)
