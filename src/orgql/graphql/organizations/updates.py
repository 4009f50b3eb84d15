"""updateOrganization, deactivateOrganization, reactivateOrganization.

The input uses createOrganization's field names; a field left out is unchanged and an explicit
``null`` clears the organization's own value so it is inherited again (strawberry's ``UNSET``
tells the two apart). The rules are the core's (:mod:`orgql.core.organizations.updates`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from orgql.core.common.errors import OrgqlError
from orgql.core.common.names import camel
from orgql.core.inheritance.effects import ValueChange
from orgql.core.organizations import updates as organization_updates
from orgql.core.organizations.changes import OrganizationChanges, parse_changes
from orgql.graphql.context import Info
from orgql.graphql.errors import site_argument, user_errors_of
from orgql.graphql.organizations.inputs import (
    REFERENCE_NAMES,
    ContractInput,
    contract_document,
    dynamic_properties,
    input_field,
)
from orgql.graphql.organizations.types import Organization
from orgql.graphql.permissions import ADMIN
from orgql.graphql.types import UserError

UNSET: Any = strawberry.UNSET


@strawberry.input(
    description="The values to change: a field left out is unchanged; null clears the"
    " organization's own value so it is inherited again (parentOrganizationId: null moves it"
    " to the root; active: null changes nothing)."
)
class UpdateOrganizationInput:
    name: str | None = UNSET
    description: str | None = UNSET
    type: str | None = UNSET
    customer_type: str | None = UNSET
    active: bool | None = UNSET
    duns_number: str | None = UNSET
    tax_reference_number: str | None = UNSET
    vat_reference_number: str | None = UNSET
    tax_exemption_code: str | None = UNSET
    unique_id: str | None = UNSET
    external_organization_id: str | None = UNSET
    party_id: str | None = UNSET
    party_number: str | None = UNSET
    organization_logo: str | None = UNSET
    parent_organization_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="Move the organization (with its subtree) under this one."
    )
    payment_methods: list[str] | None = UNSET
    shipping_methods: list[strawberry.ID] | None = UNSET
    use_all_payment_methods_from_site: bool | None = UNSET
    use_all_shipping_methods_from_site: bool | None = UNSET
    roles_apply_to_divisions: bool | None = strawberry.field(
        default=UNSET,
        description="The roles held here apply in every organization below (null: unchanged).",
    )
    billing_address_id: strawberry.ID | None = UNSET
    shipping_address_id: strawberry.ID | None = UNSET
    contract: ContractInput | None = UNSET
    approval_required: bool | None = UNSET
    order_price_limit: float | None = UNSET
    delegate_approval_management: bool | None = UNSET
    use_external_approval_webhook: bool | None = UNSET
    dynamic_properties: JSON | None = strawberry.field(
        default=UNSET, description="Dynamic properties to set, by id; a null value removes one."
    )


_REFERENCES = {
    "parent_organization_id": "parentOrganization",
    "billing_address_id": "billingAddress",
    "shipping_address_id": "shippingAddress",
}


def update_document(data: UpdateOrganizationInput) -> tuple[dict[str, object], dict[str, object]]:
    """The OCC update document (explicit nulls kept) and the dynamic properties."""
    document: dict[str, object] = {}
    dynamic: dict[str, object] = {}
    for name, value in vars(data).items():
        if value is UNSET:
            continue
        if name == "dynamic_properties":
            dynamic = dynamic_properties(value)
        elif name in _REFERENCES:
            document[_REFERENCES[name]] = {"id": str(value)} if value is not None else None
        elif name == "contract":
            document["contract"] = contract_document(value) if value is not None else None
        else:
            document[camel(name)] = value
    return document, dynamic


@strawberry.type(description="A derived or effective value that a change alters.")
class EffectiveValueChange:
    organization_id: strawberry.ID
    field: str = strawberry.field(description="derivedX, or a site value (derivedContract, …)")
    site: strawberry.ID | None = strawberry.field(description="The site of a per-site value.")
    before: JSON | None
    after: JSON | None

    @classmethod
    def of(cls, change: ValueChange) -> EffectiveValueChange:
        return cls(
            organization_id=strawberry.ID(change.organization_id),
            field=change.field,
            site=strawberry.ID(change.site_id) if change.site_id is not None else None,
            before=_json(change.before),
            after=_json(change.after),
        )


def _json(value: object) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return list(value)
    return value


@strawberry.type
class UpdateOrganizationPayload:
    organization: Organization | None
    effects: list[EffectiveValueChange] | None = strawberry.field(
        description="With dryRun: every derived or effective value in the subtree that the"
        " change would alter (nothing is written). Null otherwise."
    )
    user_errors: list[UserError]


async def _update(
    info: Info,
    id: strawberry.ID,
    read: Any,
    *,
    expected_version: int | None,
    site: strawberry.ID | None = None,
    dry_run: bool = False,
) -> UpdateOrganizationPayload:
    """Run ``read() -> OrganizationChanges`` and the update in the request's transaction."""
    site_id = str(site) if site is not None else info.context.site_header
    try:
        async with info.context.unit_of_work() as session:
            changes: OrganizationChanges = read()
            result = await organization_updates.update(
                session,
                str(id),
                changes,
                expected_version=expected_version,
                site_id=site_id,
                dry_run=dry_run,
            )
    except OrgqlError as error:
        return UpdateOrganizationPayload(
            organization=None,
            effects=None,
            user_errors=user_errors_of(error, site_argument(site, input_field)),
        )
    effects = (
        [EffectiveValueChange.of(c) for c in result.effects] if result.effects is not None else None
    )
    return UpdateOrganizationPayload(
        organization=Organization.from_row(result.organization, context=info.context),
        effects=effects,
        user_errors=[],
    )


ExpectedVersion = Annotated[
    int | None,
    strawberry.argument(
        description="The version last read; a different current version is refused (code"
        " 412). Null: no check."
    ),
]


@strawberry.type
class OrganizationUpdateMutations:
    @strawberry.mutation(
        description="Change an organization: any createOrganization value, its parent (a move,"
        " with its subtree), or active. With dryRun, nothing is written and `effects` lists"
        " what would change in the subtree.",
        permission_classes=ADMIN,
    )
    async def update_organization(
        self,
        info: Info,
        id: strawberry.ID,
        input: UpdateOrganizationInput,
        expected_version: ExpectedVersion = None,
        site: strawberry.ID | None = None,
        dry_run: bool = False,
    ) -> UpdateOrganizationPayload | None:
        return await _update(
            info,
            id,
            lambda: parse_changes(*update_document(input), REFERENCE_NAMES),
            expected_version=expected_version,
            site=site,
            dry_run=dry_run,
        )

    @strawberry.mutation(
        description="Deactivate an organization (nothing is deleted): it stays readable with"
        " active false and takes no new children.",
        permission_classes=ADMIN,
    )
    async def deactivate_organization(
        self, info: Info, id: strawberry.ID, expected_version: ExpectedVersion = None
    ) -> UpdateOrganizationPayload | None:
        changes = OrganizationChanges(columns={"active": False})
        return await _update(info, id, lambda: changes, expected_version=expected_version)

    @strawberry.mutation(description="Reactivate an organization.", permission_classes=ADMIN)
    async def reactivate_organization(
        self, info: Info, id: strawberry.ID, expected_version: ExpectedVersion = None
    ) -> UpdateOrganizationPayload | None:
        changes = OrganizationChanges(columns={"active": True})
        return await _update(info, id, lambda: changes, expected_version=expected_version)
