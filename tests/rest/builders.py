"""Request builders and database probes shared by the REST tests."""

from __future__ import annotations

import copy
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.db import models

ORGANIZATIONS = "/ccadmin/v1/organizations"


async def delegate_approvals(client: httpx.AsyncClient, organization_id: str) -> None:
    """The merchant admin (``client``) delegates the organization's approval management on
    siteUS to its own admins."""
    response = await client.post(
        f"{ORGANIZATIONS}/{organization_id}/updateSiteOrganizationProperties",
        json={
            "siteOrganizationProperties": [
                {"site": {"id": "siteUS"}, "properties": {"delegateApprovalManagement": True}}
            ]
        },
    )
    assert response.status_code == 200, response.text


def contract(**changes: Any) -> dict[str, Any]:
    """A valid createOrganization contract on the demo catalog and price list group."""
    return {
        "displayName": "Test Contract",
        "catalogId": "cloudCatalog",
        "priceListGroupId": "defaultPriceGroup",
        **changes,
    }


def secondary_address(address_type: str, **flags: bool) -> dict[str, Any]:
    """A secondaryAddresses item with every required field; ``flags`` are
    isDefaultBillingAddress / isDefaultShippingAddress."""
    return {
        "addressType": address_type,
        "address": {
            "companyName": f"{address_type} Inc.",
            "address1": f"1 {address_type} Street",
            "city": "Boston",
            "state": "MA",
            "postalCode": "02110",
            "country": "US",
            "phoneNumber": "617-555-0100",
            **flags,
        },
    }


def without_generated(organization: dict[str, Any]) -> dict[str, Any]:
    """A copy with the values the server generates (ids, creation dates) replaced by a
    marker, so that two organization bodies compare on everything else, keys included."""
    doc = copy.deepcopy(organization)
    marker = "<generated>"
    doc["id"] = doc["repositoryId"] = marker
    for role in doc["relativeRoles"]:
        role["repositoryId"] = marker
    for item in doc["secondaryAddresses"]:
        item["address"]["repositoryId"] = marker
    for key in ("billingAddress", "shippingAddress", "derivedBillingAddress"):
        if doc[key] is not None:
            doc[key]["repositoryId"] = marker
    if doc["derivedShippingAddress"] is not None:
        doc["derivedShippingAddress"]["repositoryId"] = marker
    for key in ("contract", "derivedContract"):
        if doc[key] is not None:
            doc[key]["repositoryId"] = doc[key]["creationDate"] = marker
            if doc[key]["terms"] is not None:
                doc[key]["terms"]["repositoryId"] = marker
    return doc


#: Every table a createOrganization writes to.
WRITTEN_TABLES = (
    models.Organization,
    models.Address,
    models.RelativeRole,
    models.OrganizationMember,
    models.SiteOrganizationProperties,
    models.Contract,
    models.ContractTerms,
)


async def row_counts(session: AsyncSession) -> dict[str, int]:
    """Rows per table written by createOrganization, read in a transaction of its own."""
    counts: dict[str, int] = {}
    async with session.begin():
        for model in WRITTEN_TABLES:
            statement = select(func.count()).select_from(model)
            counts[model.__tablename__] = int(await session.scalar(statement) or 0)
    return counts
