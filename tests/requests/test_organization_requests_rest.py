"""Organization requests over REST: the wire contract of createOrganizationRequest.txt and
updateOrganizationRequests.txt, expand, listing, approve and reject, the email check, and
concurrent decisions."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.db import models
from rest.builders import ORGANIZATIONS
from rest.request_builders import (
    ADMIN_REQUESTS,
    STORE_REQUESTS,
    request_document,
    sample,
    set_site,
    snapshot,
    submit,
    typed_address,
)

SELF = f"http://localhost:9080{STORE_REQUESTS}"

SAMPLE_PROFILE = {
    "id": None,
    "email": "user@example.com",
    "firstName": "First name",
    "lastName": "last name",
    "customerContactId": "CRMID_1",
    "partyId": None,
    "partyNumber": None,
    "receiveEmail": None,
}
SAMPLE_ORGANIZATION = {
    "id": None,
    "name": "Oracle",
    "description": "Some description",
    "type": "none",
    "customerType": "Standard",
    "dunsNumber": "123456789",
    "taxReferenceNumber": "TAXUQ12345",
    "vatReferenceNumber": "Vat123123",
    "uniqueId": "TestIDNumber",
    "externalOrganizationId": "EXT_ORG_1",
    "partyId": None,
    "partyNumber": "A42RA",
}


def _shape(document: object) -> object:
    """The keys of a JSON document, nested, without the values."""
    if isinstance(document, dict):
        return {key: _shape(value) for key, value in document.items()}
    if isinstance(document, list):
        return [_shape(item) for item in document]
    return None


async def _approve(client: httpx.AsyncClient, request_id: str, **body: Any) -> httpx.Response:
    return await client.post(f"{ADMIN_REQUESTS}/{request_id}/approve", json=body)


async def _roles_of(session: AsyncSession, profile_id: str) -> list[tuple[str, str]]:
    """(organization id, function) of every relative role the profile holds."""
    role = models.RelativeRole
    rows = await session.execute(
        select(role.organization_id, role.function)
        .join(models.ProfileRole, models.ProfileRole.role_id == role.id)
        .where(models.ProfileRole.profile_id == profile_id)
        .order_by(role.organization_id, role.function)
    )
    return [(organization_id, function) for organization_id, function in rows]


# ---------------------------------------------------------------- submit


async def test_sample_request_with_the_email_check_on_gives_the_sample_response(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await set_site(session, "siteUS", enable_profile_registration_email_check=True)
    expected = sample("createOrganizationRequest_sample_response")
    expected["links"][0]["href"] = SELF

    response = await client.post(
        STORE_REQUESTS, json=sample("createOrganizationRequest_sample_request")
    )

    assert response.status_code == 200
    assert response.json() == expected


async def test_sample_request_without_the_email_check_answers_the_new_request_id(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        STORE_REQUESTS, json=sample("createOrganizationRequest_sample_request")
    )

    body = response.json()
    assert response.status_code == 200
    assert body == {"links": [{"rel": "self", "href": SELF}], "id": body["id"]}
    assert (await client.get(f"{ADMIN_REQUESTS}/{body['id']}")).status_code == 200


async def test_submitted_sample_is_in_review_with_its_draft_profile_and_organization(
    client: httpx.AsyncClient,
) -> None:
    request_id = await submit(client, sample("createOrganizationRequest_sample_request"))

    response = await client.get(
        f"{ADMIN_REQUESTS}/{request_id}", params={"expand": "profile,organization"}
    )

    assert response.status_code == 200
    assert response.json() == {
        "approverComments": None,
        "relatedOrganizationName": None,
        "profile": SAMPLE_PROFILE,
        "organization": SAMPLE_ORGANIZATION,
        "name": "Sample org",
        "siteId": "siteUS",
        "id": request_id,
        "requesterComments": "Some comments",
        "status": "review",
    }


async def test_request_is_submitted_to_the_x_ccsite_site(client: httpx.AsyncClient) -> None:
    request_id = await submit(client, headers={"x-ccsite": "site1"})

    body = (await client.get(f"{ADMIN_REQUESTS}/{request_id}")).json()

    assert body["siteId"] == "site1"


async def test_email_check_answers_the_same_bytes_and_statements_for_known_and_new_emails(
    client: httpx.AsyncClient, session: AsyncSession, statement_counter: Any
) -> None:
    await set_site(session, "siteUS", enable_profile_registration_email_check=True)
    answers: list[tuple[int, bytes, int]] = []
    # The demo profile's email in another case, then an email no profile has.
    for email in ("Shelly.Smith@example.com", "nobody.yet@example.com"):
        statement_counter.reset()
        response = await client.post(STORE_REQUESTS, json=request_document(email=email))
        answers.append((response.status_code, response.content, statement_counter.count))

    assert answers[0] == answers[1]
    assert answers[0][0] == 200


# ---------------------------------------------------------------- update


async def test_update_sample_request_gives_the_sample_response_shape(
    client: httpx.AsyncClient,
) -> None:
    request_id = await submit(client, request_document(name="My account"))

    response = await client.put(
        f"{ADMIN_REQUESTS}/{request_id}", json=sample("updateOrganizationRequests_sample_request")
    )

    body = response.json()
    assert response.status_code == 200
    assert _shape(body) == _shape(sample("updateOrganizationRequests_sample_response"))
    assert (body["name"], body["status"], body["requesterComments"], body["siteId"]) == (
        "Sample org",
        "review",
        "Some comments",
        "siteUS",
    )


async def test_update_merges_the_draft_and_sets_the_status(client: httpx.AsyncClient) -> None:
    request_id = await submit(client)

    response = await client.put(
        f"{ADMIN_REQUESTS}/{request_id}",
        params={"expand": "organization"},
        json={
            "status": "moreInfoNeeded",
            "approverComments": "Which DUNS number?",
            "organization": {"dunsNumber": "987654320", "description": None},
        },
    )

    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["approverComments"]) == ("moreInfoNeeded", "Which DUNS number?")
    assert body["organization"] == {
        **SAMPLE_ORGANIZATION,
        "dunsNumber": "987654320",
        "description": None,
    }


async def test_expand_organization_addresses_names_the_address_types(
    client: httpx.AsyncClient,
) -> None:
    document = request_document(
        secondaryAddresses=[typed_address("Office", "ss-10002", externalAddressId="EXT-1")]
    )
    request_id = await submit(client, document)

    body = (
        await client.get(
            f"{ADMIN_REQUESTS}/{request_id}", params={"expand": "organizationAddresses"}
        )
    ).json()

    assert body["organization"]["secondaryAddresses"] == [
        {
            "addressType": "Office",
            "address": {
                "companyName": "Office Inc.",
                "firstName": None,
                "lastName": None,
                "address1": "1 Office Street",
                "address2": None,
                "address3": None,
                "city": "Boston",
                "state": "MA",
                "postalCode": "02110",
                "country": "US",
                "county": None,
                "phoneNumber": "617-555-0100",
                "externalAddressId": "EXT-1",
                "isDefaultBillingAddress": False,
                "isDefaultShippingAddress": False,
                "types": [{"displayName": "Billing", "repositoryId": "ss-10002", "id": "ss-10002"}],
            },
        }
    ]


async def test_expand_request_all_adds_the_request_dates(client: httpx.AsyncClient) -> None:
    request_id = await submit(client)

    body = (
        await client.get(f"{ADMIN_REQUESTS}/{request_id}", params={"expand": "requestAll"})
    ).json()

    assert body["creationDate"] == body["lastModifiedDate"]
    assert body["creationDate"].endswith("Z")


# ---------------------------------------------------------------- list


async def test_list_pages_with_limit_and_offset_oldest_first(client: httpx.AsyncClient) -> None:
    ids = [await submit(client, request_document(name=f"Request {n}")) for n in range(3)]

    body = (await client.get(ADMIN_REQUESTS, params={"limit": 2, "offset": 1})).json()

    assert [item["id"] for item in body["items"]] == ids[1:3]
    assert (body["totalResults"], body["offset"], body["limit"]) == (3, 1, 2)
    assert body["links"] == [
        {"rel": "self", "href": f"http://localhost:9080{ADMIN_REQUESTS}?limit=2&offset=1"}
    ]


async def test_list_filters_by_status(client: httpx.AsyncClient) -> None:
    first = await submit(client, request_document(name="First"))
    second = await submit(client, request_document(name="Second"))
    await client.post(f"{ADMIN_REQUESTS}/{first}/reject", json={})

    rejected = (await client.get(ADMIN_REQUESTS, params={"status": "rejected"})).json()
    in_review = (await client.get(ADMIN_REQUESTS, params={"status": "review"})).json()

    assert [item["id"] for item in rejected["items"]] == [first]
    assert [item["id"] for item in in_review["items"]] == [second]
    assert (rejected["totalResults"], in_review["totalResults"]) == (1, 1)


# ---------------------------------------------------------------- approve and reject


async def test_approval_creates_the_organization_readable_with_its_member_and_roles(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    document = request_document(
        secondaryAddresses=[typed_address("Office", "ss-10002", isDefaultBillingAddress=True)]
    )
    request_id = await submit(client, document)

    approved = await _approve(client, request_id, approverComments="Welcome", partyNumber="P-9")
    body = approved.json()
    organization = (await client.get(f"{ORGANIZATIONS}/{body['organization']['id']}")).json()
    # The REST organization body (the vendor's sample shape) has no partyNumber.
    party_number = await session.scalar(
        select(models.Organization.party_number).where(models.Organization.id == organization["id"])
    )

    assert approved.status_code == 200
    assert (body["status"], body["approverComments"]) == ("approved", "Welcome")
    assert body["profile"]["id"] is not None
    assert (organization["name"], party_number) == ("Oracle", "P-9")
    assert organization["members"] == [{"repositoryId": body["profile"]["id"]}]
    assert await _roles_of(session, body["profile"]["id"]) == [
        (organization["id"], "admin"),
        (organization["id"], "buyer"),
    ]
    assert [item["addressType"] for item in organization["secondaryAddresses"]] == ["Office"]
    assert organization["billingAddress"]["city"] == "Boston"


async def test_approval_with_an_empty_body_is_allowed(client: httpx.AsyncClient) -> None:
    request_id = await submit(client)

    response = await client.post(f"{ADMIN_REQUESTS}/{request_id}/approve")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["approverComments"]) == ("approved", None)


async def test_rejection_records_the_approver_comments(client: httpx.AsyncClient) -> None:
    request_id = await submit(client)

    response = await client.post(
        f"{ADMIN_REQUESTS}/{request_id}/reject", json={"approverComments": "Not a business"}
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["approverComments"]) == (
        "rejected",
        "Not a business",
    )
    assert response.json()["organization"] == {"id": None}


async def test_ten_concurrent_approvals_create_exactly_one_organization(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    request_id = await submit(client)
    before = await snapshot(session)

    responses = await asyncio.gather(*(_approve(client, request_id) for _ in range(10)))

    after = await snapshot(session)
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [409] * 9
    assert {r.json()["errorCode"] for r in responses if r.status_code == 409} == {"101008"}
    assert after["organizations"] == before["organizations"] + 1
    assert after["profiles"] == before["profiles"] + 1
    assert after["profile_roles"] == before["profile_roles"] + 2


async def test_concurrent_approve_and_reject_decide_once(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    request_id = await submit(client)

    approved, rejected = await asyncio.gather(
        _approve(client, request_id), client.post(f"{ADMIN_REQUESTS}/{request_id}/reject")
    )

    final = (await client.get(f"{ADMIN_REQUESTS}/{request_id}")).json()["status"]
    winner = approved if approved.status_code == 200 else rejected
    loser = rejected if winner is approved else approved
    assert (winner.status_code, loser.status_code) == (200, 409)
    assert loser.json()["errorCode"] == "101008"
    assert final == winner.json()["status"]
    organizations = await session.scalar(select(func.count()).select_from(models.Organization))
    assert organizations == (4 if final == "approved" else 3)


async def test_a_failed_approval_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    document = request_document(
        secondaryAddresses=[typed_address("Office", "ss-10002", externalAddressId="E-1")]
    )
    request_id = await submit(client, document)
    # The draft's name is taken after submission: the approval fails late, after the
    # profile has been created in its transaction.
    assert (await client.post(ORGANIZATIONS, json={"name": "ORACLE "})).status_code == 200
    before = await snapshot(session)

    response = await _approve(client, request_id, approverComments="ok")

    assert response.status_code == 409
    assert response.json()["errorCode"] == "100014"
    assert await snapshot(session) == before
