"""Organization requests through the service: what submission stores, how profiles are
linked or created, what approval creates, and decisions under concurrency (interleavings
forced, as in test_concurrency.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from database_checks import backend_pid, wait_until_blocked_on_a_lock
from orgql.core.common.errors import ErrorKind, OrgqlError
from orgql.core.requests import service as organization_requests
from orgql.core.requests.service import EMAIL_CHECK_MESSAGE
from orgql.db import models, request_models
from orgql.db.engine import make_sessionmaker


def document(
    name: str = "Acme request", email: str = "ada@acme.example", **organization: Any
) -> dict[str, Any]:
    return {
        "name": name,
        "profile": {"email": email, "firstName": "Ada", "lastName": "Byron"},
        "organization": organization,
    }


def address(address_type: str, *type_ids: str, **fields: Any) -> dict[str, Any]:
    return {
        "addressType": address_type,
        "address": {
            "companyName": "Acme",
            "address1": "1 Main Street",
            "city": "Boston",
            "state": "MA",
            "postalCode": "02110",
            "country": "US",
            "phoneNumber": "617-555-0100",
            "types": [{"id": type_id} for type_id in type_ids],
            **fields,
        },
    }


async def submit(session: AsyncSession, doc: dict[str, Any] | None = None) -> str:
    submitted = await organization_requests.submit(session, doc or document())
    assert submitted.id is not None
    return submitted.id


async def request(session: AsyncSession, request_id: str) -> request_models.OrganizationRequest:
    row = await session.get(request_models.OrganizationRequest, request_id, populate_existing=True)
    assert row is not None
    return row


async def roles_of(session: AsyncSession, profile_id: str) -> list[tuple[str, str]]:
    role = models.RelativeRole
    rows = await session.execute(
        select(role.organization_id, role.function)
        .join(models.ProfileRole, models.ProfileRole.role_id == role.id)
        .where(models.ProfileRole.profile_id == profile_id)
        .order_by(role.organization_id, role.function)
    )
    return [(organization_id, function) for organization_id, function in rows]


# ---------------------------------------------------------------- submit


async def test_submission_is_in_review_on_the_default_site(session: AsyncSession) -> None:
    row = await request(session, await submit(session))

    assert (row.status, row.site_id, row.profile_id, row.profile_linked) == (
        "review",
        "siteUS",
        None,
        False,
    )


async def test_an_unnamed_draft_organization_takes_the_requests_name(
    session: AsyncSession,
) -> None:
    row = await request(session, await submit(session, document(name="  Acme Corp ")))

    assert row.organization_draft == {"name": "Acme Corp"}


async def test_the_draft_is_stored_in_canonical_form(session: AsyncSession) -> None:
    doc = document(
        name="Acme",
        description="  Tools  ",
        partyId=42,
        secondaryAddresses=[address("HQ", "ss-10002", externalAddressId="E-1")],
    )

    row = await request(session, await submit(session, doc))

    assert row.organization_draft == {
        "name": "Acme",
        "description": "Tools",
        "partyId": "42",
        "secondaryAddresses": [
            {
                "addressType": "HQ",
                "address": {
                    "companyName": "Acme",
                    "address1": "1 Main Street",
                    "city": "Boston",
                    "state": "MA",
                    "postalCode": "02110",
                    "country": "US",
                    "phoneNumber": "617-555-0100",
                    "externalAddressId": "E-1",
                    "types": [{"id": "ss-10002"}],
                },
            }
        ],
    }


async def test_submission_links_the_profile_with_the_email_in_any_case(
    session: AsyncSession,
) -> None:
    row = await request(session, await submit(session, document(email=" SHELLY.Smith@example.com")))

    assert (row.profile_id, row.profile_linked) == ("110000", True)


async def test_with_the_email_check_on_submission_answers_only_the_message(
    session: AsyncSession,
) -> None:
    await session.execute(
        update(models.Site)
        .where(models.Site.id == "siteUS")
        .values(enable_profile_registration_email_check=True)
    )

    submitted = await organization_requests.submit(session, document())

    assert (submitted.id, submitted.message) == (None, EMAIL_CHECK_MESSAGE)
    stored = await session.scalar(select(request_models.OrganizationRequest.name))
    assert stored == "Acme request"


# ---------------------------------------------------------------- update


async def test_changing_the_email_links_the_profile_with_the_new_email(
    session: AsyncSession,
) -> None:
    request_id = await submit(session)

    row = await organization_requests.update(
        session, request_id, {"profile": {"email": "shelly.smith@example.com"}}
    )

    assert (row.profile_email, row.profile_id, row.profile_linked) == (
        "shelly.smith@example.com",
        "110000",
        True,
    )


async def test_changing_the_email_to_an_unknown_one_unlinks_the_profile(
    session: AsyncSession,
) -> None:
    request_id = await submit(session, document(email="shelly.smith@example.com"))

    row = await organization_requests.update(
        session, request_id, {"profile": {"email": "someone.else@example.com"}}
    )

    assert (row.profile_id, row.profile_linked) == (None, False)


async def test_an_update_leaves_the_fields_it_does_not_name(session: AsyncSession) -> None:
    request_id = await submit(session, document(description="Tools", type="company"))

    row = await organization_requests.update(
        session, request_id, {"organization": {"type": None}, "requesterComments": "More"}
    )

    assert (row.organization_draft, row.requester_comments, row.name) == (
        {"name": "Acme request", "description": "Tools"},
        "More",
        "Acme request",
    )
    assert row.updated_at >= row.created_at


# ---------------------------------------------------------------- approve


async def test_approval_creates_the_profile_from_the_draft_profile(session: AsyncSession) -> None:
    doc = document()
    doc["profile"].update(customerContactId="CRM-1", partyId=7, receiveEmail="yes")
    request_id = await submit(session, doc)

    row = await organization_requests.approve(session, request_id, {})

    assert row.profile_id is not None
    profile = await session.get(models.Profile, row.profile_id)
    assert profile is not None
    assert (
        profile.email,
        profile.first_name,
        profile.last_name,
        profile.customer_contact_id,
        profile.party_id,
        profile.receive_email,
        profile.active,
    ) == ("ada@acme.example", "Ada", "Byron", "CRM-1", "7", True, True)


async def test_approval_links_a_profile_registered_after_submission(
    session: AsyncSession,
) -> None:
    request_id = await submit(session)
    session.add(models.Profile(id="PX1", email="Ada@Acme.example", receive_email=False))
    await session.flush()

    row = await organization_requests.approve(session, request_id, {})

    assert row.profile_id == "PX1"


async def test_approval_links_a_profile_whose_email_python_lowers_differently(
    session: AsyncSession,
) -> None:
    # A final sigma: Python's lower() and PostgreSQL's (the unique email key's) differ.
    request_id = await submit(session, document(email="ΣΟΦΙΑΣ@acme.example"))
    session.add(models.Profile(id="PX2", email="ΣΟΦΙΑΣ@acme.example", receive_email=False))
    await session.flush()

    row = await organization_requests.approve(session, request_id, {})

    assert row.profile_id == "PX2"


async def test_approval_makes_the_profile_a_member_with_the_admin_and_buyer_roles(
    session: AsyncSession,
) -> None:
    request_id = await submit(session, document(email="shelly.smith@example.com"))

    row = await organization_requests.approve(session, request_id, {"approverComments": "ok"})

    assert row.organization_id is not None
    member = await session.get(models.OrganizationMember, (row.organization_id, "110000"))
    assert member is not None
    # The demo profile keeps its admin role in 100001.
    assert await roles_of(session, "110000") == [
        ("100001", "admin"),
        (row.organization_id, "admin"),
        (row.organization_id, "buyer"),
    ]
    assert (row.status, row.approver_comments, row.profile_id) == ("approved", "ok", "110000")


async def test_approved_addresses_keep_their_external_ids_and_address_types(
    session: AsyncSession,
) -> None:
    doc = document(
        secondaryAddresses=[
            address(
                "HQ", "ss-10001", "ss-10002", externalAddressId="E-1", isDefaultBillingAddress=True
            ),
            address("Dock"),
        ]
    )
    request_id = await submit(session, doc)

    row = await organization_requests.approve(session, request_id, {"partyNumber": "P-1"})

    organization = await session.get(models.Organization, row.organization_id)
    addresses = (
        await session.scalars(
            select(models.Address)
            .where(models.Address.organization_id == row.organization_id)
            .order_by(models.Address.address_type)
        )
    ).all()
    links = await session.execute(
        select(
            request_models.AddressTypeLink.address_id,
            request_models.AddressTypeLink.address_type_id,
        ).order_by(request_models.AddressTypeLink.address_type_id)
    )
    assert organization is not None
    assert (organization.name, organization.party_number) == ("Acme request", "P-1")
    assert [(a.address_type, a.external_address_id) for a in addresses] == [
        ("Dock", None),
        ("HQ", "E-1"),
    ]
    assert organization.billing_address_id == addresses[1].id
    assert links.all() == [(addresses[1].id, "ss-10001"), (addresses[1].id, "ss-10002")]


async def test_approval_rechecks_the_address_types(session: AsyncSession) -> None:
    request_id = await submit(session, document(secondaryAddresses=[address("HQ", "ss-10001")]))
    await session.execute(
        update(request_models.AddressType)
        .where(request_models.AddressType.id == "ss-10001")
        .values(id="gone")
    )

    with pytest.raises(OrgqlError) as caught:
        await organization_requests.approve(session, request_id, {})

    assert (caught.value.code, caught.value.field) == (
        "180104",
        "organization.secondaryAddresses[0].address.types[0].id",
    )


@pytest.mark.parametrize("decide", [organization_requests.approve, organization_requests.reject])
async def test_the_database_refuses_to_change_a_decided_request(
    session: AsyncSession, decide: Any
) -> None:
    request_id = await submit(session)
    await decide(session, request_id, {})

    with pytest.raises(IntegrityError) as caught:
        await session.execute(
            update(request_models.OrganizationRequest)
            .where(request_models.OrganizationRequest.id == request_id)
            .values(status="review")
        )

    cause = caught.value.orig.__cause__  # type: ignore[union-attr]
    assert getattr(cause, "constraint_name", None) == "ck_organization_requests_final"


async def test_deleting_the_profile_of_an_approved_request_keeps_the_request(
    session: AsyncSession,
) -> None:
    request_id = await submit(session, document(email="shelly.smith@example.com"))
    await organization_requests.approve(session, request_id, {})

    await session.execute(delete(models.Profile).where(models.Profile.id == "110000"))

    row = await request(session, request_id)
    assert (row.status, row.profile_id, row.profile_linked) == ("approved", None, True)


# ---------------------------------------------------------------- concurrency


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


async def _submitted(
    sessions: async_sessionmaker[AsyncSession], *docs: dict[str, Any]
) -> list[str]:
    async with sessions() as session, session.begin():
        return [await submit(session, doc) for doc in docs]


async def test_an_approval_waits_for_a_concurrent_one_and_then_is_refused(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    (request_id,) = await _submitted(sessions, document())
    async with sessions() as first, sessions() as second:
        second_pid = await backend_pid(second)
        await organization_requests.approve(first, request_id, {})

        async def late_approval() -> request_models.OrganizationRequest:
            return await organization_requests.approve(second, request_id, {})

        late = asyncio.create_task(late_approval())
        await wait_until_blocked_on_a_lock(engine, second_pid)
        await first.commit()
        with pytest.raises(OrgqlError) as caught:
            await late
        await second.rollback()

    assert (caught.value.code, caught.value.kind) == ("101008", ErrorKind.CONFLICT)
    async with sessions() as reader:
        names = await reader.scalars(
            select(models.Organization.name).where(models.Organization.name == "Acme request")
        )
        assert names.all() == ["Acme request"]


async def test_concurrent_approvals_of_two_requests_with_one_email_share_one_profile(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    first_id, second_id = await _submitted(
        sessions, document(name="Acme East"), document(name="Acme West", email="ADA@acme.example")
    )
    async with sessions() as first, sessions() as second:
        second_pid = await backend_pid(second)
        approved_first = await organization_requests.approve(first, first_id, {})

        async def second_approval() -> request_models.OrganizationRequest:
            # Its profile insert meets the first's uncommitted profile and waits for it.
            row = await organization_requests.approve(second, second_id, {})
            await second.commit()
            return row

        approving = asyncio.create_task(second_approval())
        await wait_until_blocked_on_a_lock(engine, second_pid)
        await first.commit()
        approved_second = await approving

    assert approved_first.profile_id == approved_second.profile_id
    async with sessions() as reader:
        profiles = await reader.scalars(
            select(models.Profile.id).where(models.Profile.email_key == "ada@acme.example")
        )
        assert profiles.all() == [approved_first.profile_id]
