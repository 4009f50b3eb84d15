"""Organization shapes: the createOrganization body and the organization as answered
(``spec/createOrganization.txt``, sample request and response; see ``rest/shapes.py``)."""

from typing import Annotated, NotRequired, TypedDict

from orgql.core.organizations.vocabularies import CustomerType, OrganizationType
from orgql.rest.json_schema import Schema
from orgql.rest.shapes import Link, Page, SortOrder, Timestamp


class Address(TypedDict):
    country: str | None
    phoneNumber: str | None
    address2: str | None
    city: str | None
    address1: str | None
    postalCode: str | None
    companyName: str | None
    repositoryId: str
    state: str | None


class OrganizationSummary(TypedDict):
    name: str
    repositoryId: str
    active: NotRequired[
        Annotated[
            bool,
            Schema(
                description="absent in a shopper's breadcrumb: of an ancestor of their"
                " accounts a shopper sees only id and name"
            ),
        ]
    ]
    id: str


class NamedReference(TypedDict):
    displayName: str
    repositoryId: str


class ContractTerms(TypedDict):
    terms: str | None
    repositoryId: str


class Contract(TypedDict):
    terms: ContractTerms | None
    endDate: Timestamp
    catalog: NamedReference
    displayName: str
    repositoryId: str
    description: str | None
    priceListGroup: NamedReference
    creationDate: Timestamp
    startDate: Timestamp
    externalContractReference: str | None


class SecondaryAddress(TypedDict):
    address: Address
    addressType: str | None


class Member(TypedDict):
    repositoryId: str


class RelativeRole(TypedDict):
    function: str
    repositoryId: str


class ShippingMethod(TypedDict):
    id: str


class Organization(TypedDict):
    """Site-specific values (contract, approval settings, orderPriceLimit) are those of the
    x-ccsite site or the default site; dynamic properties appear as further top-level keys."""

    taxReferenceNumber: str | None
    organizationLogo: str | None
    delegateApprovalManagement: bool | None
    secondaryAddresses: list[SecondaryAddress]
    type: str | None
    parentOrganization: OrganizationSummary | None
    customerType: str | None
    derivedShippingMethods: list[ShippingMethod] | None
    derivedBillingAddressType: str | None
    members: list[Member]
    links: list[Link]
    id: str
    dunsNumber: str | None
    relativeRoles: list[RelativeRole]
    derivedTaxReferenceNumber: str | None
    derivedUseAllPaymentMethodsFromSite: bool | None
    contract: Contract | None
    derivedCustomerType: str | None
    active: bool
    vatReferenceNumber: str | None
    taxExemptionCode: str | None
    derivedType: str | None
    useAllShippingMethodsFromSite: bool | None
    approvalRequired: bool | None
    derivedTaxExemptionCode: str | None
    derivedVatReferenceNumber: str | None
    name: str
    ancestorOrganizations: list[OrganizationSummary]
    uniqueId: str | None
    description: str | None
    derivedBillingAddress: Address | None
    derivedUniqueId: str | None
    organizationLogoURL: Annotated[
        str | None, Schema(description="public base URL + media path + organizationLogo")
    ]
    derivedContract: Contract | None
    paymentMethods: list[str] | None
    derivedShippingAddressType: str | None
    shippingMethods: list[ShippingMethod] | None
    derivedDunsNumber: Annotated[
        int | None,
        Schema(description="A JSON number, as in the vendor's sample (leading zeros are lost)"),
    ]
    derivedOrganizationLogo: str | None
    orderPriceLimit: int | float | None
    derivedShippingAddress: Address | None
    derivedUseAllShippingMethodsFromSite: bool | None
    useAllPaymentMethodsFromSite: bool | None
    derivedPaymentMethods: list[str] | None
    repositoryId: str
    shippingAddress: Address | None
    useExternalApprovalWebhook: bool | None
    billingAddress: Address | None
    derivedDescription: str | None
    rolesApplyToDivisions: Annotated[
        bool,
        Schema(
            description="orgql extension: the roles held in this organization apply in every"
            " organization below it (false by default)"
        ),
    ]


class OrganizationList(Page):
    """A page of organizations, in the order of ``sort`` (by id when none is given)."""

    items: list[Organization]
    total: Annotated[int, Schema(description="The same as totalResults (the vendor sends both)")]
    sort: list[SortOrder]


# createOrganization's body --------------------------------------------------------------

_DATE_TIME = Schema(format="date-time")


class ContractTermsInput(TypedDict):
    terms: str


class ContractInput(TypedDict):
    displayName: str
    description: NotRequired[str]
    catalogId: str
    priceListGroupId: str
    startDate: NotRequired[Annotated[str, _DATE_TIME]]
    endDate: NotRequired[Annotated[str, _DATE_TIME]]
    externalContractReference: NotRequired[str]
    contract_terms: NotRequired[ContractTermsInput]


class OrganizationReference(TypedDict):
    id: str


class AddressInput(TypedDict):
    companyName: str
    firstName: NotRequired[str | None]
    lastName: NotRequired[str | None]
    address1: str
    address2: NotRequired[str | None]
    address3: NotRequired[str | None]
    city: str
    state: str
    postalCode: str
    country: str
    county: NotRequired[str | None]
    phoneNumber: str
    isDefaultBillingAddress: NotRequired[bool]
    isDefaultShippingAddress: NotRequired[bool]
    repositoryId: NotRequired[str]


class SecondaryAddressInput(TypedDict):
    addressType: str
    address: AddressInput


class CreateOrganization(TypedDict):
    """The createOrganization body of the vendor's reference page; any other top-level key
    is a dynamic property and must be defined."""

    name: str
    description: NotRequired[str]
    type: NotRequired[OrganizationType]
    customerType: NotRequired[CustomerType]
    active: NotRequired[bool]
    dunsNumber: NotRequired[Annotated[str, Schema(pattern="^[0-9]{9}$")]]
    taxReferenceNumber: NotRequired[str]
    vatReferenceNumber: NotRequired[str]
    taxExemptionCode: NotRequired[str]
    uniqueId: NotRequired[str]
    externalOrganizationId: NotRequired[str]
    partyId: NotRequired[str]
    partyNumber: NotRequired[str]
    organizationLogo: NotRequired[str]
    parentOrganization: NotRequired[OrganizationReference]
    members: NotRequired[list[str]]
    paymentMethods: NotRequired[list[str]]
    shippingMethods: NotRequired[list[ShippingMethod]]
    useAllPaymentMethodsFromSite: NotRequired[bool]
    useAllShippingMethodsFromSite: NotRequired[bool]
    secondaryAddresses: NotRequired[list[SecondaryAddressInput]]
    billingAddress: NotRequired[dict[str, object] | None]
    shippingAddress: NotRequired[dict[str, object] | None]
    contract: NotRequired[ContractInput]
    approvalRequired: NotRequired[bool]
    orderPriceLimit: NotRequired[float | None]
    delegateApprovalManagement: NotRequired[bool]
    useExternalApprovalWebhook: NotRequired[bool]
    rolesApplyToDivisions: NotRequired[
        Annotated[
            bool,
            Schema(
                description="orgql extension: the roles held in this organization apply in every"
                " organization below it (false by default)"
            ),
        ]
    ]


#: Shapes whose objects may carry keys they do not declare (dynamic properties).
OPEN_SHAPES: tuple[type, ...] = (Organization, CreateOrganization)
