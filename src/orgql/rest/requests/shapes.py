"""Organization request shapes (``spec/createOrganizationRequest.txt``,
``spec/updateOrganizationRequests.txt``; see ``rest/shapes.py``).

``expand`` adds the ``NotRequired`` keys: profile fields (profile, profileAll), the draft
organization's fields (organization, organizationAll), its secondaryAddresses
(organizationAddresses) and the request's dates (requestAll).
"""

from typing import Annotated, Literal, NotRequired, TypedDict

from orgql.core.requests.service import EMAIL_CHECK_MESSAGE
from orgql.core.requests.statuses import RequestStatus
from orgql.rest.json_schema import Schema
from orgql.rest.shapes import AddressFields, Link, Page, Timestamp

_LINKED_ID = Annotated[str | None, Schema(description="Null until linked or created")]


class RequestProfile(TypedDict):
    id: _LINKED_ID
    email: NotRequired[str | None]
    firstName: NotRequired[str | None]
    lastName: NotRequired[str | None]
    customerContactId: NotRequired[str | None]
    partyId: NotRequired[str | None]
    partyNumber: NotRequired[str | None]
    receiveEmail: NotRequired[Literal["yes", "no"] | None]


class AddressTypeReference(TypedDict):
    displayName: str | None
    repositoryId: str
    id: str


class RequestAddress(AddressFields):
    externalAddressId: str | None
    isDefaultBillingAddress: bool
    isDefaultShippingAddress: bool
    types: list[AddressTypeReference]


class RequestSecondaryAddress(TypedDict):
    addressType: str
    address: RequestAddress


class RequestOrganization(TypedDict):
    id: _LINKED_ID
    name: NotRequired[str | None]
    description: NotRequired[str | None]
    type: NotRequired[str | None]
    customerType: NotRequired[str | None]
    dunsNumber: NotRequired[str | None]
    taxReferenceNumber: NotRequired[str | None]
    vatReferenceNumber: NotRequired[str | None]
    uniqueId: NotRequired[str | None]
    externalOrganizationId: NotRequired[str | None]
    partyId: NotRequired[str | None]
    partyNumber: NotRequired[str | None]
    secondaryAddresses: NotRequired[list[RequestSecondaryAddress]]


class OrganizationRequest(TypedDict):
    approverComments: str | None
    relatedOrganizationName: str | None
    profile: RequestProfile
    organization: RequestOrganization
    name: str
    siteId: str
    id: str
    requesterComments: str | None
    status: RequestStatus
    creationDate: NotRequired[Timestamp]
    lastModifiedDate: NotRequired[Timestamp]


class OrganizationRequestList(Page):
    """Requests, oldest first."""

    items: list[OrganizationRequest]


class OrganizationRequestSubmitted(TypedDict):
    """id, or with the site's enableProfileRegistrationEmailCheck only message."""

    links: list[Link]
    id: NotRequired[str]
    message: NotRequired[Annotated[str, Schema(example=EMAIL_CHECK_MESSAGE)]]


# Request bodies ---------------------------------------------------------------------------


class AddressTypeInput(TypedDict):
    id: Annotated[str, Schema(description="An address type id")]


class DraftAddressFields(TypedDict):
    companyName: NotRequired[str]
    firstName: NotRequired[str]
    lastName: NotRequired[str]
    address1: NotRequired[str]
    address2: NotRequired[str]
    address3: NotRequired[str]
    city: NotRequired[str]
    state: NotRequired[str]
    postalCode: NotRequired[str]
    country: NotRequired[str]
    county: NotRequired[str]
    phoneNumber: NotRequired[str]
    externalAddressId: NotRequired[str]
    isDefaultBillingAddress: NotRequired[bool]
    isDefaultShippingAddress: NotRequired[bool]
    types: NotRequired[list[AddressTypeInput]]


class DraftAddress(TypedDict):
    addressType: Annotated[str, Schema(description="The address's nickname")]
    address: DraftAddressFields


class DraftOrganization(TypedDict):
    """createOrganization's rules apply; name defaults to the request's name."""

    name: NotRequired[str | None]
    description: NotRequired[str | None]
    type: NotRequired[str | None]
    customerType: NotRequired[str | None]
    dunsNumber: NotRequired[str | None]
    taxReferenceNumber: NotRequired[str | None]
    vatReferenceNumber: NotRequired[str | None]
    uniqueId: NotRequired[str | None]
    externalOrganizationId: NotRequired[str | None]
    partyId: NotRequired[float | str | None]
    partyNumber: NotRequired[str | None]
    secondaryAddresses: NotRequired[list[DraftAddress] | None]


class DraftProfile(TypedDict):
    email: NotRequired[str | None]
    firstName: NotRequired[str | None]
    lastName: NotRequired[str | None]
    customerContactId: NotRequired[str | None]
    partyId: NotRequired[float | str | None]
    partyNumber: NotRequired[str | None]
    receiveEmail: NotRequired[Annotated[bool | str | None, Schema(description="yes / no")]]


class CreateOrganizationRequest(TypedDict):
    """profile needs email, firstName and lastName."""

    name: str
    organization: NotRequired[DraftOrganization]
    profile: DraftProfile
    relatedOrganizationName: NotRequired[str | None]
    requesterComments: NotRequired[str | None]


class UpdateOrganizationRequest(TypedDict):
    """The keys given replace the request's; organization keys replace the draft's
    (secondaryAddresses the whole list). Allowed while review or moreInfoNeeded."""

    name: NotRequired[str]
    organization: NotRequired[DraftOrganization]
    profile: NotRequired[DraftProfile]
    relatedOrganizationName: NotRequired[str | None]
    requesterComments: NotRequired[str | None]
    approverComments: NotRequired[str | None]
    status: NotRequired[Literal[RequestStatus.REVIEW, RequestStatus.MORE_INFO_NEEDED]]


class ApproveOrganizationRequest(TypedDict):
    """The body may be empty."""

    approverComments: NotRequired[str | None]
    partyNumber: NotRequired[str | None]


class RejectOrganizationRequest(TypedDict):
    """The body may be empty."""

    approverComments: NotRequired[str | None]
