"""The JSON shapes of ``PUT /ccadmin/v1/organizations/{id}`` (updateOrganization): its body,
and the answer of a dry run. No ``from __future__ import annotations``: ``NotRequired`` is
read at runtime."""

from typing import Annotated, Literal, TypedDict

from orgql.core.organizations.vocabularies import CustomerType, OrganizationType
from orgql.rest.json_schema import Schema
from orgql.rest.organizations.shapes import ContractInput, OrganizationReference, ShippingMethod


class UpdateOrganization(TypedDict, total=False):
    """createOrganization's keys: a key left out is unchanged; null clears the organization's
    own value so that it is inherited again (parentOrganization: null moves it to the root;
    active: null changes nothing). members (profile ids) replaces the members;
    secondaryAddresses cannot be changed here (100002). Any other key is a dynamic property
    (null removes it)."""

    name: str
    description: str | None
    type: OrganizationType | None
    customerType: CustomerType | None
    active: bool | None
    dunsNumber: Annotated[str, Schema(pattern="^[0-9]{9}$")] | None
    taxReferenceNumber: str | None
    vatReferenceNumber: str | None
    taxExemptionCode: str | None
    uniqueId: str | None
    externalOrganizationId: str | None
    partyId: str | None
    partyNumber: str | None
    organizationLogo: str | None
    parentOrganization: OrganizationReference | None
    paymentMethods: list[str] | None
    shippingMethods: list[ShippingMethod] | None
    useAllPaymentMethodsFromSite: bool | None
    useAllShippingMethodsFromSite: bool | None
    billingAddress: dict[str, object] | None
    shippingAddress: dict[str, object] | None
    contract: ContractInput | None
    members: list[str]
    approvalRequired: bool | None
    orderPriceLimit: float | None
    delegateApprovalManagement: bool | None
    useExternalApprovalWebhook: bool | None
    rolesApplyToDivisions: Annotated[
        bool | None,
        Schema(
            description="orgql extension: the roles held in this organization apply in every"
            " organization below it (null: unchanged)"
        ),
    ]


class EffectiveValueChange(TypedDict):
    """One value of the subtree that the change alters: a derived field (siteId null) or a
    value in effect on a site (derivedContract, approvalRequired, orderPriceLimit, …)."""

    organizationId: str
    field: str
    siteId: str | None
    before: object
    after: object


class UpdateOrganizationDryRun(TypedDict):
    """``?dryRun=true``: nothing written; the changes the update would make."""

    dryRun: Literal[True]
    id: str
    version: int
    changes: list[EffectiveValueChange]
