"""GET /ccadmin/v1/organizations: ``q`` with and / or / not over the documented attributes,
``sort`` (unknown keys refused), ``total``, and the bounds that keep a hostile ``q`` cheap.
Demo: 100001 Sample (company, Enterprise, DUNS 987654321) > 100002 Sample East (division)
> 100003 Sample East Purchasing (department)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

ORGANIZATIONS = "/ccadmin/v1/organizations"


def _ids(body: dict[str, Any]) -> list[str]:
    return [item["id"] for item in body["items"]]


async def _list(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    answer = await client.get(ORGANIZATIONS, params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


@pytest.mark.parametrize(
    ("q", "ids"),
    [
        ('type eq "division" or type eq "department"', ["100002", "100003"]),
        ('name sw "Sample" and not (type eq "company")', ["100002", "100003"]),
        (
            'name co "east" and type eq "division" or dunsNumber eq "987654321"',
            ["100001", "100002"],
        ),
        ('name co "east" and (type eq "division" or dunsNumber eq "987654321")', ["100002"]),
        ("dunsNumber pr", ["100001"]),
        ('parentOrganization.id eq "100002"', ["100003"]),
        ('id eq "100001" OR id eq "100003"', ["100001", "100003"]),
        ('customerType eq "Enterprise" and active eq true', ["100001"]),
        ("active eq false", []),
        ('description ne "x"', ["100001", "100002", "100003"]),
        ("dunsNumber eq null", ["100002", "100003"]),
        ('name ew "purchasing"', ["100003"]),
        ("Sample", ["100001", "100002", "100003"]),
    ],
)
async def test_q_combines_comparisons_with_and_or_not(
    client: httpx.AsyncClient, q: str, ids: list[str]
) -> None:
    body = await _list(client, q=q)

    assert (_ids(body), body["totalResults"], body["total"]) == (ids, len(ids), len(ids))


@pytest.mark.parametrize(
    ("q", "problem"),
    [
        ('colour eq "red"', "unknown attribute"),
        ('name gt "a"', "operator"),
        ('name eq "a" and', "expected at the end"),
        ('(name eq "a"', "')' expected"),
        ('name eq "a")', "unexpected"),
        ('active eq "yes"', "active takes eq or ne"),
        ("name eq true", "compares with text"),
        ("name co null", "needs a text value"),
        ("name eq", "a value"),
        ("and", "an attribute expected"),
        ('name eq "a" & name eq "b"', "unexpected character"),
        ("x" * 1001, "at most 1000 characters"),
        ("(" * 6 + 'name eq "a"' + ")" * 6, "levels"),
        ("not " * 6 + 'name eq "a"', "levels"),
        (" or ".join(['name eq "a"'] * 21), "at most 20 comparisons"),
        ("(" * 400 + ")" * 400, "levels"),
        ('name eq "a\x01"', "control characters"),
    ],
)
async def test_malformed_or_oversized_q_is_400_with_code_100002(
    client: httpx.AsyncClient, q: str, problem: str
) -> None:
    answer = await client.get(ORGANIZATIONS, params={"q": q})

    assert answer.status_code == 400
    body = answer.json()
    assert (body["errorCode"], body["o:errorPath"]) == ("100002", "q")
    assert problem in body["message"]


async def test_the_deepest_and_widest_q_allowed_is_answered(client: httpx.AsyncClient) -> None:
    nested = "(" * 5 + 'name co "Sample"' + ")" * 5
    wide = " or ".join([f'id eq "{n}"' for n in range(100001, 100021)])

    assert _ids(await _list(client, q=nested)) == ["100001", "100002", "100003"]
    assert _ids(await _list(client, q=wide)) == ["100001", "100002", "100003"]


async def test_sort_orders_the_page_and_is_echoed(client: httpx.AsyncClient) -> None:
    body = await _list(client, sort="name:desc", limit=2, offset=1)

    assert _ids(body) == ["100002", "100001"]
    assert body["sort"] == [
        {"property": "name", "order": "desc"},
        {"property": "id", "order": "asc"},
    ]
    assert body["total"] == 3


async def test_sort_by_several_keys_puts_unset_values_last(client: httpx.AsyncClient) -> None:
    body = await _list(client, sort="dunsNumber:asc,type")

    assert _ids(body) == ["100001", "100003", "100002"]


@pytest.mark.parametrize(
    ("sort", "problem"),
    [
        ("colour", "unknown key 'colour'"),
        ("name:sideways", "asc or :desc"),
        ("name,name:desc", "named twice"),
        ("id,name,type,active,uniqueId,partyNumber", "at most 5 keys"),
        ("name" * 100, "at most 300 characters"),
    ],
)
async def test_an_unknown_sort_key_is_refused_never_ignored(
    client: httpx.AsyncClient, sort: str, problem: str
) -> None:
    answer = await client.get(ORGANIZATIONS, params={"sort": sort})

    assert answer.status_code == 400
    body = answer.json()
    assert (body["errorCode"], body["o:errorPath"]) == ("100002", "sort")
    assert problem in body["message"]


async def test_shoppers_and_anonymous_callers_cannot_list(
    anonymous_client: httpx.AsyncClient, shopper_client: Any
) -> None:
    async with shopper_client("110000") as shopper:
        answers = [
            await anonymous_client.get(ORGANIZATIONS, params={"q": "Sample"}),
            await shopper.get(ORGANIZATIONS, params={"sort": "name"}),
        ]

    assert [answer.status_code for answer in answers] == [401, 401]


async def test_name_eq_finds_a_name_with_letters_python_lowers_differently(
    client: httpx.AsyncClient,
) -> None:
    # A final sigma: Python's lower() and PostgreSQL's (the unique name key's) differ.
    created = await client.post(ORGANIZATIONS, json={"name": "ΟΔΟΣ"})
    assert created.status_code == 200, created.text
    organization_id = created.json()["id"]

    found = await _list(client, q='name eq "ΟΔΟΣ"')
    renamed = await client.put(f"{ORGANIZATIONS}/{organization_id}", json={"name": "ΟΔΟΣ"})

    assert _ids(found) == [organization_id]
    assert renamed.status_code == 200, renamed.text
