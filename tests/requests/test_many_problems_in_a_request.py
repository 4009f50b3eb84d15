"""A request's draft with more problems than an error lists (core.common.errors.MAX_DETAILS):
submitting it, or approving one stored before a rule, answers the first ones and the count of
all the rest, as createOrganization does. The draft's problems are the organization parser's
put in the request API's words (core.requests.draft.request_detail), then the approval's
(core.requests.approval_checks); each wrapping keeps the parser's count of the rest instead of
taking it for one more problem ("and 1 more problems")."""

from __future__ import annotations

import json
from typing import Any

import httpx
from legacy_requests import REQUEST, approval_state
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from orgql.core.common.errors import MAX_DETAILS
from rest.request_builders import ADMIN_REQUESTS, STORE_REQUESTS, request_document, typed_address

#: Addresses whose nickname holds a character a reader does not see: one problem each.
MANY = 80
ADDRESSES = [typed_address(f"Office {index}\u200b") for index in range(MANY)]


def _listed(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 400, response.text
    errors: list[dict[str, Any]] = response.json()["errors"]
    assert len(errors) == MAX_DETAILS + 1
    assert [e["o:errorPath"] for e in errors[:MAX_DETAILS]] == [
        f"organization.secondaryAddresses[{index}].addressType" for index in range(MAX_DETAILS)
    ]
    return errors


async def test_a_submitted_draft_answers_the_count_of_all_the_rest(
    anonymous_client: httpx.AsyncClient,
) -> None:
    document = request_document(secondaryAddresses=ADDRESSES)

    errors = _listed(await anonymous_client.post(STORE_REQUESTS, json=document))

    assert errors[-1] == {
        "errorCode": "101001",
        "message": f"and {MANY - MAX_DETAILS} more problems",
        "status": "400",
    }


async def test_an_approval_of_a_stored_draft_answers_the_count_of_all_the_rest(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    async with engine.begin() as connection:  # stored before the rule on nicknames
        await connection.execute(
            text(
                "INSERT INTO organization_requests (id, name, site_id, organization_draft,"
                " profile_email, profile_first_name, profile_last_name) VALUES (:id, 'Acme',"
                " 'siteUS', CAST(:draft AS jsonb), 'ada@acme.example', 'Ada', 'Byron')"
            ),
            {"id": REQUEST, "draft": json.dumps({"name": "Acme", "secondaryAddresses": ADDRESSES})},
        )
    before = await approval_state(engine)

    errors = _listed(await client.post(f"{ADMIN_REQUESTS}/{REQUEST}/approve", json={}))

    assert errors[-1] == {
        "errorCode": "101001",
        "message": f"and {MANY - MAX_DETAILS} more problems",
        "status": "400",
    }
    assert await approval_state(engine) == before
