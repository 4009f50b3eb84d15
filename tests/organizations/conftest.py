"""Data builders for the core tests (the database fixtures come from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.organizations import service as organizations
from orgql.core.organizations.input import parse_new_organization
from orgql.db import models


class CreateOrganization(Protocol):
    def __call__(
        self,
        document: Mapping[str, Any],
        *,
        dynamic_properties: Mapping[str, object] | None = None,
        site_id: str | None = None,
    ) -> Awaitable[models.Organization]: ...


@pytest.fixture
def create_organization(session: AsyncSession) -> CreateOrganization:
    """Create an organization through the service, as the transports do (flushed, not
    committed)."""

    async def create(
        document: Mapping[str, Any],
        *,
        dynamic_properties: Mapping[str, object] | None = None,
        site_id: str | None = None,
    ) -> models.Organization:
        new = parse_new_organization(document, dynamic_properties)
        return await organizations.create(session, new, site_id=site_id)

    return create


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


def contract_document(display_name: str, **overrides: object) -> dict[str, Any]:
    """A contract naming the demo catalog and price list group."""
    return {
        "displayName": display_name,
        "catalogId": "cloudCatalog",
        "priceListGroupId": "defaultPriceGroup",
        **overrides,
    }


@pytest.fixture
def make_address() -> Callable[..., dict[str, Any]]:
    return secondary_address


@pytest.fixture
def make_contract() -> Callable[..., dict[str, Any]]:
    return contract_document
