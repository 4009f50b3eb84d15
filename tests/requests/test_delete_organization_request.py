"""DELETE /ccadmin/v1/organizationRequests/{id} (deleteOrganizationRequest): only a request in
review is deleted; the others keep their codes (updateOrganizationRequests.txt)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.db.event_models import OutboxEvent
from rest.request_builders import ADMIN_REQUESTS, request_document, submit


async def test_a_request_in_review_is_deleted_and_gone(
    client: httpx.AsyncClient, anonymous_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    request_id = await submit(anonymous_client, request_document("Gone soon"))

    deleted = await client.delete(f"{ADMIN_REQUESTS}/{request_id}")

    assert (deleted.status_code, deleted.content) == (204, b"")
    read = await client.get(f"{ADMIN_REQUESTS}/{request_id}")
    assert (read.status_code, read.json()["errorCode"]) == (404, "101000")
    emitted = await session.execute(
        select(OutboxEvent.payload).where(OutboxEvent.type == "organizationRequest.deleted")
    )
    assert [payload for (payload,) in emitted] == [
        {"requestId": request_id, "organizationName": "Oracle"}
    ]


async def test_a_request_not_in_review_is_refused_and_kept(
    client: httpx.AsyncClient, anonymous_client: httpx.AsyncClient
) -> None:
    waiting = await submit(anonymous_client, request_document("Waiting", "w@example.com"))
    rejected = await submit(anonymous_client, request_document("Rejected", "r@example.com"))
    await client.put(f"{ADMIN_REQUESTS}/{waiting}", json={"status": "moreInfoNeeded"})
    await client.post(f"{ADMIN_REQUESTS}/{rejected}/reject", json={})

    answers = [
        await client.delete(f"{ADMIN_REQUESTS}/{waiting}"),
        await client.delete(f"{ADMIN_REQUESTS}/{rejected}"),
        await client.delete(f"{ADMIN_REQUESTS}/nothing"),
        await client.delete(f"{ADMIN_REQUESTS}/nul%00"),
    ]

    assert [(a.status_code, a.json()["errorCode"]) for a in answers] == [
        (409, "101007"),
        (409, "101008"),
        (404, "101000"),
        (404, "101000"),
    ]
    assert (await client.get(f"{ADMIN_REQUESTS}/{waiting}")).status_code == 200
    assert (await client.get(f"{ADMIN_REQUESTS}/{rejected}")).status_code == 200


async def test_a_delete_and_an_approval_at_once_leave_one_outcome(
    client: httpx.AsyncClient, anonymous_client: httpx.AsyncClient
) -> None:
    request_id = await submit(anonymous_client, request_document("Raced", "race@example.com"))

    deleted, approved = await asyncio.gather(
        client.delete(f"{ADMIN_REQUESTS}/{request_id}"),
        client.post(f"{ADMIN_REQUESTS}/{request_id}/approve", json={}),
    )

    outcomes = sorted([deleted.status_code, approved.status_code])
    assert outcomes in ([200, 409], [204, 404])


async def test_anonymous_callers_and_shoppers_cannot_delete(
    client: httpx.AsyncClient,
    anonymous_client: httpx.AsyncClient,
    shopper_client: Callable[[str], httpx.AsyncClient],
) -> None:
    request_id = await submit(anonymous_client, request_document("Kept"))
    async with shopper_client("110000") as shopper:
        answers = [
            await anonymous_client.delete(f"{ADMIN_REQUESTS}/{request_id}"),
            await shopper.delete(f"{ADMIN_REQUESTS}/{request_id}"),
        ]

    assert [a.status_code for a in answers] == [401, 401]
    assert (await client.get(f"{ADMIN_REQUESTS}/{request_id}")).status_code == 200


DELETE = """
mutation Delete($id: ID!) {
  deleteOrganizationRequest(id: $id) { deletedId userErrors { code field } }
}
"""


async def test_graphql_deletes_a_request_in_review_and_refuses_the_others(
    client: httpx.AsyncClient, anonymous_client: httpx.AsyncClient
) -> None:
    in_review = await submit(anonymous_client, request_document("In review", "a@example.com"))
    rejected = await submit(anonymous_client, request_document("Refused", "b@example.com"))
    await client.post(f"{ADMIN_REQUESTS}/{rejected}/reject", json={})

    answers = []
    for request_id in (in_review, rejected, "nothing"):
        body = (
            await client.post("/graphql", json={"query": DELETE, "variables": {"id": request_id}})
        ).json()
        answers.append(body["data"]["deleteOrganizationRequest"])

    assert answers == [
        {"deletedId": in_review, "userErrors": []},
        {"deletedId": None, "userErrors": [{"code": "101008", "field": "status"}]},
        {"deletedId": None, "userErrors": [{"code": "101000", "field": "id"}]},
    ]
    anonymous = await anonymous_client.post(
        "/graphql", json={"query": DELETE, "variables": {"id": rejected}}
    )
    assert anonymous.json()["data"] == {"deleteOrganizationRequest": None}
