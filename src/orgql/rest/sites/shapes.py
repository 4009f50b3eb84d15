"""Site organization property shapes (``spec/updateSiteOrganizationProperties.txt``; see
``rest/shapes.py``)."""

from typing import Annotated, Literal, NotRequired, TypedDict

from orgql.rest.json_schema import Schema
from orgql.rest.organizations.shapes import ContractInput


class Site(TypedDict):
    productionURL: str | None
    name: str
    id: str
    enabled: bool


class SiteContractTerms(TypedDict):
    terms: str | None


class SiteContract(TypedDict):
    """The contract as in the request, plus its repositoryId."""

    catalogId: str
    priceListGroupId: str
    displayName: str
    repositoryId: str
    description: str | None
    contract_terms: SiteContractTerms | None
    externalContractReference: str | None


class SiteProperties(TypedDict):
    approvalRequired: bool | None
    contract: SiteContract | None
    delegateApprovalManagement: bool | None
    useExternalApprovalWebhook: bool | None
    orderPriceLimit: int | float | None


class SiteOrganizationPropertiesEntry(TypedDict):
    site: Site
    properties: SiteProperties


class SiteOrganizationPropertiesList(TypedDict):
    siteOrganizationProperties: list[SiteOrganizationPropertiesEntry]


# updateSiteOrganizationProperties' body -------------------------------------------------


class SiteReference(TypedDict):
    id: str


class SitePropertiesInput(TypedDict):
    """A key left out is unchanged, null clears it. With op "remove" the keys given (any
    value) are removed: the value is inherited from the parent on the same site again, null
    where nothing is inherited."""

    op: NotRequired[Literal["remove"]]
    contract: NotRequired[ContractInput | None]
    approvalRequired: NotRequired[bool | None]
    orderPriceLimit: NotRequired[Annotated[float | None, Schema(minimum=0)]]
    delegateApprovalManagement: NotRequired[bool | None]
    useExternalApprovalWebhook: NotRequired[bool | None]


class SitePropertiesUpdate(TypedDict):
    site: SiteReference
    properties: SitePropertiesInput


class UpdateSiteOrganizationProperties(TypedDict):
    siteOrganizationProperties: Annotated[list[SitePropertiesUpdate], Schema(minItems=1)]
