"""Linking a registration request to a profile by email (core.common.emails): any case of the
same letters links, a look-alike address never does. PostgreSQL lowercases a dotted capital I
(U+0130) to "i", so ``shelly.sm\u0130th@example.com`` has the demo contact's unique key;
it is another mailbox, and must not make Shelly the admin of a stranger's account."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.errors import ErrorKind, OrgqlError
from orgql.core.requests import service as organization_requests
from orgql.db import models, request_models

#: The demo contact's email is shelly.smith@example.com (profile 110000).
LOOK_ALIKES = {
    "dotted capital I": "shelly.sm\u0130th@example.com",
    "Cyrillic a": "shelly.smith@ex\u0430mple.com",
}


def document(email: str) -> dict[str, Any]:
    return {
        "name": "Look-alike request",
        "profile": {"email": email, "firstName": "Ada", "lastName": "Byron"},
    }


async def submitted(session: AsyncSession, email: str) -> request_models.OrganizationRequest:
    request_id = (await organization_requests.submit(session, document(email))).id
    assert request_id is not None
    row = await session.get(request_models.OrganizationRequest, request_id)
    assert row is not None
    return row


@pytest.mark.parametrize("email", LOOK_ALIKES.values(), ids=LOOK_ALIKES.keys())
async def test_submission_links_no_profile_by_a_look_alike_email(
    session: AsyncSession, email: str
) -> None:
    row = await submitted(session, email)

    assert (row.profile_email, row.profile_id, row.profile_linked) == (email, None, False)


async def test_approval_refuses_an_email_whose_key_a_look_alike_profile_holds(
    session: AsyncSession,
) -> None:
    row = await submitted(session, "bob@\u0130bm.example")
    session.add(models.Profile(id="PX3", email="bob@ibm.example", receive_email=False))
    await session.flush()

    with pytest.raises(OrgqlError) as refused:
        await organization_requests.approve(session, row.id, {})

    error = refused.value
    assert (error.code, error.field, error.kind) == ("22003", "profile.email", ErrorKind.CONFLICT)


async def test_an_update_that_keeps_the_email_keeps_the_linked_profile(
    session: AsyncSession,
) -> None:
    # A final sigma: Python lowercases it to the final form, PostgreSQL (the stored key) does
    # not. The email is unchanged, so the link stays, though the profile's email changed since.
    session.add(models.Profile(id="PX4", email="ΣΟΦΙΑΣ@acme.example", receive_email=False))
    await session.flush()
    row = await submitted(session, "ΣΟΦΙΑΣ@acme.example")
    await session.execute(
        update(models.Profile).where(models.Profile.id == "PX4").values(email="sofia@acme.example")
    )

    row = await organization_requests.update(
        session, row.id, {"profile": {"email": "ΣΟΦΙΑΣ@acme.example"}}
    )

    assert (row.profile_id, row.profile_linked) == ("PX4", True)
