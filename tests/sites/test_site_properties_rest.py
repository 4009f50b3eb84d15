"""POST /ccadmin/v1/organizations/{id}/updateSiteOrganizationProperties and
GET .../siteOrganizationProperties: the wire contract of spec/updateSiteOrganizationProperties.txt.

The rules and every error code are tested through the service (tests/sites/test_site_properties.py);
here: the shapes, the HTTP statuses, the transaction and what the other reads show afterwards.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.inheritance.fields import SITE_FIELDS
from orgql.db import models
from rest.builders import ORGANIZATIONS, contract

EAST, PURCHASING = "100002", "100003"
DATA = Path(__file__).parents[1] / "rest" / "data"

_SAMPLE_REQUEST = json.loads(
    (DATA / "updateSiteOrganizationProperties_sample_request.json").read_text()
)
_SAMPLE_RESPONSE = json.loads(
    (DATA / "updateSiteOrganizationProperties_sample_response.json").read_text()
)


@pytest.fixture
def sample_request() -> dict[str, Any]:
    """The spec's sample request as written."""
    return copy.deepcopy(_SAMPLE_REQUEST)


@pytest.fixture
def sample_response() -> dict[str, Any]:
    return copy.deepcopy(_SAMPLE_RESPONSE)


#: One site's values when none is set: every declared site value, null. An expected answer
#: spells the values it sets and the vendor's, then ``**UNSET`` for the others.
UNSET: dict[str, Any] = {f.own: None for f in SITE_FIELDS}


def update_url(organization_id: str) -> str:
    return f"{ORGANIZATIONS}/{organization_id}/updateSiteOrganizationProperties"


def read_url(organization_id: str) -> str:
    return f"{ORGANIZATIONS}/{organization_id}/siteOrganizationProperties"


def entry(site_id: str, **properties: Any) -> dict[str, Any]:
    return {"site": {"id": site_id}, "properties": properties}


async def post(
    client: httpx.AsyncClient, organization_id: str, *entries: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        update_url(organization_id), json={"siteOrganizationProperties": list(entries)}
    )


async def set_ok(client: httpx.AsyncClient, organization_id: str, *entries: dict[str, Any]) -> None:
    response = await post(client, organization_id, *entries)
    assert response.status_code == 200, response.text


def contract_ids(body: dict[str, Any]) -> list[str]:
    """Replace each entry's generated contract id by a marker; returns the ids."""
    ids = []
    for item in body["siteOrganizationProperties"]:
        if item["properties"]["contract"] is not None:
            ids.append(item["properties"]["contract"]["repositoryId"])
            item["properties"]["contract"]["repositoryId"] = "<generated>"
    return ids


async def organization(
    client: httpx.AsyncClient, organization_id: str, site_id: str
) -> dict[str, Any]:
    response = await client.get(f"{ORGANIZATIONS}/{organization_id}", headers={"x-ccsite": site_id})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def display_name(contract_body: dict[str, Any] | None) -> str | None:
    return contract_body["displayName"] if contract_body is not None else None


# ---------------------------------------------------------------- the spec's sample


async def test_sample_request_returns_the_sample_response_but_for_the_generated_id(
    client: httpx.AsyncClient, sample_request: dict[str, Any], sample_response: dict[str, Any]
) -> None:
    response = await client.post(update_url(EAST), json=sample_request)

    assert response.status_code == 200
    body = response.json()
    (generated,) = contract_ids(body)
    contract_ids(sample_response)
    for item in sample_response["siteOrganizationProperties"]:  # and orgql's own values, unset
        item["properties"] = {**UNSET, **item["properties"]}
    assert body == sample_response
    # A string like every repository id of this API; the vendor's sample shows a number.
    assert isinstance(generated, str)
    assert generated.isdigit()


async def test_after_the_sample_site1_inherits_and_site2_has_the_new_contract(
    client: httpx.AsyncClient, sample_request: dict[str, Any]
) -> None:
    await set_ok(client, "100001", entry("site1", contract=contract(displayName="Root Site 1")))
    await set_ok(client, EAST, entry("site1", contract=contract(displayName="East Site 1")))

    await client.post(update_url(EAST), json=sample_request)

    site1 = await organization(client, EAST, "site1")
    site2 = await organization(client, EAST, "site2")
    assert (display_name(site1["contract"]), display_name(site1["derivedContract"])) == (
        None,
        "Root Site 1",
    )
    assert (display_name(site2["contract"]), display_name(site2["derivedContract"])) == (
        "Us Motor Works Contract",
        "Us Motor Works Contract",
    )


async def test_after_the_sample_site2_reads_as_set_and_site1_no_longer_has_its_contract(
    client: httpx.AsyncClient, sample_request: dict[str, Any], sample_response: dict[str, Any]
) -> None:
    await set_ok(client, EAST, entry("site1", contract=contract(displayName="East Site 1")))
    updated = (await client.post(update_url(EAST), json=sample_request)).json()

    response = await client.get(read_url(EAST))

    assert response.status_code == 200
    entries = {e["site"]["id"]: e for e in response.json()["siteOrganizationProperties"]}
    assert [entries["site2"]] == updated["siteOrganizationProperties"]
    assert entries["site1"]["properties"]["contract"] is None  # removed by the sample


async def test_sample_sent_to_an_unknown_organization_is_404_with_code_100108(
    client: httpx.AsyncClient, sample_request: dict[str, Any]
) -> None:
    response = await client.post(update_url("999999"), json=sample_request)

    assert response.status_code == 404
    error = {
        "errorCode": "100108",
        "message": "Organization '999999' does not exist",
        "status": "404",
        "o:errorPath": "id",
    }
    assert response.json() == {**error, "errors": [error]}


# ---------------------------------------------------------------- GET /organizations/{id}


async def test_organization_shows_the_own_values_of_the_x_ccsite_site(
    client: httpx.AsyncClient,
) -> None:
    await set_ok(
        client,
        EAST,
        entry(
            "site1",
            approvalRequired=False,
            orderPriceLimit=2500.75,
            delegateApprovalManagement=False,
            useExternalApprovalWebhook=True,
            contract=contract(displayName="East Site 1"),
        ),
    )

    body = await organization(client, EAST, "site1")

    assert {
        "approvalRequired": body["approvalRequired"],
        "orderPriceLimit": body["orderPriceLimit"],
        "delegateApprovalManagement": body["delegateApprovalManagement"],
        "useExternalApprovalWebhook": body["useExternalApprovalWebhook"],
        "contract": display_name(body["contract"]),
        "derivedContract": display_name(body["derivedContract"]),
    } == {
        "approvalRequired": False,
        "orderPriceLimit": 2500.75,
        "delegateApprovalManagement": False,
        "useExternalApprovalWebhook": True,
        "contract": "East Site 1",
        "derivedContract": "East Site 1",
    }


async def test_organization_on_another_site_does_not_show_them(
    client: httpx.AsyncClient,
) -> None:
    await set_ok(client, EAST, entry("site1", orderPriceLimit=2500, approvalRequired=False))

    body = await organization(client, EAST, "site2")

    assert (body["orderPriceLimit"], body["approvalRequired"], body["contract"]) == (
        None,
        None,
        None,
    )


async def test_sub_organization_derives_the_contract_set_for_the_x_ccsite_site(
    client: httpx.AsyncClient,
) -> None:
    await set_ok(client, EAST, entry("site2", contract=contract(displayName="East Site 2")))

    body = await organization(client, PURCHASING, "site2")

    assert (body["contract"], display_name(body["derivedContract"])) == (None, "East Site 2")


# ---------------------------------------------------------------- GET siteOrganizationProperties


async def test_read_lists_every_b2b_site_with_the_values_in_effect(
    client: httpx.AsyncClient,
) -> None:
    """allSites=true (the default), as the vendor documents it: every B2B site, each with
    the organization's values in effect there (own, else inherited within the site), null
    where nothing on its path sets one. EAST inherits the root's siteUS values."""
    await set_ok(
        client,
        EAST,
        entry("site2", orderPriceLimit=10),
        entry("site1", approvalRequired=False),
    )

    body = (await client.get(read_url(EAST))).json()
    explicit = (await client.get(read_url(EAST), params={"allSites": "true"})).json()

    assert body == explicit
    entries = {
        item["site"]["id"]: item["properties"] for item in body["siteOrganizationProperties"]
    }
    assert list(entries) == ["site1", "site2", "siteUS"]
    assert entries["site1"] == {
        "approvalRequired": False,
        "contract": None,
        "delegateApprovalManagement": None,
        "useExternalApprovalWebhook": None,
        "orderPriceLimit": None,
    }
    assert entries["site2"]["orderPriceLimit"] == 10
    assert entries["siteUS"]["contract"]["repositoryId"] == "100010"  # the root's, inherited


async def test_read_with_all_sites_lists_no_b2c_site(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    session.add(models.Site(id="siteB2C", name="Consumer store", b2b=False))
    await session.commit()

    body = (await client.get(read_url(PURCHASING))).json()

    assert [item["site"]["id"] for item in body["siteOrganizationProperties"]] == [
        "site1",
        "site2",
        "siteUS",
    ]


async def test_read_with_all_sites_false_lists_effective_values_of_ancestors_sites_too(
    client: httpx.AsyncClient,
) -> None:
    await set_ok(client, EAST, entry("site2", orderPriceLimit=10))

    body = (await client.get(read_url(PURCHASING), params={"allSites": "false"})).json()

    site2, site_us = body["siteOrganizationProperties"]
    assert (site2["site"]["id"], site2["properties"]["orderPriceLimit"]) == ("site2", 10)
    assert site_us == {
        "site": {
            "productionURL": "https://www.example.com",
            "name": "US Store",
            "id": "siteUS",
            "enabled": True,
        },
        "properties": {
            **UNSET,
            "approvalRequired": False,
            "contract": {
                "catalogId": "cloudCatalog",
                "priceListGroupId": "defaultPriceGroup",
                "displayName": "Sample Master Contract",
                "repositoryId": "100010",
                "description": "Prices every Sample account pays on the US store",
                "contract_terms": {"terms": "Standard terms of the Sample master contract"},
                "externalContractReference": "SAMPLE-MASTER",
            },
            "delegateApprovalManagement": False,
            "useExternalApprovalWebhook": False,
            "orderPriceLimit": None,
        },
    }


async def test_read_with_all_sites_false_of_a_tree_setting_nothing_is_an_empty_list(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post(ORGANIZATIONS, json={"name": "Sets nothing"})
    read = read_url(created.json()["id"])

    response = await client.get(read, params={"allSites": "false"})

    assert (response.status_code, response.json()) == (200, {"siteOrganizationProperties": []})


async def test_read_of_an_unknown_organization_is_404_with_code_100108(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(read_url("999999"))

    assert (response.status_code, response.json()["errorCode"]) == (404, "100108")


async def test_all_sites_other_than_true_or_false_is_400_with_code_100002(
    client: httpx.AsyncClient,
) -> None:
    for query in ("allSites=sometimes", "allSites=", "allSites=true&allSites=false"):
        response = await client.get(f"{read_url(EAST)}?{query}")

        assert response.status_code == 400, query
        assert (response.json()["errorCode"], response.json()["o:errorPath"]) == (
            "100002",
            "allSites",
        )


# ---------------------------------------------------------------- errors and the transaction


async def test_rule_error_is_400_with_its_code_and_the_entry_path(
    client: httpx.AsyncClient,
) -> None:
    response = await post(client, EAST, entry("site1"), entry("site2", approvalRequired=True))

    assert response.status_code == 400
    error = {
        "errorCode": "100083",
        "message": "You must create at least one active approver for the account before you"
        " can enable the approval required option",
        "status": "400",
        "o:errorPath": "siteOrganizationProperties[1].properties.approvalRequired",
    }
    assert response.json() == {**error, "errors": [error]}


async def test_every_problem_is_listed_in_errors(client: httpx.AsyncClient) -> None:
    response = await post(
        client,
        EAST,
        entry("nowhere", orderPriceLimit=1),
        entry("site1", contract=contract(catalogId="nope", priceListGroupId="nope")),
    )

    assert response.status_code == 400
    assert [(e["errorCode"], e["o:errorPath"]) for e in response.json()["errors"]] == [
        ("100109", "siteOrganizationProperties[0].site.id"),
        ("100064", "siteOrganizationProperties[1].properties.contract.catalogId"),
        ("20187", "siteOrganizationProperties[1].properties.contract.priceListGroupId"),
    ]


@pytest.mark.parametrize(
    "body",
    [{}, {"siteOrganizationProperties": "site1"}, {"siteOrganizationProperties": [], "x": 1}],
    ids=["no list", "not a list", "unknown key"],
)
async def test_malformed_body_is_400_with_code_100110(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    response = await client.post(update_url(EAST), json=body)

    assert (response.status_code, response.json()["errorCode"]) == (400, "100110")


async def test_body_that_is_not_json_is_400_with_code_100002(client: httpx.AsyncClient) -> None:
    response = await client.post(
        update_url(EAST), content=b"{", headers={"content-type": "application/json"}
    )

    assert (response.status_code, response.json()["errorCode"]) == (400, "100002")


async def test_mixed_good_and_bad_entries_change_nothing(client: httpx.AsyncClient) -> None:
    await set_ok(client, EAST, entry("site1", orderPriceLimit=10))
    before = (await client.get(read_url(EAST))).json()

    response = await post(
        client,
        EAST,
        entry("site1", op="remove", orderPriceLimit=None),
        entry("site2", contract=contract(displayName="Good")),
        entry("siteUS", orderPriceLimit=-5),
    )

    assert response.status_code == 400
    assert (await client.get(read_url(EAST))).json() == before


async def test_a_list_refused_by_an_approval_rule_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    await set_ok(client, EAST, entry("site2", delegateApprovalManagement=True))
    before = (await client.get(read_url(EAST))).json()

    response = await post(
        client,
        EAST,
        entry("site1", contract=contract(displayName="Good"), orderPriceLimit=5),
        entry("site2", orderPriceLimit=5),
    )

    assert (response.status_code, response.json()["errorCode"]) == (400, "100086")
    assert (await client.get(read_url(EAST))).json() == before


async def test_wrong_method_is_405(client: httpx.AsyncClient) -> None:
    response = await client.get(update_url(EAST))

    assert (response.status_code, response.headers["allow"]) == (405, "POST")


# ---------------------------------------------------------------- orderPriceLimit exactly


@pytest.mark.parametrize(
    "limit",
    [
        "1e-05",
        "12.34567",
        "0.00001",
        "999999999999999.99999",
        '"999999999999999.99999"',
        "1e15",
        '"\\uff11\\uff12"',
        '"1_0"',
    ],
    ids=[
        "1e-05",
        "five decimals",
        "0.00001",
        "rounds past the maximum",
        "as text",
        "1e15",
        "fullwidth digits as text",
        "underscore as text",
    ],
)
async def test_an_order_price_limit_the_column_cannot_hold_exactly_is_refused(
    client: httpx.AsyncClient, limit: str
) -> None:
    """NUMERIC(19, 4): more than 4 decimals were rounded silently (1e-05 was stored as 0),
    999999999999999.99999 rounded past the column's range, and text was read by Decimal(),
    which takes other scripts' digits; each is 100110, nothing written."""
    content = (
        '{"siteOrganizationProperties": [{"site": {"id": "site1"},'
        f' "properties": {{"orderPriceLimit": {limit}}}}}]}}'
    )
    response = await client.post(
        update_url(EAST), content=content, headers={"content-type": "application/json"}
    )

    assert response.status_code == 400, response.text
    assert (response.json()["errorCode"], response.json()["o:errorPath"]) == (
        "100110",
        "siteOrganizationProperties[0].properties.orderPriceLimit",
    )
    assert (await organization(client, EAST, "site1"))["orderPriceLimit"] is None


@pytest.mark.parametrize(
    ("limit", "stored"),
    [(999999999999999.9, 999999999999999.9), (0.0001, 0.0001), ("12.50000", 12.5)],
)
async def test_an_order_price_limit_of_at_most_4_decimals_reads_back_as_sent(
    client: httpx.AsyncClient, limit: object, stored: float
) -> None:
    await set_ok(client, EAST, entry("site1", orderPriceLimit=limit))

    assert (await organization(client, EAST, "site1"))["orderPriceLimit"] == stored
