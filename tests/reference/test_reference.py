"""Reference data import (``orgql import-reference``): validation and upsert."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.errors import ErrorKind, OrgqlError
from orgql.core.organizations import repository
from orgql.core.reference.data import import_reference_data, parse_reference_data
from orgql.core.reference.demo import demo_reference_document
from orgql.core.sites import repository as site_reads
from orgql.db import models, request_models

REFERENCE_MODELS: tuple[type[models.Base], ...] = (
    models.Site,
    models.Catalog,
    models.PriceListGroup,
    models.PaymentMethod,
    models.ShippingMethod,
    request_models.AddressType,
    models.MediaFile,
    models.DynamicPropertyDefinition,
)


@pytest.fixture
def eu_document() -> dict[str, Any]:
    """A document with one item of every kind, none of them in the demo data."""
    return {
        "sites": [
            {
                "id": "siteEU",
                "name": "EU Store",
                "productionURL": "https://eu.example.com",
                "registrationRequestsEnabled": False,
                "enableProfileRegistrationEmailCheck": True,
            }
        ],
        "catalogs": [{"id": "euCatalog", "displayName": "EU Catalog"}],
        "priceListGroups": [{"id": "euroPrices", "displayName": "Euro Prices"}],
        "paymentMethods": [{"id": "invoice", "displayName": "Invoice"}],
        "shippingMethods": [{"id": "express", "displayName": "Express"}],
        "addressTypes": [{"id": "dock", "displayName": "Loading dock"}],
        "mediaFiles": ["/general/eu-logo.png", "/general/eu-logo.png"],
        "dynamicProperties": [
            {"id": "region", "label": "Region", "type": "string", "maxLength": 40}
        ],
    }


async def snapshot(session: AsyncSession) -> dict[str, list[tuple[Any, ...]]]:
    """Every reference row, as plain tuples, by table."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    for model in REFERENCE_MODELS:
        table = model.__table__
        rows = await session.execute(select(table).order_by(*table.primary_key.columns))
        tables[model.__tablename__] = [tuple(row) for row in rows]
    return tables


async def load(session: AsyncSession, document: object) -> dict[str, int]:
    return await import_reference_data(session, parse_reference_data(document))


def refusal_of(document: object) -> OrgqlError:
    with pytest.raises(OrgqlError) as caught:
        parse_reference_data(document)
    return caught.value


# ---------------------------------------------------------------- upsert


async def test_import_stores_every_kind_of_item(
    session: AsyncSession, eu_document: dict[str, Any]
) -> None:
    await load(session, eu_document)

    site = await session.get(models.Site, "siteEU")
    definition = await session.get(models.DynamicPropertyDefinition, "region")
    assert site is not None
    assert definition is not None
    assert (
        site.name,
        site.production_url,
        site.enabled,
        site.b2b,
        site.is_default,
        site.registration_requests_enabled,
        site.enable_profile_registration_email_check,
    ) == ("EU Store", "https://eu.example.com", True, True, False, False, True)
    assert (definition.label, definition.data_type, definition.max_length) == (
        "Region",
        "string",
        40,
    )
    assert await repository.existing_ids(session, models.Catalog.id, ["euCatalog"]) == {"euCatalog"}
    assert await repository.existing_ids(
        session, models.MediaFile.path, ["/general/eu-logo.png"]
    ) == {"/general/eu-logo.png"}


async def test_import_reports_how_many_items_of_each_kind_the_document_held(
    session: AsyncSession, eu_document: dict[str, Any]
) -> None:
    assert await load(session, eu_document) == {
        "sites": 1,
        "catalogs": 1,
        "priceListGroups": 1,
        "paymentMethods": 1,
        "shippingMethods": 1,
        "addressTypes": 1,
        "mediaFiles": 2,
        "dynamicProperties": 1,
    }


async def test_importing_the_same_document_twice_changes_nothing(
    session: AsyncSession, eu_document: dict[str, Any]
) -> None:
    await load(session, eu_document)
    once = await snapshot(session)

    await load(session, eu_document)

    assert await snapshot(session) == once


async def test_import_updates_the_items_it_names(
    session: AsyncSession, eu_document: dict[str, Any]
) -> None:
    await load(session, eu_document)

    await load(
        session,
        {
            "catalogs": [{"id": "euCatalog", "displayName": "EU Catalog 2025"}],
            "dynamicProperties": [{"id": "region", "type": "number"}],
        },
    )

    catalog = await session.get(models.Catalog, "euCatalog", populate_existing=True)
    definition = await session.get(
        models.DynamicPropertyDefinition, "region", populate_existing=True
    )
    assert catalog is not None
    assert definition is not None
    assert (catalog.display_name, definition.data_type, definition.label) == (
        "EU Catalog 2025",
        "number",
        None,
    )


async def test_import_keeps_rows_the_document_does_not_name(session: AsyncSession) -> None:
    before = await snapshot(session)

    await load(session, {"catalogs": [{"id": "euCatalog", "displayName": "EU Catalog"}]})

    after = await snapshot(session)
    assert after["catalogs"] == [*before["catalogs"], ("euCatalog", "EU Catalog")]
    assert {table: rows for table, rows in after.items() if table != "catalogs"} == {
        table: rows for table, rows in before.items() if table != "catalogs"
    }


async def test_reimporting_the_demo_document_changes_nothing(session: AsyncSession) -> None:
    before = await snapshot(session)

    await load(session, demo_reference_document())

    assert await snapshot(session) == before


# ---------------------------------------------------------------- the default site


async def test_new_default_site_replaces_the_old_one(session: AsyncSession) -> None:
    await load(session, {"sites": [{"id": "siteEU", "name": "EU Store", "default": True}]})

    defaults = await session.scalars(select(models.Site.id).where(models.Site.is_default.is_(True)))
    assert list(defaults) == ["siteEU"]


async def test_document_naming_no_default_keeps_the_current_default(
    session: AsyncSession,
) -> None:
    await load(session, {"sites": [{"id": "siteEU", "name": "EU Store"}]})

    default = await site_reads.default_site(session)
    assert default is not None
    assert default.id == "siteUS"


def test_two_default_sites_are_refused() -> None:
    error = refusal_of(
        {
            "sites": [
                {"id": "siteUS", "name": "US Store", "default": True},
                {"id": "siteEU", "name": "EU Store", "default": True},
            ]
        }
    )

    assert (error.code, error.field, error.message, error.kind) == (
        "100002",
        "sites",
        "more than one default site: siteUS, siteEU",
        ErrorKind.INVALID,
    )


# ---------------------------------------------------------------- invalid documents


def test_invalid_document_reports_every_problem_with_its_path() -> None:
    error = refusal_of(
        {
            "sites": [{"id": "", "name": "Nameless"}],
            "catalogs": [{"id": "euCatalog"}],
            "mediaFiles": ["/ok.png", 3],
            "dynamicProperties": [{"id": "1st", "type": "colour", "maxLength": 0}],
            "currencies": [],
        }
    )

    assert [(d.code, d.field) for d in error.details] == [
        ("100002", "sites.0.id"),
        ("100002", "catalogs.0.displayName"),
        ("100002", "mediaFiles.1"),
        ("100002", "dynamicProperties.0.id"),
        ("100002", "dynamicProperties.0.type"),
        ("100002", "dynamicProperties.0.maxLength"),
        ("100002", "currencies"),
    ]
    assert (error.code, error.field, error.kind) == ("100002", "sites.0.id", ErrorKind.INVALID)


def test_unknown_property_of_an_item_is_refused() -> None:
    error = refusal_of({"shippingMethods": [{"id": "express", "displayName": "X", "cost": 5}]})

    assert [(d.field, d.message) for d in error.details] == [
        ("shippingMethods.0.cost", "Extra inputs are not permitted")
    ]


def test_document_that_is_not_an_object_is_refused_without_a_path() -> None:
    error = refusal_of(["sites"])

    assert (error.code, error.field) == ("100002", None)
