"""Site-specific organization properties: types, input and the update mutation."""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal
from typing import Any

import strawberry

from orgql.core.common.errors import ErrorDetail, OrgqlError
from orgql.core.common.names import snake
from orgql.core.inheritance.fields import SITE_COLUMNS, SITE_FIELDS, InheritedField, Wire
from orgql.core.inheritance.rules import Inherited
from orgql.core.sites import service as site_properties
from orgql.db import models
from orgql.graphql.context import Info
from orgql.graphql.errors import user_errors_of
from orgql.graphql.organizations.inputs import ContractInput, contract_document
from orgql.graphql.permissions import SIGNED_IN
from orgql.graphql.types import Contract, Site, UserError, sources


# One field per site-scope inherited field (core/inheritance/fields.py).
@strawberry.type(description="The id of the organization that set each effective value.")
class SitePropertySources:
    contract: strawberry.ID | None
    approval_required: strawberry.ID | None
    order_price_limit: strawberry.ID | None
    delegate_approval_management: strawberry.ID | None
    use_external_approval_webhook: strawberry.ID | None


@strawberry.type(description="An organization's values on one site.")
class SiteOrganizationProperties:
    site_id: strawberry.Private[str]
    contract_id: strawberry.Private[str | None]
    approval_required: bool | None
    order_price_limit: float | None
    delegate_approval_management: bool | None
    use_external_approval_webhook: bool | None
    inherited_from: SitePropertySources | None = strawberry.field(
        description="For effective values: which organization set each one. Null for own values."
    )

    @strawberry.field
    async def site(self, info: Info) -> Site:
        row = await info.context.loaders.site_by_id.load(self.site_id)
        assert row is not None  # site rows are never deleted while referenced
        return Site.from_row(row)

    @strawberry.field(graphql_type=Contract | None)
    def contract(self, info: Info) -> Any:
        if self.contract_id is None:
            return None
        found = info.context.loaders.contract_by_id.load(self.contract_id)
        # Effective values prime their contracts: then no coroutine, no await (a page asks
        # for a hundred); else the batched load.
        if isinstance(found, asyncio.Future) and found.done() and found.exception() is None:
            return Contract.from_view(found.result())

        async def later() -> Contract | None:
            return Contract.from_view(await found)

        return later()

    @classmethod
    def own(
        cls, row: models.SiteOrganizationProperties, withheld: frozenset[str] = frozenset()
    ) -> SiteOrganizationProperties:
        """``withheld``: columns answered as unset (core.access.checks.withheld)."""
        return cls(
            site_id=row.site_id,
            **{
                f.column: None if f.column in withheld else _wire(f, getattr(row, f.column))
                for f in SITE_FIELDS
            },
            inherited_from=None,
        )

    @classmethod
    def nothing_set(cls, site_id: str) -> SiteOrganizationProperties:
        return cls(site_id=site_id, **dict.fromkeys(SITE_COLUMNS), inherited_from=None)

    @classmethod
    def effective(
        cls, site_id: str, values: dict[str, Inherited[Any]], withheld: frozenset[str] = frozenset()
    ) -> SiteOrganizationProperties:
        """``withheld``: columns answered as unset, with no source (core.access.checks.withheld)."""
        if withheld:
            values = {
                column: Inherited(None, None) if column in withheld else value
                for column, value in values.items()
            }
        return cls(
            site_id=site_id,
            **{f.column: _wire(f, values[f.column].value) for f in SITE_FIELDS},
            inherited_from=SitePropertySources(**sources(SITE_FIELDS, values)),
        )


def _wire(inherited: InheritedField, value: Any) -> Any:
    """A stored value as its GraphQL field answers it (a NUMERIC as a Float)."""
    return _float(value) if inherited.wire is Wire.DECIMAL else value


def _float(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


@strawberry.input(
    description="Values to set on a site; a field left out is unchanged, null clears it."
    ' With op: "remove", the fields given (with any value) are removed so they inherit again.'
)
class SitePropertiesInput:
    op: str | None = strawberry.UNSET
    contract: ContractInput | None = strawberry.UNSET
    approval_required: bool | None = strawberry.UNSET
    order_price_limit: float | None = strawberry.UNSET
    delegate_approval_management: bool | None = strawberry.UNSET
    use_external_approval_webhook: bool | None = strawberry.UNSET


@strawberry.input
class SiteOrganizationPropertiesInput:
    site: strawberry.ID
    properties: SitePropertiesInput


def _entry_document(entry: SiteOrganizationPropertiesInput) -> dict[str, object]:
    given = entry.properties
    properties: dict[str, object] = {}
    if given.op is not strawberry.UNSET:
        properties["op"] = given.op
    for inherited in SITE_FIELDS:
        value = getattr(given, snake(inherited.own))
        if inherited.wire is not Wire.CONTRACT and value is not strawberry.UNSET:
            properties[inherited.own] = value
    if given.contract is not strawberry.UNSET:
        properties["contract"] = (
            contract_document(given.contract) if given.contract is not None else None
        )
    return {"site": {"id": str(entry.site)}, "properties": properties}


_ENTRY_PATH = re.compile(r"^siteOrganizationProperties(?=\[|$)")


def _input_field(detail: ErrorDetail) -> ErrorDetail:
    """Name an error's field as the mutation's arguments do: ``input[1].site``, not the
    core's (REST) ``siteOrganizationProperties[1].site.id``."""
    if detail.field is None:
        return detail
    field = _ENTRY_PATH.sub("input", detail.field)
    field = field.replace(".site.id", ".site").replace(".contract_terms.terms", ".terms")
    return ErrorDetail(detail.code, detail.message, field)


@strawberry.type
class UpdateSiteOrganizationPropertiesPayload:
    site_organization_properties: list[SiteOrganizationProperties]
    user_errors: list[UserError]


async def update_site_organization_properties(
    info: Info, id: strawberry.ID, input: list[SiteOrganizationPropertiesInput]
) -> UpdateSiteOrganizationPropertiesPayload:
    documents = [_entry_document(entry) for entry in input]
    try:
        async with info.context.unit_of_work() as session:
            updates = site_properties.parse_site_updates(documents)
            results = await site_properties.update(
                session, str(id), updates, principal=info.context.principal
            )
    except OrgqlError as error:
        return UpdateSiteOrganizationPropertiesPayload(
            site_organization_properties=[], user_errors=user_errors_of(error, _input_field)
        )
    return UpdateSiteOrganizationPropertiesPayload(
        site_organization_properties=[
            SiteOrganizationProperties.own(result.properties)
            if result.properties is not None
            else SiteOrganizationProperties.nothing_set(result.site.id)
            for result in results
        ],
        user_errors=[],
    )


@strawberry.type
class SitePropertiesMutations:
    @strawberry.mutation(
        description="Set or remove an organization's values per site, in one transaction (a"
        " shopper: an account's admin, only its approval settings, only on a site where it"
        " delegates approval management; else FORBIDDEN).",
        permission_classes=SIGNED_IN,
    )
    async def update_site_organization_properties(
        self, info: Info, id: strawberry.ID, input: list[SiteOrganizationPropertiesInput]
    ) -> UpdateSiteOrganizationPropertiesPayload | None:
        return await update_site_organization_properties(info, id, input)
