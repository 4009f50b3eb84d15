"""GraphQL types of organization requests: the request, its drafts, and the inputs that
translate into the OCC documents the core validates."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from orgql.core.common import addresses as address_fields
from orgql.core.common.names import camel
from orgql.core.requests.statuses import RequestStatus
from orgql.db import request_models
from orgql.graphql.addresses.lines import AddressLinesFields
from orgql.graphql.context import Info
from orgql.graphql.global_ids import Node
from orgql.graphql.organizations.types import Organization
from orgql.graphql.types import Profile, Site

#: The GraphQL enum is the core's vocabulary itself: member names are the GraphQL values
#: (REVIEW, MORE_INFO_NEEDED, ...), member values the OCC words the core stores.
OrganizationRequestStatus = RequestStatus
strawberry.enum(
    RequestStatus,
    name="OrganizationRequestStatus",
    description="Where a registration request stands; approved and rejected are final.",
)


@strawberry.type(description="A kind of address (Billing, Shipping, ...), reference data.")
class AddressType(Node):
    repository_id: strawberry.ID = strawberry.field(name="repositoryId")
    display_name: str | None = strawberry.field(
        description="Null if the address type no longer exists."
    )


@strawberry.type(description="An address of a draft organization.")
class DraftAddress:
    raw: strawberry.Private[Mapping[str, Any]]
    company_name: str | None
    first_name: str | None
    last_name: str | None
    address1: str | None
    address2: str | None
    address3: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: str | None
    county: str | None
    phone_number: str | None
    external_address_id: str | None
    is_default_billing_address: bool
    is_default_shipping_address: bool

    @strawberry.field(description="The address types the address is tagged with.")
    async def types(self, info: Info) -> list[AddressType]:
        ids = [str(item["id"]) for item in self.raw.get("types") or []]
        rows = await info.context.loaders.address_type_by_id.load_many(ids)
        return [
            AddressType(
                repository_id=strawberry.ID(type_id),
                display_name=row.display_name if row is not None else None,
            )
            for type_id, row in zip(ids, rows, strict=True)
        ]

    @classmethod
    def from_draft(cls, raw: Mapping[str, Any]) -> DraftAddress:
        return cls(
            raw=raw,
            **{column: raw.get(key) for column, key in address_fields.ADDRESS_KEYS.items()},
            external_address_id=raw.get("externalAddressId"),
            is_default_billing_address=bool(raw.get("isDefaultBillingAddress")),
            is_default_shipping_address=bool(raw.get("isDefaultShippingAddress")),
        )


@strawberry.type
class DraftSecondaryAddress:
    address_type: str
    address: DraftAddress


@strawberry.type(description="The organization a request asks for, as it will be created.")
class OrganizationDraft:
    name: str
    description: str | None
    type: str | None
    customer_type: str | None
    duns_number: str | None
    tax_reference_number: str | None
    vat_reference_number: str | None
    unique_id: str | None
    external_organization_id: str | None
    party_id: str | None
    party_number: str | None
    secondary_addresses: list[DraftSecondaryAddress]

    @classmethod
    def from_draft(cls, draft: Mapping[str, Any]) -> OrganizationDraft:
        return cls(
            name=draft["name"],
            description=draft.get("description"),
            type=draft.get("type"),
            customer_type=draft.get("customerType"),
            duns_number=draft.get("dunsNumber"),
            tax_reference_number=draft.get("taxReferenceNumber"),
            vat_reference_number=draft.get("vatReferenceNumber"),
            unique_id=draft.get("uniqueId"),
            external_organization_id=draft.get("externalOrganizationId"),
            party_id=draft.get("partyId"),
            party_number=draft.get("partyNumber"),
            secondary_addresses=[
                DraftSecondaryAddress(
                    address_type=item["addressType"],
                    address=DraftAddress.from_draft(item["address"]),
                )
                for item in draft.get("secondaryAddresses") or []
            ],
        )


@strawberry.type(description="The requester's profile as submitted (and as edited by admins).")
class ProfileDraft:
    email: str
    first_name: str
    last_name: str
    customer_contact_id: str | None
    party_id: str | None
    party_number: str | None
    receive_email: bool | None


@strawberry.type
class OrganizationRequestFields:
    """What both sides of a request see of it: the merchant (OrganizationRequest) and its
    requester (the viewer's ShopperOrganizationRequest). A base, never a type of the schema
    itself; its subclasses' own fields follow these."""

    repository_id: strawberry.ID = strawberry.field(name="repositoryId")
    name: str
    status: OrganizationRequestStatus
    requester_comments: str | None
    approver_comments: str | None
    related_organization_name: str | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def values(row: request_models.OrganizationRequest) -> dict[str, Any]:
        """The row's values of these fields (a subclass's from_row adds its own)."""
        return {
            "repository_id": strawberry.ID(row.id),
            "name": row.name,
            "status": OrganizationRequestStatus(row.status),
            "requester_comments": row.requester_comments,
            "approver_comments": row.approver_comments,
            "related_organization_name": row.related_organization_name,
            "created_at": row.created_at,
            "updated_at": row.updated_at,
        }


@strawberry.type(description="A self-registration request for a B2B account.")
class OrganizationRequest(Node, OrganizationRequestFields):
    row: strawberry.Private[request_models.OrganizationRequest]
    organization_draft: OrganizationDraft
    profile_draft: ProfileDraft

    @strawberry.field(description="The storefront site the request came from.")
    async def site(self, info: Info) -> Site:
        row = await info.context.loaders.site_by_id.load(self.row.site_id)
        assert row is not None  # a foreign key: sites are never deleted while referenced
        return Site.from_row(row)

    @strawberry.field(
        description="The requester's profile: linked when one with the email exists, created"
        " on approval. Null before that, or if it has been deleted since."
    )
    async def profile(self, info: Info) -> Profile | None:
        if self.row.profile_id is None:
            return None
        row = await info.context.loaders.profile_by_id.load(self.row.profile_id)
        return Profile.from_row(row) if row is not None else None

    @strawberry.field(description="The organization the approval created; null before.")
    async def organization(self, info: Info) -> Organization | None:
        if self.row.organization_id is None:
            return None
        row = await info.context.loaders.organization_by_id.load(self.row.organization_id)
        return Organization.from_row(row, context=info.context) if row is not None else None

    @classmethod
    def from_row(cls, row: request_models.OrganizationRequest) -> OrganizationRequest:
        return cls(
            row=row,
            **OrganizationRequestFields.values(row),
            organization_draft=OrganizationDraft.from_draft(row.organization_draft),
            profile_draft=ProfileDraft(
                email=row.profile_email,
                first_name=row.profile_first_name,
                last_name=row.profile_last_name,
                customer_contact_id=row.profile_customer_contact_id,
                party_id=row.profile_party_id,
                party_number=row.profile_party_number,
                receive_email=row.profile_receive_email,
            ),
        )


# ---------------------------------------------------------------- inputs
# Fields left out are UNSET (absent from the document); null is sent as null, which clears an
# optional value in an update. The core decides what may be cleared.


@strawberry.input
class AddressTypeRefInput:
    id: strawberry.ID


@strawberry.input
class DraftAddressInput(AddressLinesFields):
    external_address_id: str | None = strawberry.UNSET
    is_default_billing_address: bool | None = strawberry.UNSET
    is_default_shipping_address: bool | None = strawberry.UNSET
    types: list[AddressTypeRefInput] | None = strawberry.UNSET


@strawberry.input(description="An address with its nickname (addressType).")
class DraftSecondaryAddressInput:
    address_type: str
    address: DraftAddressInput


@strawberry.input(
    description="The organization asked for. In an update, the fields given replace the"
    " draft's; secondaryAddresses replaces the whole list."
)
class OrganizationDraftInput:
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    type: str | None = strawberry.UNSET
    customer_type: str | None = strawberry.UNSET
    duns_number: str | None = strawberry.UNSET
    tax_reference_number: str | None = strawberry.UNSET
    vat_reference_number: str | None = strawberry.UNSET
    unique_id: str | None = strawberry.UNSET
    external_organization_id: str | None = strawberry.UNSET
    party_id: str | None = strawberry.UNSET
    party_number: str | None = strawberry.UNSET
    secondary_addresses: list[DraftSecondaryAddressInput] | None = strawberry.UNSET


@strawberry.input
class ProfileDraftInput:
    email: str
    first_name: str
    last_name: str
    customer_contact_id: str | None = strawberry.UNSET
    party_id: str | None = strawberry.UNSET
    party_number: str | None = strawberry.UNSET
    receive_email: bool | None = strawberry.UNSET


@strawberry.input(description="Profile fields to change; email, firstName, lastName stay set.")
class ProfileDraftChangesInput:
    email: str | None = strawberry.UNSET
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    customer_contact_id: str | None = strawberry.UNSET
    party_id: str | None = strawberry.UNSET
    party_number: str | None = strawberry.UNSET
    receive_email: bool | None = strawberry.UNSET


@strawberry.input
class SubmitOrganizationRequestInput:
    name: str
    profile: ProfileDraftInput
    organization: OrganizationDraftInput | None = strawberry.UNSET
    requester_comments: str | None = strawberry.UNSET
    related_organization_name: str | None = strawberry.UNSET


@strawberry.input(description="The fields to change; status may be review or moreInfoNeeded.")
class UpdateOrganizationRequestInput:
    name: str | None = strawberry.UNSET
    status: OrganizationRequestStatus | None = strawberry.UNSET
    organization: OrganizationDraftInput | None = strawberry.UNSET
    profile: ProfileDraftChangesInput | None = strawberry.UNSET
    requester_comments: str | None = strawberry.UNSET
    approver_comments: str | None = strawberry.UNSET
    related_organization_name: str | None = strawberry.UNSET


@strawberry.input
class ApproveOrganizationRequestInput:
    approver_comments: str | None = strawberry.UNSET
    party_number: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Links the new account to the customer data management system.",
    )


@strawberry.input
class RejectOrganizationRequestInput:
    approver_comments: str | None = strawberry.UNSET


def occ_document(value: object) -> Any:
    """An input as the OCC document the core parses: camelCase keys, UNSET fields left out,
    nulls kept, enums as their OCC values."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [occ_document(item) for item in value]
    if hasattr(value, "__strawberry_definition__"):
        return {
            camel(key): occ_document(item)
            for key, item in vars(value).items()
            if item is not strawberry.UNSET
        }
    return value
