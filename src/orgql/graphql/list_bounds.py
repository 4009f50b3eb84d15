"""How many items each list field of the schema may hold: the cost (:mod:`analysis`)
multiplies a list's selection by this bound, so that the cost of a document bounds the size
of its answer.

A connection (a field with a ``first`` argument) is bounded by ``first``; every other list
whose items have fields is declared here, once. The numbers come from the core where the
core bounds the list; the others are declared maxima (``DECLARED_*``). A test walks the
schema (``tests/auth/test_graphql_analysis.py``): a list field with neither ``first`` nor an
entry here fails it. Introspection is costed by its answer (:mod:`introspection_cost`).
"""

from __future__ import annotations

from orgql.core.access.permissions import Permission
from orgql.core.addresses.profile_addresses import MAX_PROFILE_ADDRESSES
from orgql.core.common.paging import MAX_PAGE_SIZE
from orgql.core.history.service import MAX_FIELD_CHANGES
from orgql.core.organizations.service import MAX_HIERARCHY_DEPTH
from orgql.core.people.roles import ROLE_FUNCTIONS
from orgql.core.viewer.service import MAX_OWN_REQUESTS
from orgql.graphql.global_ids import MAX_NODES

#: A list counted by the connection above it: the connection multiplies its whole
#: selection by ``first`` already.
PAGED = 1

#: Declared maxima of lists the core does not bound (reference data, memberships,
#: addresses, synced accounts): the number of items counted for one such list, sized for
#: the data a B2B storefront holds. A list longer than its maximum is still answered in
#: full: for it the cost is an estimate, not a bound (docs/security.md).
DECLARED_SITES = 10
DECLARED_REFERENCE_ITEMS = 10
DECLARED_MEMBERS = 20
#: The organizations one contact is a member of.
DECLARED_MEMBERSHIPS = 10
DECLARED_ADDRESSES = 10
DECLARED_ACCOUNTS = 10
DECLARED_PROBLEMS = 20
DECLARED_SUBSCRIPTIONS = 20
#: A dry run's effects: organizations of a subtree times derived values; counted as one
#: page of organizations with a few values each.
DECLARED_EFFECTS = MAX_PAGE_SIZE * 10

LIST_BOUNDS: dict[tuple[str, str], int] = {
    # Connections' edges: multiplied by `first` at the connection.
    ("OrganizationConnection", "edges"): PAGED,
    ("OrganizationChangeConnection", "edges"): PAGED,
    ("OrganizationRequestConnection", "edges"): PAGED,
    # Bounded by the core.
    ("Organization", "ancestorOrganizations"): MAX_HIERARCHY_DEPTH - 1,
    ("Organization", "relativeRoles"): len(ROLE_FUNCTIONS),
    ("OrganizationChange", "changes"): MAX_FIELD_CHANGES,
    ("Query", "nodes"): MAX_NODES,  # refused beyond (graphql.node)
    ("Viewer", "organizationRequests"): MAX_OWN_REQUESTS,
    ("ViewerOrganization", "roles"): len(ROLE_FUNCTIONS),
    ("ViewerOrganization", "permissions"): len(Permission),
    ("Profile", "addresses"): MAX_PROFILE_ADDRESSES,
    # Declared.
    ("Query", "sites"): DECLARED_SITES,
    ("Query", "webhookSubscriptions"): DECLARED_SUBSCRIPTIONS,
    ("Organization", "siteOrganizationProperties"): DECLARED_SITES,
    ("Organization", "shippingMethods"): DECLARED_REFERENCE_ITEMS,
    ("Organization", "derivedShippingMethods"): DECLARED_REFERENCE_ITEMS,
    ("Organization", "secondaryAddresses"): DECLARED_ADDRESSES,
    ("Organization", "billingAddresses"): DECLARED_ADDRESSES,
    ("Organization", "customerAccounts"): DECLARED_ACCOUNTS,
    ("Organization", "members"): DECLARED_MEMBERS,
    ("Query", "contactsByCustomerContactId"): MAX_PAGE_SIZE,
    ("Query", "organizationalRoles"): len(ROLE_FUNCTIONS),
    ("OrganizationalRole", "contacts"): DECLARED_MEMBERS,
    ("Contact", "secondaryOrganizations"): DECLARED_MEMBERSHIPS,
    # At most core.viewer.service.MAX_ACCOUNTS; counted as the memberships a contact has.
    ("Viewer", "organizations"): DECLARED_MEMBERSHIPS,
    ("Contact", "roles"): DECLARED_MEMBERSHIPS * len(ROLE_FUNCTIONS),
    ("UpdateOrganizationMembersPayload", "members"): DECLARED_MEMBERS,
    ("CustomerAccount", "addresses"): DECLARED_ADDRESSES,
    ("OrganizationDraft", "secondaryAddresses"): DECLARED_ADDRESSES,
    ("DraftAddress", "types"): DECLARED_REFERENCE_ITEMS,
    ("OrganizationAddress", "types"): DECLARED_REFERENCE_ITEMS,
    ("UpdateSiteOrganizationPropertiesPayload", "siteOrganizationProperties"): DECLARED_SITES,
    ("UpdateOrganizationPayload", "effects"): DECLARED_EFFECTS,
    ("SyncFinancialDataPayload", "failedAddressItems"): DECLARED_ADDRESSES,
}

#: Every payload's userErrors: one per problem found in the input.
USER_ERRORS_BOUND = DECLARED_PROBLEMS

#: A list the declarations miss (the schema test forbids it): counted as a full page.
UNDECLARED = MAX_PAGE_SIZE


def list_bound(type_name: str, field_name: str) -> int:
    """The most items the list ``type_name.field_name`` may hold."""
    if field_name == "userErrors":
        return USER_ERRORS_BOUND
    return LIST_BOUNDS.get((type_name, field_name), UNDECLARED)
