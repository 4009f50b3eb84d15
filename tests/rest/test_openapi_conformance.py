"""Real answers of every REST route, successes and errors, conform to the OpenAPI document
that is generated from the shapes the renderers build (``rest/**/*shapes.py``)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from orgql.core.access import app_keys
from orgql.db.engine import make_sessionmaker
from rest.conformance import Conformance
from rest.request_builders import ADMIN_REQUESTS, STORE_REQUESTS, request_document, set_site

ORGANIZATIONS = "/ccadmin/v1/organizations"
STORE_ORGANIZATIONS = "/ccstore/v1/organizations"
EXPAND_ALL = "profileAll,organizationAll,organizationAddresses,requestAll"
TOO_LARGE = b'{"name": "' + b"a" * (1024 * 1024) + b'"}'
SITE_PROPERTIES_SAMPLE = json.loads(
    (
        Path(__file__).parent / "data" / "updateSiteOrganizationProperties_sample_request.json"
    ).read_text()
)

Send = Callable[..., Awaitable[httpx.Response]]


@pytest.fixture
def conformance() -> Conformance:
    return Conformance()


@pytest.fixture
async def app_key(engine: AsyncEngine) -> str:
    async with make_sessionmaker(engine)() as session, session.begin():
        _, key = await app_keys.create_app_key(session, "conformance")
    return key


def checked(client: httpx.AsyncClient, conformance: Conformance) -> Send:
    async def send(method: str, url: str, **kwargs: Any) -> httpx.Response:
        return conformance.check(await client.request(method, url, **kwargs))

    return send


def draft(name: str) -> dict[str, Any]:
    """A registration whose draft organization is named after it (not the sample's)."""
    document = request_document(name)
    document["organization"]["name"] = f"{name} Inc"
    return document


async def organizations(send: Send, anonymous: Send, sample_request: dict[str, Any]) -> None:
    """Create (the vendor's sample, with its dynamic property), list, read: 200, 400, 401,
    404, 409, 413."""
    created = (await send("POST", ORGANIZATIONS, json=sample_request)).json()
    await send("POST", ORGANIZATIONS, json=sample_request)  # the same name: 409
    await send("POST", ORGANIZATIONS, json={"name": ""})
    await send("POST", ORGANIZATIONS, content=b"[1]", headers={"content-type": "application/json"})
    await send("POST", ORGANIZATIONS, content=TOO_LARGE)
    await anonymous("POST", ORGANIZATIONS, json={"name": "Anonymous"})
    await send("GET", ORGANIZATIONS)
    await send("GET", ORGANIZATIONS, params={"limit": 2, "offset": 1, "q": 'name sw "A"'})
    await send("GET", ORGANIZATIONS, params={"q": 'name xx "A"'})
    await send("GET", ORGANIZATIONS, params={"q": 'type eq "division" or active eq false'})
    await send("GET", ORGANIZATIONS, params={"sort": "name:desc,type"})
    await send("GET", ORGANIZATIONS, params={"sort": "colour"})
    for organization_id in (created["id"], "100001", "100002"):
        await send("GET", f"{ORGANIZATIONS}/{organization_id}")
        await send("GET", f"{ORGANIZATIONS}/{organization_id}", headers={"x-ccsite": "site2"})
        await send("GET", f"{STORE_ORGANIZATIONS}/{organization_id}")
    await send("GET", f"{ORGANIZATIONS}/nobody")
    await send("GET", f"{ORGANIZATIONS}/100001", headers={"x-ccsite": "noSuchSite"})
    await send("GET", f"{STORE_ORGANIZATIONS}/nobody")
    await anonymous("GET", f"{STORE_ORGANIZATIONS}/100001")
    await anonymous("GET", f"{ORGANIZATIONS}/100001")

    assert created["dynamicProperty1"] is not None  # the open part of the shape is exercised


async def organization_addresses(send: Send, anonymous: Send) -> None:
    """An address added, read, updated and deleted; each refused (400, 401, 404)."""
    addresses = f"{ORGANIZATIONS}/100002/secondaryAddresses"
    address = {
        "companyName": "Sample",
        "address1": "1 Main Street",
        "city": "Boston",
        "state": "MA",
        "postalCode": "02110",
        "country": "US",
        "phoneNumber": "617-555-0100",
        "types": [{"id": "ss-10002"}],
        "isDefaultBillingAddress": True,
    }
    added = (await send("POST", addresses, json={"addressType": "HQ", "address": address})).json()
    one = f"{addresses}/{added['repositoryId']}"
    await send("POST", addresses, json={"addressType": "HQ"})
    await send("POST", f"{ORGANIZATIONS}/nobody/secondaryAddresses", json={})
    await anonymous("POST", addresses, json={"addressType": "HQ", "address": address})
    await send("GET", one)
    await send("GET", f"{addresses}/nothing")
    await send("PUT", one, json={"address": {"city": "Salem", "isDefaultBillingAddress": False}})
    await send("PUT", one, json={"address": {"city": None}})
    await send("PUT", f"{addresses}/nothing", json={})
    await send("DELETE", one)
    await send("DELETE", one)


async def site_properties_and_financial(send: Send) -> None:
    """Site properties written (the vendor's sample) and read both ways; the demo party's
    financial sync; their 400, 404, 409 and 413 answers."""
    sample = SITE_PROPERTIES_SAMPLE
    update = f"{ORGANIZATIONS}/100001/updateSiteOrganizationProperties"
    read = f"{ORGANIZATIONS}/{{}}/siteOrganizationProperties"
    sync = f"{ORGANIZATIONS}/{{}}/syncFinancialData"

    await send("POST", update, json=sample)
    await send("POST", update, json={"siteOrganizationProperties": []})
    await send("POST", f"{ORGANIZATIONS}/nobody/updateSiteOrganizationProperties", json=sample)
    await send("POST", update, content=TOO_LARGE)
    for organization_id in ("100001", "100002"):
        await send("GET", read.format(organization_id))
        await send("GET", read.format(organization_id), params={"allSites": "false"})
    await send("GET", read.format("100001"), params={"allSites": "maybe"})
    await send("GET", read.format("nobody"))
    await send("GET", f"{ORGANIZATIONS}/100002")  # the contracts just set, rendered
    await send("POST", sync.format("100001"), json={})
    await send("POST", sync.format("100001"))
    await send("POST", sync.format("100001"), json={"businessUnitId": "one"})
    await send("POST", sync.format("nobody"), json={})
    await send("POST", sync.format("100001"), content=TOO_LARGE)
    created = (await send("POST", ORGANIZATIONS, json={"name": "No party"})).json()
    await send("POST", sync.format(created["id"]), json={})  # no partyId: 409


async def organization_requests(send: Send, anonymous: Send, session: AsyncSession) -> None:
    """Registration (with and without the email check), every expand, update, approve and
    reject, and their refusals."""

    first = (await anonymous("POST", STORE_REQUESTS, json=draft("First"))).json()
    second = (await anonymous("POST", STORE_REQUESTS, json=draft("Second"))).json()
    await anonymous("POST", STORE_REQUESTS, json={"name": "No profile"})
    await anonymous("POST", STORE_REQUESTS, content=TOO_LARGE)
    await set_site(session, "siteUS", enable_profile_registration_email_check=True)
    await anonymous("POST", STORE_REQUESTS, json=request_document("Third", "new@example.com"))
    for expand in ("", EXPAND_ALL, "profile", "organization"):
        params = {"expand": expand} if expand else {}
        await send("GET", ADMIN_REQUESTS, params=params)
        await send("GET", f"{ADMIN_REQUESTS}/{first['id']}", params=params)
    await send("GET", ADMIN_REQUESTS, params={"status": "review", "limit": 1, "offset": 1})
    await send("GET", ADMIN_REQUESTS, params={"expand": "everything"})
    await send("GET", ADMIN_REQUESTS, params={"limit": "many"})
    await send("GET", f"{ADMIN_REQUESTS}/nothing")
    await anonymous("GET", ADMIN_REQUESTS)
    one = f"{ADMIN_REQUESTS}/{first['id']}"
    await send("PUT", one, json={"requesterComments": "More", "status": "moreInfoNeeded"})
    await send("PUT", one, params={"expand": EXPAND_ALL}, json={"approverComments": "Why?"})
    await send("PUT", one, json={"status": "approved"})
    await send("PUT", one, json={"colour": "red"})
    await send("PUT", f"{ADMIN_REQUESTS}/nothing", json={"requesterComments": "x"})
    await send("PUT", one, content=TOO_LARGE)
    await send("POST", f"{one}/approve", params={"expand": EXPAND_ALL}, json={"partyNumber": "P"})
    await send("POST", f"{one}/approve")  # approved already: 409
    await send("POST", f"{one}/reject")
    await send("PUT", one, json={"requesterComments": "Too late"})
    await send("GET", one, params={"expand": EXPAND_ALL})
    await send("POST", f"{ADMIN_REQUESTS}/nothing/approve")
    await send("POST", f"{one}/approve", json={"colour": "red"})
    other = f"{ADMIN_REQUESTS}/{second['id']}"
    await send("POST", f"{other}/reject", json={"approverComments": "No"})
    await send("POST", f"{other}/reject")
    await send("POST", f"{ADMIN_REQUESTS}/nothing/reject")
    await send("POST", f"{other}/reject", content=TOO_LARGE)
    await set_site(session, "siteUS", enable_profile_registration_email_check=False)
    doomed = (await anonymous("POST", STORE_REQUESTS, json=draft("Doomed"))).json()
    await send("DELETE", f"{ADMIN_REQUESTS}/{doomed['id']}")
    await send("DELETE", f"{ADMIN_REQUESTS}/{doomed['id']}")  # gone: 404
    await send("DELETE", other)  # rejected: 409


async def login_refresh_idempotency_and_document(send: Send, anonymous: Send, app_key: str) -> None:
    """Login and refresh and their refusals, an Idempotency-Key replayed and misused, this
    document."""
    form = {"grant_type": "client_credentials"}
    bearer = {"Authorization": f"Bearer {app_key}"}

    token = (await anonymous("POST", "/ccadmin/v1/login", data=form, headers=bearer)).json()
    await anonymous("POST", "/ccadmin/v1/login", data={"grant_type": "password"}, headers=bearer)
    await anonymous("POST", "/ccadmin/v1/login", data=form, headers={"Authorization": "Bearer x"})
    await anonymous("POST", "/ccadmin/v1/login", data=form)
    await anonymous("POST", "/ccadmin/v1/login", content=TOO_LARGE, headers=bearer)
    admin = {"Authorization": f"Bearer {token['access_token']}"}
    await anonymous("POST", "/ccadmin/v1/refresh", headers=admin)
    await send("POST", "/ccadmin/v1/refresh")  # the suite's token has no application key: 401
    await anonymous("POST", "/ccadmin/v1/refresh")
    await anonymous("POST", "/ccadmin/v1/logout", headers=admin)
    await anonymous("POST", "/ccadmin/v1/logout", headers=admin)  # revoked: 401
    await anonymous("GET", "/ccadmin/v1/openapi.json")
    key = {"Idempotency-Key": "conformance-1"}
    await send("POST", ORGANIZATIONS, json={"name": "Once"}, headers=key)
    await send("POST", ORGANIZATIONS, json={"name": "Once"}, headers=key)  # replayed
    await send("POST", ORGANIZATIONS, json={"name": "Twice"}, headers=key)  # 422
    await send("POST", ORGANIZATIONS, json={"name": "Once"}, headers={"Idempotency-Key": "\x7f"})


async def organization_updates(send: Send) -> None:
    """PUT: an update, a dry-run move, and the refusals (stale version, bad input, taken
    name, unknown id)."""
    one = f"{ORGANIZATIONS}/100003"
    version = (await send("GET", one)).headers["etag"]
    await send("PUT", one, json={"description": "Updated"}, headers={"If-Match": version})
    await send("PUT", f"{one}?dryRun=true", json={"parentOrganization": None})
    await send("PUT", one, json={"description": "Stale"}, headers={"If-Match": version})  # 412
    await send("PUT", one, json={"type": "galaxy"})  # 400
    await send("PUT", one, json={"name": "Sample"})  # 409
    await send("PUT", f"{ORGANIZATIONS}/nope", json={"description": "x"})  # 404
    await send("PUT", one, content=TOO_LARGE)  # 413


async def webhook_subscriptions(send: Send, anonymous: Send) -> None:
    """Create, list, read, pause, delete a subscription, and their refusals."""
    hooks = "/ccadmin/v1/webhookSubscriptions"
    created = await send("POST", hooks, json={"url": "https://erp.example.com/hooks"})
    one = f"{hooks}/{created.json()['id']}"
    await send("POST", hooks, json={"url": "ftp://erp.example.com"})  # 400
    await send("POST", hooks, content=TOO_LARGE)  # 413
    await send("GET", hooks)
    await anonymous("GET", hooks)  # 401
    await send("GET", one)
    await send("PATCH", one, json={"active": False})
    await send("PATCH", one, json={"active": "no"})  # 400
    await send("DELETE", one)
    await send("GET", one)  # 404
    await send("PATCH", one, json={"active": True})  # 404
    await send("DELETE", one)  # 404


async def people(send: Send) -> None:
    """Profiles created, read, listed, updated, their organizations and roles changed, an
    organization's roles listed; and their refusals (400, 404, 409)."""
    profiles = "/ccadmin/v1/profiles"
    approver = {"roles": [{"function": "approver", "relativeTo": {"id": "100001"}}]}
    created = await send(
        "POST",
        profiles,
        json={"email": "conform@example.com", "parentOrganization": {"id": "100001"}},
    )
    one = f"{profiles}/{created.json()['id']}"
    await send("POST", profiles, json={"email": "CONFORM@example.com"})  # 409
    await send("POST", profiles, json={"email": "nope"})  # 400
    await send("GET", profiles, params={"email": "conform@example.com"})
    await send("GET", profiles, params={"limit": -1})  # 400
    await send("GET", one)
    await send("GET", f"{profiles}/nobody")  # 404
    await send("PUT", one, json={"firstName": "Con"})
    await send("PUT", one, json={"colour": "red"})  # 400
    await send("PUT", f"{profiles}/nobody", json={"firstName": "x"})  # 404
    await send("PUT", one, json={"email": "shelly.smith@example.com"})  # 409
    secondary = {"secondaryOrganizations": [{"id": "100002"}]}
    for operation in ("append", "replace", "remove"):
        url = f"{one}/{operation}SecondaryOrganizations"
        await send("POST", url, json=secondary)
        await send("POST", url, json={})  # 400
        await send("POST", f"{profiles}/nobody/{operation}SecondaryOrganizations", json=secondary)
    parent = f"{one}/updateParentOrganization"
    await send("POST", parent, json={"parentOrganization": {"id": "100001"}})
    await send("POST", parent, json={"parentOrganization": {"id": "nowhere"}})  # 400
    await send(
        "POST",
        f"{profiles}/nobody/updateParentOrganization",
        json={"parentOrganization": {"id": "100001"}},
    )
    await send("POST", f"{one}/addRoles", json=approver)
    await send("POST", f"{one}/addRoles", json={"roles": [{"function": "boss"}]})  # 400
    await send("POST", f"{profiles}/nobody/addRoles", json=approver)  # 404
    await send(
        "POST",
        f"{ORGANIZATIONS}/100001/updateSiteOrganizationProperties",
        json={
            "siteOrganizationProperties": [
                {"site": {"id": "siteUS"}, "properties": {"approvalRequired": True}}
            ]
        },
    )
    await send("POST", f"{one}/removeRoles", json=approver)  # the last approver: 409
    await send("PUT", one, json={"active": False})  # the last approver: 409
    await send(
        "POST",
        f"{one}/removeSecondaryOrganizations",
        json={"secondaryOrganizations": [{"id": "100001"}]},
    )
    await send("POST", f"{one}/removeRoles", json={"roles": []})
    await send("POST", f"{one}/removeRoles", json={})  # 400
    await send("POST", f"{profiles}/nobody/removeRoles", json=approver)  # 404
    await send("GET", f"{ORGANIZATIONS}/100001/organizationalRoles")
    await send("GET", f"{ORGANIZATIONS}/nowhere/organizationalRoles")  # 404


async def test_people_answers_conform(client: httpx.AsyncClient, conformance: Conformance) -> None:
    await people(checked(client, conformance))
    assert conformance.checked.total() == 35


async def test_organization_answers_conform(
    client: httpx.AsyncClient,
    anonymous_client: httpx.AsyncClient,
    conformance: Conformance,
    sample_request: dict[str, Any],
) -> None:
    send, anonymous = checked(client, conformance), checked(anonymous_client, conformance)
    await organizations(send, anonymous, sample_request)
    assert conformance.checked.total() > 20


async def test_site_property_and_financial_answers_conform(
    client: httpx.AsyncClient, conformance: Conformance
) -> None:
    await site_properties_and_financial(checked(client, conformance))
    assert conformance.checked.total() > 15


async def test_organization_request_answers_conform(
    client: httpx.AsyncClient,
    anonymous_client: httpx.AsyncClient,
    conformance: Conformance,
    session: AsyncSession,
) -> None:
    send, anonymous = checked(client, conformance), checked(anonymous_client, conformance)
    await organization_requests(send, anonymous, session)
    assert conformance.checked.total() > 30


async def test_login_refresh_idempotency_and_document_answers_conform(
    client: httpx.AsyncClient,
    anonymous_client: httpx.AsyncClient,
    conformance: Conformance,
    app_key: str,
) -> None:
    send, anonymous = checked(client, conformance), checked(anonymous_client, conformance)
    await login_refresh_idempotency_and_document(send, anonymous, app_key)
    assert conformance.checked.total() > 10


async def test_webhook_subscription_answers_conform(
    client: httpx.AsyncClient, anonymous_client: httpx.AsyncClient, conformance: Conformance
) -> None:
    send, anonymous = checked(client, conformance), checked(anonymous_client, conformance)
    await webhook_subscriptions(send, anonymous)
    assert conformance.checked.total() == 12


async def test_organization_address_answers_conform(
    client: httpx.AsyncClient, anonymous_client: httpx.AsyncClient, conformance: Conformance
) -> None:
    send, anonymous = checked(client, conformance), checked(anonymous_client, conformance)
    await organization_addresses(send, anonymous)
    assert conformance.checked.total() == 11


async def test_organization_update_answers_conform(
    client: httpx.AsyncClient, conformance: Conformance
) -> None:
    await organization_updates(checked(client, conformance))
    assert conformance.checked.total() == 8


async def test_every_operation_is_checked_with_a_success_and_an_error(
    client: httpx.AsyncClient,
    anonymous_client: httpx.AsyncClient,
    conformance: Conformance,
    sample_request: dict[str, Any],
    session: AsyncSession,
    app_key: str,
) -> None:
    """The scenarios above, run together, reach every documented operation with a success and
    at least one errorModel answer (the document's own route has no error answer)."""
    send, anonymous = checked(client, conformance), checked(anonymous_client, conformance)
    await organizations(send, anonymous, sample_request)
    await organization_addresses(send, anonymous)
    await site_properties_and_financial(send)
    await organization_requests(send, anonymous, session)
    await login_refresh_idempotency_and_document(send, anonymous, app_key)
    await webhook_subscriptions(send, anonymous)
    await organization_updates(send)
    await people(send)

    statuses: dict[tuple[str, str], set[str]] = {}
    for path, method, status in conformance.checked:
        statuses.setdefault((path, method), set()).add(status)
    documented = {
        (path, method) for path, item in conformance.document["paths"].items() for method in item
    }
    assert set(statuses) == documented
    successes = {"200", "201", "204"}
    assert [(op, seen) for op, seen in statuses.items() if not seen & successes] == []
    assert [
        op for op, seen in statuses.items() if seen <= successes and not op[0].endswith(".json")
    ] == []
    assert conformance.checked.total() >= 85
    assert {status for _, _, status in conformance.checked} >= {
        "200",
        "400",
        "401",
        "404",
        "409",
        "413",
        "422",
    }


async def test_a_key_the_shape_does_not_declare_or_a_missing_one_fails_the_check(
    client: httpx.AsyncClient, conformance: Conformance
) -> None:
    response = await client.get(f"{ORGANIZATIONS}/100001")
    body = response.json()
    assert conformance.problems(response) == []
    tampered = [
        {**body, "undeclared": 1},
        {key: value for key, value in body.items() if key != "derivedType"},
        {**body, "members": [{"repositoryId": "1", "extra": True}]},
        {**body, "active": None},
    ]

    for changed in tampered:
        answer = httpx.Response(200, json=changed, request=response.request)
        assert conformance.problems(answer) != [], changed
