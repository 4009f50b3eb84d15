"""GET /ccadmin/v1/organizations/{id}: one organization, with the values of one site."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from orgql.app import create_app
from orgql.settings import Settings
from rest.builders import ORGANIZATIONS

SAMPLE_HEADQUARTERS = {
    "country": "US",
    "phoneNumber": "617-555-0100",
    "address2": None,
    "city": "Boston",
    "address1": "1 Main Street",
    "postalCode": "02110",
    "companyName": "Sample",
    "repositoryId": "150001",
    "state": "MA",
}


async def test_unknown_id_is_404_with_code_100001(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{ORGANIZATIONS}/999999")

    assert response.status_code == 404
    entry = {
        "errorCode": "100001",
        "message": "Organization '999999' does not exist",
        "status": "404",
        "o:errorPath": "id",
    }
    assert response.json() == {**entry, "errors": [entry]}


async def test_id_holding_a_nul_character_is_404_not_500(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{ORGANIZATIONS}/1%00")

    assert (response.status_code, response.json()["errorCode"]) == (404, "100001")


async def test_sub_organization_shows_values_inherited_along_its_ancestors(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.get(f"{ORGANIZATIONS}/100003")).json()

    assert {
        "ancestorOrganizations": [a["id"] for a in body["ancestorOrganizations"]],
        "parentOrganization": body["parentOrganization"],
        "type": body["type"],
        "derivedType": body["derivedType"],
        "customerType": body["customerType"],
        "derivedCustomerType": body["derivedCustomerType"],
        "derivedDunsNumber": body["derivedDunsNumber"],
        "derivedTaxReferenceNumber": body["derivedTaxReferenceNumber"],
        "derivedPaymentMethods": body["derivedPaymentMethods"],
        "billingAddress": body["billingAddress"],
        "derivedBillingAddress": body["derivedBillingAddress"],
        "derivedBillingAddressType": body["derivedBillingAddressType"],
        "organizationLogoURL": body["organizationLogoURL"],
        "derivedOrganizationLogo": body["derivedOrganizationLogo"],
    } == {
        "ancestorOrganizations": ["100001", "100002"],
        "parentOrganization": {
            "name": "Sample East",
            "repositoryId": "100002",
            "active": True,
            "id": "100002",
        },
        "type": "department",
        "derivedType": "department",
        "customerType": None,
        "derivedCustomerType": "Enterprise",
        "derivedDunsNumber": 987654321,
        "derivedTaxReferenceNumber": "EAST-TAX-1",
        "derivedPaymentMethods": ["card"],
        "billingAddress": None,
        "derivedBillingAddress": SAMPLE_HEADQUARTERS,
        "derivedBillingAddressType": "Headquarters",
        "organizationLogoURL": None,
        "derivedOrganizationLogo": "/general/hero-image1.jpg",
    }


async def test_sub_organization_inherits_the_default_site_contract(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.get(f"{ORGANIZATIONS}/100003")).json()

    assert body["contract"] is None
    assert body["derivedContract"] == {
        "terms": {
            "terms": "Standard terms of the Sample master contract",
            "repositoryId": "100011",
        },
        "endDate": None,
        "catalog": {"displayName": "Cloud Catalog", "repositoryId": "cloudCatalog"},
        "displayName": "Sample Master Contract",
        "repositoryId": "100010",
        "description": "Prices every Sample account pays on the US store",
        "priceListGroup": {
            "displayName": "Default Price Group",
            "repositoryId": "defaultPriceGroup",
        },
        "creationDate": body["derivedContract"]["creationDate"],
        "startDate": "2016-01-01T00:00:00.000Z",
        "externalContractReference": "SAMPLE-MASTER",
    }


async def test_site_values_come_from_the_default_site_without_x_ccsite(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.get(f"{ORGANIZATIONS}/100001")).json()

    assert (
        body["contract"]["repositoryId"],
        body["approvalRequired"],
        body["delegateApprovalManagement"],
        body["useExternalApprovalWebhook"],
    ) == ("100010", False, False, False)


async def test_site_values_come_from_the_x_ccsite_site(client: httpx.AsyncClient) -> None:
    body = (await client.get(f"{ORGANIZATIONS}/100001", headers={"x-ccsite": "site1"})).json()

    assert (
        body["contract"],
        body["derivedContract"],
        body["approvalRequired"],
        body["orderPriceLimit"],
    ) == (None, None, None, None)


async def test_unknown_x_ccsite_is_400(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{ORGANIZATIONS}/100001", headers={"x-ccsite": "noSuchSite"})

    assert response.status_code == 400
    assert (response.json()["errorCode"], response.json()["o:errorPath"]) == (
        "100002",
        "x-ccsite",
    )


async def test_self_link_is_the_request_url(client: httpx.AsyncClient) -> None:
    body = (await client.get(f"{ORGANIZATIONS}/100001")).json()

    assert body["links"] == [
        {"rel": "self", "href": "http://localhost:9080/ccadmin/v1/organizations/100001"}
    ]


async def test_logo_url_and_links_use_the_configured_public_base_url_and_media_path(
    database_url: str,
    engine: AsyncEngine,
    client_for: Callable[[Any, Mapping[str, Any]], httpx.AsyncClient],
) -> None:
    settings = Settings(
        database_url=database_url,
        public_base_url="https://b2b.example.com/",
        media_path="/media/",
    )
    app = create_app(settings, engine=engine)

    async with app.router.lifespan_context(app) as state, client_for(app, state or {}) as client:
        body = (await client.get(f"{ORGANIZATIONS}/100001")).json()

    assert (body["organizationLogoURL"], body["links"][0]["href"]) == (
        "https://b2b.example.com/media/general/hero-image1.jpg",
        "https://b2b.example.com/ccadmin/v1/organizations/100001",
    )


async def test_links_on_the_public_base_url_keep_the_path_and_query_as_requested(
    database_url: str,
    engine: AsyncEngine,
    client: httpx.AsyncClient,
    client_for: Callable[[Any, Mapping[str, Any]], httpx.AsyncClient],
) -> None:
    """The self link on ORGQL_PUBLIC_BASE_URL is the request's own URL on that base: its path
    and query escaped as without one (rest.transport.request_href builds it from the scope)."""
    listing = f"{ORGANIZATIONS}?limit=1&q=name%20co%20%22a%23b%3Fc%22&offset=0"
    settings = Settings(database_url=database_url, public_base_url="https://b2b.example.com")
    app = create_app(settings, engine=engine)

    async with app.router.lifespan_context(app) as state, client_for(app, state or {}) as public:
        on_public = (await public.get(listing)).json()["links"][0]["href"]
    own = (await client.get(listing)).json()["links"][0]["href"]

    assert own == f"http://localhost:9080{listing}"
    assert on_public == f"https://b2b.example.com{listing}"
