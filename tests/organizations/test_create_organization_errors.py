"""createOrganization's error codes (spec/createOrganization.txt, "Default Response") as the
REST caller sees them: HTTP status, errorModel code and ``o:errorPath``."""

from __future__ import annotations

from typing import Any, NamedTuple

import httpx
import pytest

from rest.builders import ORGANIZATIONS, contract


class Case(NamedTuple):
    doc: dict[str, Any]
    status: int
    code: str
    path: str


def _without(key: str) -> dict[str, Any]:
    doc = contract()
    del doc[key]
    return doc


CASES = {
    "catalog id required": Case(
        {"name": "A", "contract": _without("catalogId")}, 400, "100073", "contract.catalogId"
    ),
    "logo not found": Case(
        {"name": "A", "organizationLogo": "/general/missing.jpg"}, 400, "100052", "organizationLogo"
    ),
    "price list group id required": Case(
        {"name": "A", "contract": _without("priceListGroupId")},
        400,
        "100074",
        "contract.priceListGroupId",
    ),
    "price list group id invalid": Case(
        {"name": "A", "contract": contract(priceListGroupId="noSuchGroup")},
        400,
        "20187",
        "contract.priceListGroupId",
    ),
    "default billing address invalid": Case(
        {"name": "A", "billingAddress": {"repositoryId": "999999"}},
        400,
        "100053",
        "billingAddress.repositoryId",
    ),
    "catalog id invalid": Case(
        {"name": "A", "contract": contract(catalogId="noSuchCatalog")},
        400,
        "100064",
        "contract.catalogId",
    ),
    "external reference invalid": Case(
        {"name": "A", "contract": contract(externalContractReference=" leading space")},
        400,
        "100075",
        "contract.externalContractReference",
    ),
    "default shipping address invalid": Case(
        {"name": "A", "shippingAddress": {"repositoryId": "999999"}},
        400,
        "100054",
        "shippingAddress.repositoryId",
    ),
    "member invalid": Case({"name": "A", "members": ["999999"]}, 400, "22002", "members[0]"),
    "input invalid": Case({"name": "A", "type": "conglomerate"}, 400, "100002", "type"),
    "name empty": Case({"name": "   "}, 400, "100003", "name"),
    "name exists": Case({"name": " sample "}, 409, "100005", "name"),
    "tax exemption code invalid": Case(
        {"name": "A", "taxExemptionCode": "no/slashes"}, 400, "100104", "taxExemptionCode"
    ),
    "useAllPaymentMethodsFromSite invalid": Case(
        {"name": "A", "useAllPaymentMethodsFromSite": "sometimes"},
        400,
        "100120",
        "useAllPaymentMethodsFromSite",
    ),
    "payment methods invalid": Case(
        {"name": "A", "paymentMethods": ["card", "barter"]}, 400, "100118", "paymentMethods[1]"
    ),
    "useAllShippingMethodsFromSite invalid": Case(
        {"name": "A", "useAllShippingMethodsFromSite": 3},
        400,
        "100121",
        "useAllShippingMethodsFromSite",
    ),
    "shipping methods invalid": Case(
        {"name": "A", "shippingMethods": [{"id": "teleport"}]}, 400, "100119", "shippingMethods[0]"
    ),
    "value too long": Case({"name": "n" * 255}, 400, "00004", "name"),
    "undefined dynamic property": Case({"name": "A", "colour": "red"}, 400, "100002", "colour"),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_create_error_has_its_occ_code_status_and_error_path(
    client: httpx.AsyncClient, case: Case
) -> None:
    response = await client.post(ORGANIZATIONS, json=case.doc)

    assert response.status_code == case.status
    body = response.json()
    entry = {
        "errorCode": case.code,
        "message": body["message"],
        "status": str(case.status),
        "o:errorPath": case.path,
    }
    assert body == {**entry, "errors": [entry]}


async def test_every_problem_of_a_request_is_listed_in_errors(client: httpx.AsyncClient) -> None:
    doc = {"name": "", "type": "conglomerate"}

    response = await client.post(ORGANIZATIONS, json=doc)

    body = response.json()
    assert [(e["errorCode"], e["o:errorPath"], e["status"]) for e in body["errors"]] == [
        ("100003", "name", "400"),
        ("100002", "type", "400"),
    ]
    assert (body["errorCode"], body["o:errorPath"]) == ("100003", "name")
