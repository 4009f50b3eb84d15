"""Reference data the gateway validates against: sites, catalogs, price list groups, payment
and shipping methods, logo files and dynamic property definitions.

Loaded from a JSON document (``orgql import-reference FILE``, and the demo seed). Importing
is an upsert: running the same file twice changes nothing, and rows not in the file stay.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import Table, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.errors import Codes, ErrorDetail, ErrorKind, OrgqlError
from orgql.core.organizations.input import KNOWN_KEYS
from orgql.db import models, request_models


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SiteItem(_Item):
    id: str = Field(min_length=1, max_length=254)
    name: str = Field(min_length=1, max_length=254)
    production_url: str | None = Field(default=None, alias="productionURL", max_length=1024)
    enabled: bool = True
    b2b: bool = True
    #: True makes this the default site, False makes it not; absent leaves the flag as it is.
    default: bool | None = None
    registration_requests_enabled: bool = Field(default=True, alias="registrationRequestsEnabled")
    enable_profile_registration_email_check: bool = Field(
        default=False, alias="enableProfileRegistrationEmailCheck"
    )


class NamedItem(_Item):
    id: str = Field(min_length=1, max_length=254)
    display_name: str = Field(min_length=1, max_length=254, alias="displayName")


class DynamicPropertyItem(_Item):
    id: str = Field(min_length=1, max_length=254, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    label: str | None = Field(default=None, max_length=254)
    type: Literal["string", "boolean", "number", "date"] = "string"
    max_length: int | None = Field(default=None, alias="maxLength", ge=1)
    default: Any = None

    @field_validator("id")
    @classmethod
    def _not_a_standard_key(cls, value: str) -> str:
        # Dynamic properties are top-level keys of the REST organization document.
        if value in RESERVED_KEYS or value.startswith("derived"):
            raise ValueError(f"{value!r} is a standard organization key")
        return value


#: Keys of the organization document besides the writable ones (KNOWN_KEYS).
RESERVED_KEYS = KNOWN_KEYS | {
    "id",
    "repositoryId",
    "links",
    "ancestorOrganizations",
    "relativeRoles",
    "organizationLogoURL",
    "dynamicProperties",
    "customerAccounts",
}


class ReferenceData(_Item):
    sites: list[SiteItem] = []
    catalogs: list[NamedItem] = []
    price_list_groups: list[NamedItem] = Field(default=[], alias="priceListGroups")
    payment_methods: list[NamedItem] = Field(default=[], alias="paymentMethods")
    shipping_methods: list[NamedItem] = Field(default=[], alias="shippingMethods")
    address_types: list[NamedItem] = Field(default=[], alias="addressTypes")
    media_files: list[str] = Field(default=[], alias="mediaFiles")
    dynamic_properties: list[DynamicPropertyItem] = Field(default=[], alias="dynamicProperties")


def parse_reference_data(document: object) -> ReferenceData:
    """Validate a reference data document; every problem is reported, with its JSON path."""
    try:
        data = ReferenceData.model_validate(document)
    except ValidationError as exc:
        details = [
            ErrorDetail(
                Codes.INVALID_INPUT,
                error["msg"],
                ".".join(str(part) for part in error["loc"]) or None,  # None: the whole document
            )
            for error in exc.errors()
        ]
        raise OrgqlError.from_details(details, ErrorKind.INVALID) from None
    defaults = [site.id for site in data.sites if site.default]
    if len(defaults) > 1:
        raise OrgqlError(
            Codes.INVALID_INPUT, f"more than one default site: {', '.join(defaults)}", "sites"
        )
    return data


async def _upsert(
    session: AsyncSession,
    table: Table,
    rows: list[dict[str, Any]],
    key: str = "id",
    keep: tuple[str, ...] = (),
) -> None:
    """Insert ``rows``; existing ones are updated except their ``keep`` columns."""
    if not rows:
        return
    statement = insert(table).values(rows)
    updates = {
        name: statement.excluded[name] for name in rows[0] if name != key and name not in keep
    }
    if updates:
        await session.execute(statement.on_conflict_do_update(index_elements=[key], set_=updates))
    else:
        await session.execute(statement.on_conflict_do_nothing(index_elements=[key]))


async def _set_default_flags(session: AsyncSession, flags: dict[str, bool]) -> None:
    for site_id, is_default in flags.items():
        await session.execute(
            update(models.Site).where(models.Site.id == site_id).values(is_default=is_default)
        )


async def import_reference_data(session: AsyncSession, data: ReferenceData) -> dict[str, int]:
    """Upsert ``data``; returns how many items of each kind the document held."""
    sites = models.Site.__table__
    new_default = next((site.id for site in data.sites if site.default), None)
    if new_default is not None:
        # The new default replaces the old one (a partial unique index allows only one).
        await session.execute(
            update(models.Site).where(models.Site.id != new_default).values(is_default=False)
        )
    await _upsert(
        session,
        sites,  # type: ignore[arg-type]
        [
            {
                "id": s.id,
                "name": s.name,
                "production_url": s.production_url,
                "enabled": s.enabled,
                "b2b": s.b2b,
                "is_default": bool(s.default),
                "registration_requests_enabled": s.registration_requests_enabled,
                "enable_profile_registration_email_check": (
                    s.enable_profile_registration_email_check
                ),
            }
            for s in data.sites
        ],
        keep=("is_default",),
    )
    await _set_default_flags(
        session, {s.id: s.default for s in data.sites if s.default is not None}
    )
    named: list[tuple[type[models.Base], list[NamedItem]]] = [
        (models.Catalog, data.catalogs),
        (models.PriceListGroup, data.price_list_groups),
        (models.PaymentMethod, data.payment_methods),
        (models.ShippingMethod, data.shipping_methods),
        (request_models.AddressType, data.address_types),
    ]
    for model, items in named:
        await _upsert(
            session,
            model.__table__,  # type: ignore[arg-type]
            [{"id": i.id, "display_name": i.display_name} for i in items],
        )
    await _upsert(
        session,
        models.MediaFile.__table__,  # type: ignore[arg-type]
        [{"path": path} for path in dict.fromkeys(data.media_files)],
        key="path",
    )
    await _upsert(
        session,
        models.DynamicPropertyDefinition.__table__,  # type: ignore[arg-type]
        [
            {
                "id": d.id,
                "label": d.label,
                "data_type": d.type,
                "max_length": d.max_length,
                "default_value": d.default,
            }
            for d in data.dynamic_properties
        ],
    )
    await session.flush()
    return {
        "sites": len(data.sites),
        "catalogs": len(data.catalogs),
        "priceListGroups": len(data.price_list_groups),
        "paymentMethods": len(data.payment_methods),
        "shippingMethods": len(data.shipping_methods),
        "addressTypes": len(data.address_types),
        "mediaFiles": len(data.media_files),
        "dynamicProperties": len(data.dynamic_properties),
    }
