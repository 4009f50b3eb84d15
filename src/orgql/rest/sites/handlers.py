"""``/ccadmin/v1/organizations/{id}/updateSiteOrganizationProperties`` and the matching read
``/ccadmin/v1/organizations/{id}/siteOrganizationProperties``.

The wire shape is the vendor's (``spec/updateSiteOrganizationProperties.txt``): a list of
``{"site": {...}, "properties": {...}}`` entries, the contract as in the request (catalogId,
priceListGroupId, contract_terms) plus its repositoryId.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import cast

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from orgql.auth.asgi import principal_of
from orgql.core.common.errors import Codes
from orgql.core.inheritance.fields import SITE_PROPERTY_COLUMNS, Wire, site_field
from orgql.core.sites import service as site_properties
from orgql.core.sites.repository import ContractView
from orgql.core.sites.views import site_values
from orgql.db import models
from orgql.rest.render import number
from orgql.rest.sites import shapes
from orgql.rest.sites.declared_keys import SITE_PROPERTY_KEYS
from orgql.rest.transport import (
    bool_param,
    endpoint,
    one_statement_read,
    path_id,
    read_json_object,
    unit_of_work,
)

#: A site's values: the column of :class:`models.SiteOrganizationProperties` -> value.
Values = Callable[[str], object]


def site(row: models.Site) -> shapes.Site:
    return {
        "productionURL": row.production_url,
        "name": row.name,
        "id": row.id,
        "enabled": row.enabled,
    }


def contract(view: ContractView | None) -> shapes.SiteContract | None:
    if view is None:
        return None
    return {
        "catalogId": view.catalog_id,
        "priceListGroupId": view.price_list_group_id,
        "displayName": view.display_name,
        # A string like every repository id of this API (the vendor's sample shows a number).
        "repositoryId": view.id,
        "description": view.description,
        "contract_terms": {"terms": view.terms} if view.terms_id is not None else None,
        "externalContractReference": view.external_contract_reference,
    }


def _flag(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def entry(
    row: models.Site, value: Values, contract_view: ContractView | None
) -> shapes.SiteOrganizationPropertiesEntry:
    """One site's values, in the order of the vendor's sample (``shapes.SiteProperties``), then
    the other declared ones."""
    properties: dict[str, object] = {}
    for key in SITE_PROPERTY_KEYS:
        inherited = site_field(SITE_PROPERTY_COLUMNS[key])
        own = value(inherited.column)
        if inherited.wire is Wire.CONTRACT:
            properties[key] = contract(contract_view)
        elif inherited.wire is Wire.DECIMAL:
            properties[key] = number(own) if isinstance(own, Decimal) else None
        else:
            assert inherited.wire is Wire.FLAG
            properties[key] = _flag(own)
    return {"site": site(row), "properties": cast(shapes.SiteProperties, properties)}


def body(
    entries: Sequence[shapes.SiteOrganizationPropertiesEntry],
) -> shapes.SiteOrganizationPropertiesList:
    return {"siteOrganizationProperties": list(entries)}


@endpoint(internal_code=Codes.SITE_PROPERTIES_UPDATE_FAILED)
async def update_site_organization_properties(request: Request) -> Response:
    organization_id = path_id(request)
    updates = site_properties.parse_request(await read_json_object(request))
    async with unit_of_work(request) as session:
        results = await site_properties.update(
            session, organization_id, updates, principal=principal_of(request)
        )
    return JSONResponse(body([entry(r.site, r.value, r.contract) for r in results]))


@endpoint(internal_code=Codes.SITE_PROPERTIES_READ_FAILED)
async def get_site_organization_properties(request: Request) -> Response:
    organization_id = path_id(request)
    every_b2b_site = bool_param(request, "allSites", default=True)
    async with one_statement_read(request) as session:
        found = await site_values(
            session, organization_id, inherited=True, every_b2b_site=every_b2b_site
        )
    return JSONResponse(body([entry(v.site, v.value, v.contract) for v in found]))
