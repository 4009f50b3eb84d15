"""The benchmark's GraphQL documents (shared by the runner and the statement-count test)."""

from __future__ import annotations

import base64

PAGE = """
query Page($first: Int!, $after: String) {
  organizations(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        id
        name
        parentOrganization { id name }
        ancestorOrganizations { id name }
        derivedDescription
        derivedType
        derivedCustomerType
        derivedDunsNumber
        derivedTaxReferenceNumber
        effectiveSiteProperties {
          approvalRequired
          orderPriceLimit
          delegateApprovalManagement
          useExternalApprovalWebhook
          contract { repositoryId displayName }
          inheritedFrom {
            contract approvalRequired orderPriceLimit delegateApprovalManagement
            useExternalApprovalWebhook
          }
        }
      }
    }
  }
}
"""

EVERYTHING = """
query One($id: ID!) {
  organization(id: $id) {
    id repositoryId name description type customerType active dunsNumber taxReferenceNumber
    vatReferenceNumber taxExemptionCode uniqueId externalOrganizationId partyId partyNumber
    organizationLogo organizationLogoURL paymentMethods useAllPaymentMethodsFromSite
    useAllShippingMethodsFromSite dynamicProperties shippingMethods { id }
    parentOrganization { id name }
    ancestorOrganizations { id name }
    childOrganizations(first: 10) { totalCount edges { node { id name } } }
    secondaryAddresses { addressType address { repositoryId address1 city postalCode } }
    billingAddress { repositoryId city }
    shippingAddress { repositoryId city }
    relativeRoles { repositoryId function }
    members { id email }
    derivedDescription derivedType derivedCustomerType derivedDunsNumber
    derivedTaxReferenceNumber derivedVatReferenceNumber derivedTaxExemptionCode
    derivedUniqueId derivedOrganizationLogo derivedPaymentMethods
    derivedShippingMethods { id }
    derivedUseAllPaymentMethodsFromSite derivedUseAllShippingMethodsFromSite
    derivedBillingAddress { repositoryId city } derivedBillingAddressType
    derivedShippingAddress { repositoryId city } derivedShippingAddressType
    contract { repositoryId }
    derivedContract { repositoryId displayName catalog { repositoryId } terms { terms } }
    approvalRequired orderPriceLimit delegateApprovalManagement useExternalApprovalWebhook
    siteOrganizationProperties { site { id } approvalRequired orderPriceLimit }
    effectiveSiteProperties {
      approvalRequired orderPriceLimit contract { repositoryId displayName }
      inheritedFrom { contract approvalRequired orderPriceLimit }
    }
  }
}
"""

TYPENAME = "{ __typename }"

CREATE = """
mutation Create($name: String!) {
  createOrganization(input: {name: $name, parentOrganizationId: "b0050000",
                             description: "Created by the benchmark"}) {
    organization { id name derivedCustomerType ancestorOrganizations { id } }
    userErrors { code message }
  }
}
"""

UPDATE_SITE = """
mutation Update {
  updateSiteOrganizationProperties(id: "b0050000", input: [
    {site: "site1", properties: {approvalRequired: false, orderPriceLimit: 2500}}
  ]) {
    userErrors { code message }
  }
}
"""

SYNC = """
mutation Sync {
  syncFinancialData(id: "900001") {
    customerAccountIds
    failedAddressItems { externalId errorMessage }
    userErrors { code message }
  }
}
"""


def cursor(organization_id: str) -> str:
    return base64.urlsafe_b64encode(f"org:{organization_id}".encode()).decode()


#: A page in the middle of the forest: organizations of depths 1 to 6.
PAGE_AFTER_ID = "b0050000"
PAGE_AFTER = cursor(PAGE_AFTER_ID)
#: The shopper of ``shopperPage``: a member of the 100 organizations of that page (the run
#: adds the profile and its memberships), so their page answers what the admin's does.
SHOPPER = "bench-shopper"
#: REST reads: one organization (the depth-15 one) and a list of 100.
REST_GET = "/ccadmin/v1/organizations/b0000015"
REST_LIST = "/ccadmin/v1/organizations?limit=100"
#: The deepest organization of the first depth-15 chain (dataset.py makes chains first).
DEPTH_15 = "b0000015"
