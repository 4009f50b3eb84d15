"""The addresses no path takes as an email (core.common.emails): invisible characters, forms
Unicode's NFKC would change, empty domain labels. Each path answers its own invalid-input
code at the email's path: contacts 100002, registration requests 101001; REST and GraphQL
alike. Internationalised addresses in NFC are taken."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from people_support import PROFILES, SHELLY

from graphql_client import GraphQL
from rest.request_builders import ADMIN_REQUESTS, STORE_REQUESTS, request_document, submit

REFUSED = {
    "zero-width space": "bob\u200b@example.com",
    "word joiner": "bob@exam\u2060ple.com",
    "right-to-left mark": "bob@example.com\u200f",
    "soft hyphen": "bo\u00adb@example.com",
    "variation selector": "bob\ufe0f@example.com",
    "Hangul filler": "bob\u3164@example.com",
    "no-break space": "bob\u00a0x@example.com",
    "fullwidth letters": "\uff42\uff4f\uff42@example.com",
    "Kelvin sign": "bob@\u212aey.example",
    "ligature": "\ufb01sh@example.com",
    "trailing dot": "bob@example.com.",
    "empty domain label": "bob@example..com",
    "no domain label": "bob@.example.com",
    # Where a name takes a non-joiner (between Arabic letters): an email never does.
    "non-joiner between Arabic letters": "\u0645\u06cc\u200c\u0647\u0646@example.com",
}
TAKEN = ("José.Núñez@example.com", "bob@bücher.example", "ΣΟΦΙΑΣ@example.gr")


def _error(response: httpx.Response) -> tuple[int, str, str | None]:
    body = response.json()
    return response.status_code, body["errorCode"], body.get("o:errorPath")


@pytest.mark.parametrize("email", REFUSED.values(), ids=REFUSED.keys())
async def test_rest_paths_refuse_the_address(client: httpx.AsyncClient, email: str) -> None:
    request_id = await submit(client)
    answers = {
        "create contact": await client.post(PROFILES, json={"email": email}),
        "update contact": await client.put(f"{PROFILES}/{SHELLY}", json={"email": email}),
        "submit request": await client.post(STORE_REQUESTS, json=request_document(email=email)),
        "update request": await client.put(
            f"{ADMIN_REQUESTS}/{request_id}", json={"profile": {"email": email}}
        ),
    }

    assert {path: _error(answer) for path, answer in answers.items()} == {
        "create contact": (400, "100002", "email"),
        "update contact": (400, "100002", "email"),
        "submit request": (400, "101001", "profile.email"),
        "update request": (400, "101001", "profile.email"),
    }


CREATE_CONTACT = """mutation($email: String!) {
  createContact(input: {email: $email}) { contact { id } userErrors { code field } } }"""
SUBMIT_REQUEST = """mutation($email: String!) {
  submitOrganizationRequest(input: {name: "Acme", profile: {
    email: $email, firstName: "Ada", lastName: "Byron"}}) { id userErrors { code field } } }"""


async def test_graphql_paths_refuse_every_such_address(graphql: GraphQL) -> None:
    answers: dict[str, Any] = {}
    for name, email in REFUSED.items():
        contact = await graphql.data(CREATE_CONTACT, {"email": email})
        request = await graphql.data(SUBMIT_REQUEST, {"email": email})
        answers[name] = (
            contact["createContact"]["userErrors"],
            request["submitOrganizationRequest"]["userErrors"],
        )

    refused = (
        [{"code": "100002", "field": "email"}],
        [{"code": "101001", "field": "profile.email"}],
    )
    assert answers == dict.fromkeys(REFUSED, refused)


async def test_internationalised_addresses_are_taken(client: httpx.AsyncClient) -> None:
    answers = [await client.post(PROFILES, json={"email": email}) for email in TAKEN]

    assert [(answer.status_code, answer.json().get("email")) for answer in answers] == [
        (201, email) for email in TAKEN
    ]
