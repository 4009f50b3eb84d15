"""The Organization type's own columns: sync resolvers reading the row when asked.

Copying every column into the object when it is made cost more than resolving the few a
query asks for: a page builds an object per organization and per ancestor, and asks for two
or three columns of most of them. The compiled executor calls these resolvers directly."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from orgql.core.organizations.vocabularies import CustomerType, OrganizationType, spelled
from orgql.db import models
from orgql.graphql.context import Context
from orgql.graphql.global_ids import ID_DESCRIPTION, Node, encode


@strawberry.type
class OrganizationColumns(Node):
    row: strawberry.Private[models.Organization]
    #: The row and its ancestors, nearest first, when read with the row (else loaded lazily).
    chain: strawberry.Private[list[models.Organization] | None]
    #: The request's context: fields that need a load get it here, not from an ``Info``, so
    #: that they are plain sync resolvers (the compiled executor calls them directly).
    context: strawberry.Private[Context]
    #: Set in a point-in-time read: the instant whose values the fields answer (the row is
    #: its image then, and the fields that load read through the loaders of that instant).
    as_of: strawberry.Private[datetime | None]
    #: Columns whose values this caller is not shown (a shopper's deactivated account:
    #: core.access.checks.withheld); their own, derived and per-site fields answer null.
    withheld: strawberry.Private[frozenset[str]] = frozenset()

    @strawberry.field(description=ID_DESCRIPTION)
    def id(self) -> strawberry.ID:
        return encode("Organization", self.row.id)

    @strawberry.field(name="repositoryId")
    def repository_id(self) -> strawberry.ID:
        return strawberry.ID(self.row.id)

    @strawberry.field
    def name(self) -> str:
        return self.row.name

    @strawberry.field
    def description(self) -> str | None:
        return self.row.description

    @strawberry.field(description=spelled(OrganizationType))
    def type(self) -> str | None:
        return self.row.type

    @strawberry.field(description=spelled(CustomerType))
    def customer_type(self) -> str | None:
        return self.row.customer_type

    @strawberry.field
    def active(self) -> bool:
        return self.row.active

    @strawberry.field(
        description="Bumped by every change of the organization; pass it as updateOrganization's"
        " expectedVersion."
    )
    def version(self) -> int:
        return self.row.version

    @strawberry.field
    def duns_number(self) -> str | None:
        return self.row.duns_number

    @strawberry.field
    def tax_reference_number(self) -> str | None:
        return self.row.tax_reference_number

    @strawberry.field
    def vat_reference_number(self) -> str | None:
        return self.row.vat_reference_number

    @strawberry.field
    def tax_exemption_code(self) -> str | None:
        return self.row.tax_exemption_code

    @strawberry.field
    def unique_id(self) -> str | None:
        return self.row.unique_id

    @strawberry.field
    def external_organization_id(self) -> str | None:
        return self.row.external_organization_id

    @strawberry.field
    def party_id(self) -> str | None:
        return self.row.party_id

    @strawberry.field
    def party_number(self) -> str | None:
        return self.row.party_number

    @strawberry.field
    def organization_logo(self) -> str | None:
        return self.row.organization_logo

    @strawberry.field
    def payment_methods(self) -> list[str] | None:
        if "payment_methods" in self.withheld:
            return None
        return self.row.payment_methods

    @strawberry.field
    def use_all_payment_methods_from_site(self) -> bool | None:
        if "use_all_payment_methods_from_site" in self.withheld:
            return None
        return self.row.use_all_payment_methods_from_site

    @strawberry.field
    def use_all_shipping_methods_from_site(self) -> bool | None:
        return self.row.use_all_shipping_methods_from_site

    @strawberry.field(
        description="Whether the roles held in this organization apply in every organization"
        " below it (its admins act in its divisions; orgql's extension, false by default)."
    )
    def roles_apply_to_divisions(self) -> bool:
        return self.row.roles_apply_to_divisions

    @strawberry.field(description="Values of the organization's dynamic (custom) properties.")
    def dynamic_properties(self) -> JSON:
        return cast(JSON, dict(self.row.dynamic_properties or {}))
