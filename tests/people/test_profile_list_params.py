"""listProfiles' query parameters: an offset past the bound is refused naming the bound it
breaks (core.common.paging.offset_problem), and the vendor's ``q`` filter, which this list
does not take, is refused rather than ignored (an ignored filter answered every profile)."""

from __future__ import annotations

import httpx
import pytest
from people_support import PROFILES

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
