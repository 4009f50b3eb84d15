"""Every error code of createOrganizationRequest.txt and updateOrganizationRequests.txt as the
REST caller sees it: HTTP status, errorModel code and ``o:errorPath``. Each rule the spec
leaves vague is pinned here as the README documents it."""

from __future__ import annotations

from typing import Any, NamedTuple

import httpx
import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.db import models
from rest.builders import ORGANIZATIONS
from rest.request_builders import (
    ADMIN_REQUESTS,
    STORE_REQUESTS,
    request_document,
    set_site,
    snapshot,
    submit,
    typed_address,
)


class Case(NamedTuple):
    doc: dict[str, Any]
    status: int
    code: str
    path: str | None


def _error(response: httpx.Response) -> tuple[int, str, str | None]:
    body = response.json()
    return response.status_code, body["errorCode"], body.get("o:errorPath")


def _without_profile_field(key: str) -> dict[str, Any]:
    document = request_document()
    del document["profile"][key]
    return document


def _with_address(*type_ids: str, types: object = None) -> dict[str, Any]:
    item = typed_address("Office", *type_ids)
    if types is not None:
        item["address"]["types"] = types
    return request_document(secondaryAddresses=[item])


ADDRESS = "organization.secondaryAddresses[0].address"

SUBMIT_CASES = {
    "name missing": Case({**request_document(), "name": None}, 400, "101001", "name"),
    "name too long": Case(request_document(name="n" * 255), 400, "00004", "name"),
    "profile missing": Case({**request_document(), "profile": None}, 400, "101001", "profile"),
    "email missing": Case(_without_profile_field("email"), 400, "101001", "profile.email"),
    "first name missing": Case(
        _without_profile_field("firstName"), 400, "101001", "profile.firstName"
    ),
    "last name missing": Case(
        _without_profile_field("lastName"), 400, "101001", "profile.lastName"
    ),
    "email not an email": Case(
        request_document(email="not-an-email"), 400, "101001", "profile.email"
    ),
    "unknown key": Case({**request_document(), "status": "approved"}, 400, "101001", "status"),
    "merchant-only organization key": Case(
        request_document(parentOrganization={"id": "100001"}),
        400,
        "101001",
        "organization.parentOrganization",
    ),
    "comments too long": Case(
        {**request_document(), "requesterComments": "c" * 1001}, 400, "00004", "requesterComments"
    ),
    "draft value too long": Case(
        request_document(description="d" * 1001), 400, "00004", "organization.description"
    ),
    "draft duns number": Case(
        request_document(dunsNumber="12345"), 400, "100023", "organization.dunsNumber"
    ),
    "draft organization type": Case(
        request_document(type="empire"), 400, "101001", "organization.type"
    ),
    "unknown address type id": Case(
        _with_address("ss-99999"), 400, "180104", f"{ADDRESS}.types[0].id"
    ),
    "address type without id": Case(
        _with_address(types=[{"displayName": "Billing"}]), 400, "100204", f"{ADDRESS}.types[0].id"
    ),
    "address type not an object": Case(
        _with_address(types=["ss-10002"]), 400, "180120", f"{ADDRESS}.types[0]"
    ),
    "address types not a list": Case(
        _with_address(types={"id": "ss-10002"}), 400, "180120", f"{ADDRESS}.types"
    ),
}


@pytest.mark.parametrize("case", SUBMIT_CASES.values(), ids=SUBMIT_CASES.keys())
async def test_submit_error(client: httpx.AsyncClient, case: Case) -> None:
    response = await client.post(STORE_REQUESTS, json=case.doc)

    assert _error(response) == (case.status, case.code, case.path)


async def test_submit_on_a_site_with_registration_disabled_is_101013(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await set_site(session, "site1", registration_requests_enabled=False)

    response = await client.post(
        STORE_REQUESTS, json=request_document(), headers={"x-ccsite": "site1"}
    )

    assert _error(response) == (400, "101013", None)


async def test_submit_on_a_site_that_is_not_b2b_is_101013(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await set_site(session, "siteUS", b2b=False)

    response = await client.post(STORE_REQUESTS, json=request_document())

    assert _error(response) == (400, "101013", None)


async def test_submit_on_a_site_that_is_not_enabled_is_101013(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """site2 of the demo data is a B2B site with registration requests on, but not enabled:
    a storefront that is not live takes no registrations (and nothing is stored)."""
    response = await client.post(
        STORE_REQUESTS, json=request_document(), headers={"x-ccsite": "site2"}
    )

    assert _error(response) == (400, "101013", None)
    listed = await client.get(ADMIN_REQUESTS)
    assert listed.json()["items"] == []


async def test_submit_to_an_unknown_site_is_101001(client: httpx.AsyncClient) -> None:
    response = await client.post(
        STORE_REQUESTS, json=request_document(), headers={"x-ccsite": "nowhere"}
    )

    assert _error(response) == (400, "101001", "x-ccsite")


async def test_submit_with_a_malformed_body_is_101001(client: httpx.AsyncClient) -> None:
    response = await client.post(
        STORE_REQUESTS, content=b"{", headers={"content-type": "application/json"}
    )

    assert _error(response) == (400, "101001", None)


async def test_a_refused_submission_stores_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    before = await snapshot(session)

    await client.post(STORE_REQUESTS, json=_with_address("ss-10002", "ss-99999"))

    assert await snapshot(session) == before


# ---------------------------------------------------------------- update

UPDATE_CASES = {
    "unknown key": Case({"siteId": "site1"}, 400, "101001", "siteId"),
    "status approved": Case({"status": "approved"}, 400, "101007", "status"),
    "status unknown": Case({"status": "pending"}, 400, "101007", "status"),
    "name cleared": Case({"name": None}, 400, "101001", "name"),
    "email cleared": Case({"profile": {"email": ""}}, 400, "101001", "profile.email"),
    "value too long": Case({"approverComments": "a" * 1001}, 400, "00004", "approverComments"),
    "duns number": Case(
        {"organization": {"dunsNumber": "12345678X"}}, 400, "100023", "organization.dunsNumber"
    ),
    "organization name empty": Case(
        {"organization": {"name": "  "}}, 400, "100012", "organization.name"
    ),
    "organization name null": Case(
        {"organization": {"name": None}}, 400, "100012", "organization.name"
    ),
    "address type value": Case(
        {"organization": {"secondaryAddresses": [typed_address("Office", "x" * 255)]}},
        400,
        "180120",
        "organization.secondaryAddresses[0].address.types[0].id",
    ),
    "address type id required": Case(
        {"organization": {"secondaryAddresses": [typed_address("Office", "")]}},
        400,
        "100204",
        "organization.secondaryAddresses[0].address.types[0].id",
    ),
    "unknown address type": Case(
        {"organization": {"secondaryAddresses": [typed_address("Office", "nope")]}},
        400,
        "180104",
        "organization.secondaryAddresses[0].address.types[0].id",
    ),
}


@pytest.mark.parametrize("case", UPDATE_CASES.values(), ids=UPDATE_CASES.keys())
async def test_update_error(client: httpx.AsyncClient, case: Case) -> None:
    request_id = await submit(client)

    response = await client.put(f"{ADMIN_REQUESTS}/{request_id}", json=case.doc)

    assert _error(response) == (case.status, case.code, case.path)


async def test_update_of_an_unknown_request_is_101000(client: httpx.AsyncClient) -> None:
    response = await client.put(f"{ADMIN_REQUESTS}/999999", json={"status": "review"})

    assert _error(response) == (404, "101000", "id")


@pytest.mark.parametrize("decision", ["approve", "reject"])
async def test_update_of_a_decided_request_is_101008(
    client: httpx.AsyncClient, decision: str
) -> None:
    request_id = await submit(client)
    await client.post(f"{ADMIN_REQUESTS}/{request_id}/{decision}")

    response = await client.put(f"{ADMIN_REQUESTS}/{request_id}", json={"status": "review"})

    assert _error(response) == (409, "101008", "status")


async def test_renaming_the_draft_to_an_existing_organization_is_100014(
    client: httpx.AsyncClient,
) -> None:
    request_id = await submit(client)

    response = await client.put(
        f"{ADMIN_REQUESTS}/{request_id}", json={"organization": {"name": " sample EAST"}}
    )

    assert _error(response) == (409, "100014", "organization.name")


async def _request_whose_profile_was_deleted(
    client: httpx.AsyncClient, session: AsyncSession
) -> str:
    """A request linked at submission to the demo profile, which is then deleted."""
    request_id = await submit(client, request_document(email="shelly.smith@example.com"))
    async with session.begin():
        await session.execute(delete(models.Profile).where(models.Profile.id == "110000"))
    return request_id


async def test_status_change_once_the_requesters_profile_is_deleted_is_101014(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    request_id = await _request_whose_profile_was_deleted(client, session)

    response = await client.put(f"{ADMIN_REQUESTS}/{request_id}", json={"status": "moreInfoNeeded"})

    assert _error(response) == (409, "101014", "profile")


async def test_other_changes_once_the_requesters_profile_is_deleted_are_101017(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    request_id = await _request_whose_profile_was_deleted(client, session)

    response = await client.put(
        f"{ADMIN_REQUESTS}/{request_id}", json={"requesterComments": "still here"}
    )

    assert _error(response) == (409, "101017", "profile")


async def test_approval_once_the_requesters_profile_is_deleted_is_101017(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    request_id = await _request_whose_profile_was_deleted(client, session)

    response = await client.post(f"{ADMIN_REQUESTS}/{request_id}/approve")

    assert _error(response) == (409, "101017", "profile")


async def test_rejection_once_the_requesters_profile_is_deleted_is_allowed(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    request_id = await _request_whose_profile_was_deleted(client, session)

    response = await client.post(f"{ADMIN_REQUESTS}/{request_id}/reject")

    assert (response.status_code, response.json()["status"]) == (200, "rejected")


# ---------------------------------------------------------------- approve, reject, read


@pytest.mark.parametrize("decision", ["approve", "reject"])
async def test_deciding_an_unknown_request_is_101000(
    client: httpx.AsyncClient, decision: str
) -> None:
    response = await client.post(f"{ADMIN_REQUESTS}/nope/{decision}")

    assert _error(response) == (404, "101000", "id")


@pytest.mark.parametrize(("first", "second"), [("approve", "reject"), ("reject", "approve")])
async def test_approved_and_rejected_are_final(
    client: httpx.AsyncClient, first: str, second: str
) -> None:
    request_id = await submit(client)
    await client.post(f"{ADMIN_REQUESTS}/{request_id}/{first}")

    response = await client.post(f"{ADMIN_REQUESTS}/{request_id}/{second}")

    assert _error(response) == (409, "101008", "status")


async def test_approval_with_an_unknown_key_is_101001(client: httpx.AsyncClient) -> None:
    request_id = await submit(client)

    response = await client.post(
        f"{ADMIN_REQUESTS}/{request_id}/approve", json={"parentOrganization": "100001"}
    )

    assert _error(response) == (400, "101001", "parentOrganization")


async def test_approval_whose_organization_name_is_taken_is_100014(
    client: httpx.AsyncClient,
) -> None:
    request_id = await submit(client)
    await client.post(ORGANIZATIONS, json={"name": "Oracle"})

    response = await client.post(f"{ADMIN_REQUESTS}/{request_id}/approve")

    assert _error(response) == (409, "100014", "organization.name")


async def test_reading_an_unknown_request_is_101000(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{ADMIN_REQUESTS}/nope%00")

    assert _error(response) == (404, "101000", "id")


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"expand": "profile,everything"}, "expand"),
        ({"status": "pending"}, "status"),
        ({"limit": "251"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"offset": str(2**63)}, "offset"),
    ],
)
async def test_bad_list_parameters_are_101001(
    client: httpx.AsyncClient, params: dict[str, str], path: str
) -> None:
    response = await client.get(ADMIN_REQUESTS, params=params)

    assert _error(response) == (400, "101001", path)


# ---------------------------------------------------------------- malformed documents

_ODD_VALUES: list[object] = [
    None,
    "",
    0,
    1.5,
    True,
    [],
    {},
    ["x"],
    [None],
    [{"id": 5}],
    {"id": None},
    "x" * 1100,
    "a\u0001b",
]


def _malformed_documents() -> list[dict[str, Any]]:
    """The sample request with one value, at any level, replaced by an odd one."""
    documents: list[dict[str, Any]] = []
    for value in _ODD_VALUES:
        documents.extend(
            {**request_document(), key: value}
            for key in ("name", "organization", "profile", "requesterComments", "status")
        )
        documents.extend(
            request_document(**{key: value})
            for key in ("name", "dunsNumber", "partyId", "type", "secondaryAddresses")
        )
        for key in ("email", "firstName", "partyId", "receiveEmail"):
            document = request_document()
            document["profile"][key] = value
            documents.append(document)
        for key in ("addressType", "address", "types", "city", "isDefaultBillingAddress"):
            item = typed_address("Office", "ss-10002")
            target = item if key in ("addressType", "address") else item["address"]
            target[key] = value
            documents.append(request_document(secondaryAddresses=[item]))
    return documents


async def test_no_malformed_document_gets_a_500_or_another_apis_code(
    client: httpx.AsyncClient,
) -> None:
    request_id = await submit(client)
    answers: set[tuple[int, str]] = set()

    for document in _malformed_documents():
        for response in (
            await client.post(STORE_REQUESTS, json=document),
            await client.put(f"{ADMIN_REQUESTS}/{request_id}", json=document),
        ):
            if response.status_code != 200:
                answers.add((response.status_code, response.json()["errorCode"]))

    assert {status for status, _ in answers} == {400}
    assert {code for _, code in answers} <= {
        "00004",
        "101001",
        "101007",
        "100012",
        "100023",
        "180104",
        "180120",
        "100204",
    }


@pytest.mark.parametrize("q", ['status eq "review"', ["", "x"]], ids=repr)
async def test_a_q_filter_on_the_list_is_refused_not_ignored(
    client: httpx.AsyncClient, q: str | list[str]
) -> None:
    # An ignored filter answered every request as if they matched.
    response = await client.get(ADMIN_REQUESTS, params={"q": q})

    body = response.json()
    assert (response.status_code, body["errorCode"], body.get("o:errorPath")) == (
        400,
        "101001",
        "q",
    )
    assert body["message"] == "q is not supported on organization requests: filter them by status"


async def test_a_blank_q_on_the_list_filters_nothing(client: httpx.AsyncClient) -> None:
    everything = (await client.get(ADMIN_REQUESTS)).json()

    response = await client.get(ADMIN_REQUESTS, params={"q": " "})

    assert response.status_code == 200, response.text
    assert response.json()["items"] == everything["items"]
