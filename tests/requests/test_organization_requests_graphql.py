"""Organization requests through GraphQL: the review workflow to an approved organization,
drafts and the profile, the connection, userErrors, and the email check."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from graphql_client import GraphQL, address_input
from orgql.core.requests.service import EMAIL_CHECK_MESSAGE
from orgql.db import models

#: The id format is tests/graphql/test_node.py's; these compare ids with vendor ids.
pytestmark = pytest.mark.read_vendor_ids

SUBMIT = """
mutation Submit($input: SubmitOrganizationRequestInput!, $site: ID) {
  submitOrganizationRequest(input: $input, site: $site) {
    id
    message
    userErrors { code message field }
  }
}
"""

REQUEST_FIELDS = """
  id
  name
  status
  requesterComments
  approverComments
  site { id }
  profileDraft { email firstName lastName }
  organizationDraft {
    name
    dunsNumber
    secondaryAddresses { addressType address { city types { id displayName } } }
  }
  profile { id email firstName }
  organization {
    id
    name
    members { id email }
    relativeRoles { function }
    secondaryAddresses { addressType address { city } }
  }
"""

UPDATE = f"""
mutation Update($id: ID!, $input: UpdateOrganizationRequestInput!) {{
  updateOrganizationRequest(id: $id, input: $input) {{
    organizationRequest {{ {REQUEST_FIELDS} }}
    userErrors {{ code message field }}
  }}
}}
"""

APPROVE = f"""
mutation Approve($id: ID!, $input: ApproveOrganizationRequestInput) {{
  approveOrganizationRequest(id: $id, input: $input) {{
    organizationRequest {{ {REQUEST_FIELDS} }}
    userErrors {{ code message field }}
  }}
}}
"""

REJECT = """
mutation Reject($id: ID!, $input: RejectOrganizationRequestInput) {
  rejectOrganizationRequest(id: $id, input: $input) {
    organizationRequest { id status approverComments }
    userErrors { code message field }
  }
}
"""

REQUEST = f"query Request($id: ID!) {{ organizationRequest(id: $id) {{ {REQUEST_FIELDS} }} }}"

PAGE = """
query Page($status: OrganizationRequestStatus, $first: Int, $after: String) {
  organizationRequests(status: $status, first: $first, after: $after) {
    edges { cursor node { id name } }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}
"""


def submit_input(
    name: str = "Acme", email: str = "buyer@acme.example", **organization: Any
) -> dict[str, Any]:
    return {
        "name": name,
        "profile": {"email": email, "firstName": "Ada", "lastName": "Byron"},
        "organization": {"dunsNumber": "123456789", **organization},
        "requesterComments": "Please",
    }


async def _submit(graphql: GraphQL, input: dict[str, Any] | None = None) -> str:
    payload = (await graphql.data(SUBMIT, {"input": input or submit_input()}))[
        "submitOrganizationRequest"
    ]
    assert payload["userErrors"] == [], payload["userErrors"]
    request_id: str = payload["id"]
    return request_id


async def _mutate(
    graphql: GraphQL, document: str, name: str, variables: dict[str, Any]
) -> dict[str, Any]:
    payload: dict[str, Any] = (await graphql.data(document, variables))[name]
    return payload


async def test_a_request_goes_review_more_info_review_approved_and_its_results_are_readable(
    graphql: GraphQL,
) -> None:
    request_id = await _submit(graphql, submit_input(secondaryAddresses=[address_input("HQ")]))

    asked = await _mutate(
        graphql,
        UPDATE,
        "updateOrganizationRequest",
        {"id": request_id, "input": {"status": "MORE_INFO_NEEDED", "approverComments": "City?"}},
    )
    denver = address_input("HQ", city="Denver")
    denver["address"]["types"] = [{"id": "ss-10001"}]
    answered = await _mutate(
        graphql,
        UPDATE,
        "updateOrganizationRequest",
        {
            "id": request_id,
            "input": {"status": "REVIEW", "organization": {"secondaryAddresses": [denver]}},
        },
    )
    approved = await _mutate(
        graphql,
        APPROVE,
        "approveOrganizationRequest",
        {"id": request_id, "input": {"approverComments": "Welcome"}},
    )
    read = (await graphql.data(REQUEST, {"id": request_id}))["organizationRequest"]

    assert asked["organizationRequest"]["status"] == "MORE_INFO_NEEDED"
    assert answered["organizationRequest"]["status"] == "REVIEW"
    assert answered["organizationRequest"]["organizationDraft"]["secondaryAddresses"] == [
        {
            "addressType": "HQ",
            "address": {"city": "Denver", "types": [{"id": "ss-10001", "displayName": "Shipping"}]},
        }
    ]
    assert approved["userErrors"] == []
    assert read == approved["organizationRequest"]
    organization, profile = read["organization"], read["profile"]
    assert (read["status"], read["approverComments"]) == ("APPROVED", "Welcome")
    assert profile["email"] == "buyer@acme.example"
    assert (organization["name"], organization["members"]) == (
        "Acme",
        [{"id": profile["id"], "email": "buyer@acme.example"}],
    )
    assert organization["secondaryAddresses"] == [
        {"addressType": "HQ", "address": {"city": "Denver"}}
    ]
    organization_by_id = await graphql.data(
        "query($id: ID!) { organization(id: $id) { name } }", {"id": organization["id"]}
    )
    assert organization_by_id == {"organization": {"name": "Acme"}}


async def test_the_draft_and_profile_draft_are_what_was_submitted(graphql: GraphQL) -> None:
    request_id = await _submit(graphql)

    read = (await graphql.data(REQUEST, {"id": request_id}))["organizationRequest"]

    assert read == {
        "id": request_id,
        "name": "Acme",
        "status": "REVIEW",
        "requesterComments": "Please",
        "approverComments": None,
        "site": {"id": "siteUS"},
        "profileDraft": {"email": "buyer@acme.example", "firstName": "Ada", "lastName": "Byron"},
        "organizationDraft": {"name": "Acme", "dunsNumber": "123456789", "secondaryAddresses": []},
        "profile": None,
        "organization": None,
    }


async def test_a_known_email_links_the_existing_profile_at_submission(graphql: GraphQL) -> None:
    request_id = await _submit(graphql, submit_input(email="SHELLY.smith@example.com"))

    read = (await graphql.data(REQUEST, {"id": request_id}))["organizationRequest"]

    assert read["profile"] == {
        "id": "110000",
        "email": "shelly.smith@example.com",
        "firstName": "Shelly",
    }


async def test_reject_records_the_comments_and_later_decisions_are_user_errors(
    graphql: GraphQL,
) -> None:
    request_id = await _submit(graphql)

    rejected = await _mutate(
        graphql,
        REJECT,
        "rejectOrganizationRequest",
        {"id": request_id, "input": {"approverComments": "No"}},
    )
    approved = await _mutate(graphql, APPROVE, "approveOrganizationRequest", {"id": request_id})

    assert rejected == {
        "organizationRequest": {"id": request_id, "status": "REJECTED", "approverComments": "No"},
        "userErrors": [],
    }
    assert approved["organizationRequest"] is None
    assert [(e["code"], e["field"]) for e in approved["userErrors"]] == [("101008", "status")]


async def test_update_user_errors_name_the_input_fields(graphql: GraphQL) -> None:
    request_id = await _submit(graphql)

    payload = await _mutate(
        graphql,
        UPDATE,
        "updateOrganizationRequest",
        {
            "id": request_id,
            "input": {
                "status": "APPROVED",
                "organization": {"name": "", "dunsNumber": "1"},
                "profile": {"email": None},
            },
        },
    )

    assert payload["organizationRequest"] is None
    assert sorted((e["code"], e["field"]) for e in payload["userErrors"]) == [
        ("100012", "organization.name"),
        ("100023", "organization.dunsNumber"),
        ("101001", "profile.email"),
        ("101007", "status"),
    ]


async def test_a_failed_approval_is_a_user_error_and_changes_nothing(graphql: GraphQL) -> None:
    request_id = await _submit(graphql)
    await graphql.create_organization("ACME")

    payload = await _mutate(graphql, APPROVE, "approveOrganizationRequest", {"id": request_id})
    read = (await graphql.data(REQUEST, {"id": request_id}))["organizationRequest"]

    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("100014", "organization.name")
    ]
    assert (read["status"], read["profile"], read["organization"]) == ("REVIEW", None, None)
    count = await graphql.data('{ organizations(filter: {nameContains: "acme"}) { totalCount } }')
    assert count == {"organizations": {"totalCount": 1}}


async def test_unknown_request_reads_as_null(graphql: GraphQL) -> None:
    assert await graphql.data(REQUEST, {"id": "nope"}) == {"organizationRequest": None}


# ---------------------------------------------------------------- connection


async def test_requests_page_by_status_with_opaque_cursors(graphql: GraphQL) -> None:
    ids = [await _submit(graphql, submit_input(name=f"Acme {n}")) for n in range(3)]
    await graphql.data(REJECT, {"id": ids[1]})

    first = (await graphql.data(PAGE, {"status": "REVIEW", "first": 1}))["organizationRequests"]
    second = (
        await graphql.data(
            PAGE, {"status": "REVIEW", "first": 1, "after": first["pageInfo"]["endCursor"]}
        )
    )["organizationRequests"]

    assert [edge["node"]["id"] for edge in first["edges"] + second["edges"]] == [ids[0], ids[2]]
    assert (first["pageInfo"]["hasNextPage"], second["pageInfo"]["hasNextPage"]) == (True, False)
    assert (first["totalCount"], second["totalCount"]) == (2, 2)
    assert ids[0] not in first["pageInfo"]["endCursor"]


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"after": "bm9wZQ=="}, "after"),
        # "request:2020-01-01T00:00:00+00:00|" and a NUL: no request id PostgreSQL can take.
        ({"after": "cmVxdWVzdDoyMDIwLTAxLTAxVDAwOjAwOjAwKzAwOjAwfAA="}, "after"),
        ({"first": 101}, "first"),
    ],
)
async def test_bad_page_arguments_are_errors(
    graphql: GraphQL, variables: dict[str, Any], field: str
) -> None:
    result = await graphql.post(PAGE, variables)

    assert result["data"] is None
    assert result["errors"][0]["extensions"]["field"] == field


# ---------------------------------------------------------------- email check


async def test_with_the_email_check_submit_answers_only_the_message_for_any_email(
    graphql: GraphQL, session: AsyncSession
) -> None:
    async with session.begin():
        await session.execute(
            update(models.Site)
            .where(models.Site.id == "siteUS")
            .values(enable_profile_registration_email_check=True)
        )
    payloads = [
        (await graphql.data(SUBMIT, {"input": submit_input(name=f"Acme {email}", email=email)}))
        for email in ("shelly.smith@example.com", "new.person@example.com")
    ]

    assert (
        payloads[0]
        == payloads[1]
        == {
            "submitOrganizationRequest": {
                "id": None,
                "message": EMAIL_CHECK_MESSAGE,
                "userErrors": [],
            }
        }
    )


PAGE_WITH_EVERYTHING = """
query Page($first: Int) {
  organizationRequests(first: $first) {
    totalCount
    edges { node {
      site { id }
      profile { email }
      organization { name members { id } }
      organizationDraft { secondaryAddresses { address { types { displayName } } } }
    } }
  }
}
"""


async def test_a_page_of_requests_costs_the_statements_of_a_page_of_two(
    graphql: GraphQL, statement_counter: Any
) -> None:
    for n in range(10):
        typed = address_input("HQ")
        typed["address"]["types"] = [{"id": f"ss-1000{1 + n % 2}"}]
        request_id = await _submit(
            graphql,
            submit_input(
                name=f"Acme {n}", email=f"buyer{n}@acme.example", secondaryAddresses=[typed]
            ),
        )
        if n % 2:
            await graphql.data(APPROVE, {"id": request_id})
    costs: dict[int, int] = {}

    for first in (2, 10):
        statement_counter.reset()
        await graphql.data(PAGE_WITH_EVERYTHING, {"first": first})
        costs[first] = statement_counter.count

    assert costs[10] == costs[2]


async def test_an_unknown_site_is_named_as_the_caller_gave_it(graphql: GraphQL) -> None:
    """The ``site`` argument is ``site``; the x-ccsite header (no argument) keeps its name."""
    by_argument = await graphql.data(SUBMIT, {"input": submit_input(), "site": "nosite"})
    by_header = await graphql.data(
        SUBMIT, {"input": submit_input()}, headers={"x-ccsite": "nosite"}
    )

    message = "Site 'nosite' does not exist"
    assert by_argument["submitOrganizationRequest"] == {
        "id": None,
        "message": None,
        "userErrors": [{"code": "101001", "message": message, "field": "site"}],
    }
    assert by_header["submitOrganizationRequest"]["userErrors"] == [
        {"code": "101001", "message": message, "field": "x-ccsite"}
    ]
