"""PUT /ccadmin/v1/organizations/{id}: updateOrganization in OCC's shapes, with ETag and
If-Match, moves with dry run, deactivation, concurrent writers over HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from orgql.db import models
from orgql.db.engine import make_sessionmaker
from rest.builders import ORGANIZATIONS


async def put(
    client: httpx.AsyncClient,
    organization_id: str,
    body: dict[str, Any],
    *,
    version: int | None = None,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    sent = dict(headers or {})
    if version is not None:
        sent["If-Match"] = f'"{version}"'
    return await client.put(
        f"{ORGANIZATIONS}/{organization_id}", json=body, headers=sent, params=params
    )


async def test_get_answers_the_version_as_etag(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{ORGANIZATIONS}/100002")
    assert response.headers["ETag"] == '"1"'


async def test_put_answers_like_get_with_the_new_etag(client: httpx.AsyncClient) -> None:
    response = await put(client, "100003", {"description": "Buys paper"}, version=1)

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"'
    body = response.json()
    assert (body["description"], body["name"], body["taxReferenceNumber"]) == (
        "Buys paper",
        "Sample East Purchasing",
        "EAST-TAX-1",
    )
    read = await client.get(f"{ORGANIZATIONS}/100003")
    assert read.json() == body
    assert read.headers["ETag"] == '"2"'


async def test_null_clears_the_own_value_so_it_is_inherited(client: httpx.AsyncClient) -> None:
    await put(client, "100002", {"customerType": "OEM", "paymentMethods": ["cash"]})
    child = (await client.get(f"{ORGANIZATIONS}/100003")).json()
    assert (child["derivedCustomerType"], child["derivedPaymentMethods"]) == ("OEM", ["cash"])

    response = await put(client, "100002", {"customerType": None, "paymentMethods": None})

    assert response.status_code == 200
    assert (response.json()["customerType"], response.json()["derivedCustomerType"]) == (
        None,
        "Enterprise",
    )
    child = (await client.get(f"{ORGANIZATIONS}/100003")).json()
    assert (child["derivedCustomerType"], child["derivedPaymentMethods"]) == (
        "Enterprise",
        ["card"],
    )


async def test_a_stale_if_match_is_412_and_changes_nothing(client: httpx.AsyncClient) -> None:
    assert (await put(client, "100002", {"description": "one"}, version=1)).status_code == 200
    response = await put(client, "100002", {"description": "two"}, version=1)

    assert response.status_code == 412
    body = response.json()
    assert (body["errorCode"], body["status"]) == ("412", "412")
    assert body["errors"] == [{"errorCode": "412", "message": body["message"], "status": "412"}]
    assert (await client.get(f"{ORGANIZATIONS}/100002")).json()["description"] == "one"


async def test_if_match_star_or_absent_skips_the_check(client: httpx.AsyncClient) -> None:
    star = await put(client, "100002", {"description": "x"}, headers={"If-Match": "*"})
    absent = await put(client, "100002", {"description": "y"})
    assert [r.status_code for r in (star, absent)] == [200, 200]
    assert absent.headers["ETag"] == '"3"'


async def test_a_weak_if_match_never_matches_so_it_is_412_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    """RFC 9110 13.1.1: If-Match uses the strong comparison, which a weak tag never passes,
    even one naming the current version."""
    response = await put(client, "100002", {"description": "z"}, headers={"If-Match": 'W/"1"'})

    assert response.status_code == 412
    assert (response.json()["errorCode"], response.json()["o:errorPath"]) == ("412", "If-Match")
    read = await client.get(f"{ORGANIZATIONS}/100002")
    assert (read.headers["ETag"], read.json()["description"]) == ('"1"', None)


async def test_a_malformed_if_match_is_400(client: httpx.AsyncClient) -> None:
    response = await put(client, "100002", {"description": "x"}, headers={"If-Match": "3"})
    assert response.status_code == 400
    assert (response.json()["errorCode"], response.json()["o:errorPath"]) == ("100002", "If-Match")


async def test_if_match_compares_character_by_character_so_03_is_not_3(
    client: httpx.AsyncClient,
) -> None:
    """RFC 9110 8.8.3.2: the strong comparison is of the opaque tags, "03" is not "3"."""
    for tag in ('"01"', '"00"', '"+1"', '"1.0"', '"0x1"'):
        response = await put(client, "100002", {"description": tag}, headers={"If-Match": tag})

        assert response.status_code == 412, (tag, response.text)
        assert (response.json()["errorCode"], response.json()["o:errorPath"]) == (
            "412",
            "If-Match",
        )
    read = await client.get(f"{ORGANIZATIONS}/100002")
    assert (read.headers["ETag"], read.json()["description"]) == ('"1"', None)


async def test_an_if_match_list_passes_if_any_strong_tag_is_current(
    client: httpx.AsyncClient,
) -> None:
    """RFC 9110 13.1.1: If-Match takes a list; weak tags in it match nothing."""
    listed = await put(client, "100002", {"description": "a"}, headers={"If-Match": '"0", "1"'})
    assert (listed.status_code, listed.headers["ETag"]) == (200, '"2"'), listed.text

    with_weak = await put(
        client, "100002", {"description": "b"}, headers={"If-Match": 'W/"2" ,, "7",W/"1"'}
    )
    assert with_weak.status_code == 412
    assert "not 7" in with_weak.json()["message"]

    mixed = await put(client, "100002", {"description": "c"}, headers={"If-Match": 'W/"1","2"'})
    assert (mixed.status_code, mixed.headers["ETag"]) == (200, '"3"'), mixed.text
    # Two If-Match fields are one list (RFC 9110 5.3)
    fields = await client.put(
        f"{ORGANIZATIONS}/100002",
        json={"description": "d"},
        headers=[("If-Match", '"9"'), ("If-Match", '"3"')],
    )
    assert (fields.status_code, fields.headers["ETag"]) == (200, '"4"'), fields.text


async def test_a_malformed_if_match_list_is_400_and_writes_nothing(
    client: httpx.AsyncClient,
) -> None:
    for header in ('" 1"', '"1" "2"', '"1", 2', '*, "1"', ",", '"1"x', 'w/"1"', '"a"b"'):
        response = await put(client, "100002", {"description": "x"}, headers={"If-Match": header})

        assert response.status_code == 400, header
        assert (response.json()["errorCode"], response.json()["o:errorPath"]) == (
            "100002",
            "If-Match",
        )
    read = await client.get(f"{ORGANIZATIONS}/100002")
    assert (read.headers["ETag"], read.json()["description"]) == ('"1"', None)


async def test_concurrent_puts_with_one_if_match_one_wins(client: httpx.AsyncClient) -> None:
    responses = await asyncio.gather(
        *(put(client, "100002", {"description": f"writer {n}"}, version=1) for n in range(2))
    )
    assert sorted(r.status_code for r in responses) == [200, 412]


async def test_concurrent_opposite_moves_one_is_refused(client: httpx.AsyncClient) -> None:
    """Several rounds: without the move lock, the two requests lock their own rows first and
    then deadlock in the path trigger (a 500) in most rounds (measured: 14 of 15)."""
    for round_number in range(5):
        a = (await client.post(ORGANIZATIONS, json={"name": f"A{round_number}"})).json()["id"]
        b = (await client.post(ORGANIZATIONS, json={"name": f"B{round_number}"})).json()["id"]
        responses = await asyncio.gather(
            put(client, a, {"parentOrganization": {"id": b}}),
            put(client, b, {"parentOrganization": {"id": a}}),
        )
        assert sorted(r.status_code for r in responses) == [200, 400]
        refused = next(r for r in responses if r.status_code == 400).json()
        assert (refused["errorCode"], refused["o:errorPath"]) == (
            "100002",
            "parentOrganization.id",
        )
        ancestors = [
            [
                x["id"]
                for x in (await client.get(f"{ORGANIZATIONS}/{i}")).json()["ancestorOrganizations"]
            ]
            for i in (a, b)
        ]
        assert sorted(ancestors) in ([[], [a]], [[], [b]])


async def test_a_dry_run_flag_empty_contradictory_or_unknown_is_400_and_writes_nothing(
    client: httpx.AsyncClient,
) -> None:
    """Read as false, these wrote for real what the caller may have meant as a dry run."""
    for query in ("dryRun=", "dryRun=true&dryRun=false", "dryRun=false&dryRun=true", "dryRun=1"):
        response = await client.put(
            f"{ORGANIZATIONS}/100002?{query}", json={"description": f"written by {query}"}
        )

        assert response.status_code == 400, query
        assert (response.json()["errorCode"], response.json()["o:errorPath"]) == (
            "100002",
            "dryRun",
        )
    read = await client.get(f"{ORGANIZATIONS}/100002")
    assert (read.headers["ETag"], read.json()["description"]) == ('"1"', None)


async def test_a_misspelt_dry_run_flag_is_400_and_writes_nothing(
    client: httpx.AsyncClient,
) -> None:
    """Unknown query parameters are ignored, but one that differs from the route's own only
    in case would write for real what the caller meant as a dry run."""
    for query in ("dryrun=true", "DryRun=true", "DRYRUN=false", "dryRun=true&dryrun=true"):
        response = await client.put(
            f"{ORGANIZATIONS}/100003?{query}", json={"description": f"written by {query}"}
        )

        assert response.status_code == 400, query
        body = response.json()
        sent = query.split("&")[-1].split("=")[0]
        assert (body["errorCode"], body["o:errorPath"]) == ("100002", sent)
        assert body["message"].startswith(f"{sent}: did you mean dryRun?")
    read = await client.get(f"{ORGANIZATIONS}/100003")
    assert (read.headers["ETag"], read.json()["description"]) == ('"1"', None)


async def test_misspelt_list_parameters_are_400_too(client: httpx.AsyncClient) -> None:
    for query in ("Limit=1", "OFFSET=1", "Sort=name"):
        response = await client.get(f"{ORGANIZATIONS}?{query}")

        assert response.status_code == 400, query
        assert response.json()["errorCode"] == "100002"
    assert (await client.get(f"{ORGANIZATIONS}?unknownParameter=1")).status_code == 200


async def test_a_dry_run_flag_sent_twice_alike_is_that_value(client: httpx.AsyncClient) -> None:
    response = await client.put(
        f"{ORGANIZATIONS}/100002?dryRun=true&dryRun=TRUE", json={"description": "not written"}
    )

    assert (response.status_code, response.json()["dryRun"]) == (200, True)
    assert (await client.get(f"{ORGANIZATIONS}/100002")).json()["description"] is None


async def test_a_dry_run_move_lists_the_changes_and_writes_nothing(
    client: httpx.AsyncClient,
) -> None:
    west = (await client.post(ORGANIZATIONS, json={"name": "West", "customerType": "OEM"})).json()
    response = await put(
        client, "100002", {"parentOrganization": {"id": west["id"]}}, params={"dryRun": "true"}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["dryRun"], body["id"], body["version"]) == (True, "100002", 1)
    assert {
        "organizationId": "100003",
        "field": "derivedCustomerType",
        "siteId": None,
        "before": "Enterprise",
        "after": "OEM",
    } in body["changes"]
    assert {
        "organizationId": "100002",
        "field": "derivedContract",
        "siteId": "siteUS",
        "before": "100010",
        "after": None,
    } in body["changes"]
    read = (await client.get(f"{ORGANIZATIONS}/100003")).json()
    assert [a["id"] for a in read["ancestorOrganizations"]] == ["100001", "100002"]


async def test_deactivate_and_reactivate_with_active(client: httpx.AsyncClient) -> None:
    off = await put(client, "100002", {"active": False})
    assert (off.status_code, off.json()["active"]) == (200, False)
    assert (await client.get(f"{ORGANIZATIONS}/100002")).json()["active"] is False
    child = await client.post(
        ORGANIZATIONS, json={"name": "Kid", "parentOrganization": {"id": "100002"}}
    )
    assert (child.status_code, child.json()["o:errorPath"]) == (400, "parentOrganization.id")
    on = await put(client, "100002", {"active": True})
    assert on.json()["active"] is True


async def test_site_values_go_to_the_x_ccsite_site(client: httpx.AsyncClient) -> None:
    contract = {
        "displayName": "East terms",
        "catalogId": "cloudCatalog",
        "priceListGroupId": "defaultPriceGroup",
    }
    response = await put(client, "100002", {"contract": contract}, headers={"x-ccsite": "site1"})
    assert response.json()["contract"]["displayName"] == "East terms"
    missing = await put(client, "100002", {"contract": {"displayName": "x"}})
    assert missing.status_code == 400
    assert {(e["errorCode"], e["o:errorPath"]) for e in missing.json()["errors"]} == {
        ("100073", "contract.catalogId"),
        ("100074", "contract.priceListGroupId"),
    }


async def test_invalid_bodies_are_400_and_unknown_ids_404(client: httpx.AsyncClient) -> None:
    bad = await put(client, "100002", {"dunsNumber": "12", "secondaryAddresses": []})
    assert bad.status_code == 400
    assert {e["o:errorPath"] for e in bad.json()["errors"]} == {"dunsNumber", "secondaryAddresses"}
    taken = await put(client, "100003", {"name": "Sample"})
    assert (taken.status_code, taken.json()["errorCode"]) == (409, "100005")
    unknown = await put(client, "999999", {"description": "x"})
    assert (unknown.status_code, unknown.json()["errorCode"]) == (404, "100001")
    undefined = await put(client, "100002", {"noSuchProperty": 1})
    assert (undefined.status_code, undefined.json()["o:errorPath"]) == (400, "noSuchProperty")


async def test_only_admins_put(anonymous_client: httpx.AsyncClient) -> None:
    response = await anonymous_client.put(f"{ORGANIZATIONS}/100002", json={"active": False})
    assert response.status_code == 401


async def test_a_number_property_beyond_a_double_is_400_on_post_and_put(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    async with make_sessionmaker(engine)() as session, session.begin():
        session.add(models.DynamicPropertyDefinition(id="score", data_type="number"))
    headers = {"content-type": "application/json"}

    created = await client.post(
        ORGANIZATIONS, content=b'{"name": "Huge", "score": 1e999}', headers=headers
    )
    updated = await client.put(
        f"{ORGANIZATIONS}/100002", content=b'{"score": -1e999}', headers=headers
    )

    for answer in (created, updated):
        assert answer.status_code == 400, answer.text
        assert (answer.json()["errorCode"], answer.json()["o:errorPath"]) == ("100002", "score")
    assert (await put(client, "100002", {"score": 1.5})).status_code == 200


async def test_an_empty_parent_object_is_refused_not_a_move_to_the_root(
    client: httpx.AsyncClient,
) -> None:
    refused = await put(client, "100003", {"parentOrganization": {}})

    assert refused.status_code == 400
    assert (refused.json()["errorCode"], refused.json()["o:errorPath"]) == (
        "100002",
        "parentOrganization",
    )
    unchanged = (await client.get(f"{ORGANIZATIONS}/100003")).json()
    assert unchanged["parentOrganization"]["repositoryId"] == "100002"
