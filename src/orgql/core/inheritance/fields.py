"""The inherited fields, declared once.

Every value an organization may inherit is one :class:`InheritedField`: the column that holds
the organization's own value, the scope (an organization column, inherited along the whole
hierarchy; or a column of ``site_organization_properties``, inherited within one site), its
OCC names and how it goes on the wire. Every list of inherited values is built from
:data:`FIELDS`: the derived columns (:mod:`.rules`), the site columns, the effects of a change
(:mod:`.effects`), the SQL filter (:mod:`.effective_filter`), the site-properties input and
update, the GraphQL page plans and the ``inheritedFrom`` sources.
``tests/inheritance/test_fields.py`` holds each entry to its GraphQL field and REST key.

Adding a per-site value: docs/adding-an-inherited-field.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Scope(StrEnum):
    """Where the own value is stored, and so along what it is inherited."""

    #: A column of ``organizations``: inherited from the nearest ancestor that sets it.
    ORGANIZATION = "organization"
    #: A column of ``site_organization_properties``: inherited within one site.
    SITE = "site"


class Wire(StrEnum):
    """What the stored value is, and so how it is read from a request and answered."""

    TEXT = "text"
    FLAG = "flag"  # a boolean
    #: A NUMERIC column: read as a decimal, answered as a JSON number (a GraphQL Float).
    DECIMAL = "decimal"
    TEXT_LIST = "text_list"
    #: Ids of shipping methods, answered as references to them.
    SHIPPING_METHODS = "shipping_methods"
    #: An address id, answered as the address (and its addressType).
    ADDRESS = "address"
    #: A contract id, answered as the contract (created from its document when set).
    CONTRACT = "contract"

    @property
    def plain(self) -> bool:
        """Answered as stored (a decimal as a number): no read of another table."""
        return self in (Wire.TEXT, Wire.FLAG, Wire.DECIMAL, Wire.TEXT_LIST)


@dataclass(frozen=True)
class InheritedField:
    column: str
    scope: Scope
    #: The OCC key of the organization's own value (createOrganization, the site
    #: properties); the GraphQL field is the same name (``billingAddress``, ``contract``).
    own: str
    #: The OCC name of the value in effect: ``derivedX`` on the organization (GraphQL field
    #: and REST key), or, for a site value, the name an effect of a change reports.
    name: str
    wire: Wire
    #: Whether effectiveSiteProperties filters may ask for an equal value in effect.
    filterable: bool = False

    @property
    def source(self) -> str:
        """The field of ``inheritedFrom`` that names the organization that set the value: the
        field it explains, on its object (``derivedType`` on Organization; ``contract`` on
        the site values of effectiveSiteProperties)."""
        return self.name if self.scope is Scope.ORGANIZATION else self.own


def _organization(column: str, own: str, wire: Wire = Wire.TEXT) -> InheritedField:
    name = f"derived{own[0].upper()}{own[1:]}"
    return InheritedField(column, Scope.ORGANIZATION, own, name, wire)


def _site(
    column: str, own: str, wire: Wire, *, name: str = "", filterable: bool = False
) -> InheritedField:
    return InheritedField(column, Scope.SITE, own, name or own, wire, filterable)


#: Every inherited value, organization values first, in the order of the vendor's
#: createOrganization response (which the effects of a change keep).
FIELDS: tuple[InheritedField, ...] = (
    _organization("description", "description"),
    _organization("type", "type"),
    _organization("customer_type", "customerType"),
    _organization("duns_number", "dunsNumber"),
    _organization("tax_reference_number", "taxReferenceNumber"),
    _organization("vat_reference_number", "vatReferenceNumber"),
    _organization("tax_exemption_code", "taxExemptionCode"),
    _organization("unique_id", "uniqueId"),
    _organization("organization_logo", "organizationLogo"),
    _organization("payment_methods", "paymentMethods", Wire.TEXT_LIST),
    _organization("shipping_methods", "shippingMethods", Wire.SHIPPING_METHODS),
    _organization("use_all_payment_methods_from_site", "useAllPaymentMethodsFromSite", Wire.FLAG),
    _organization("use_all_shipping_methods_from_site", "useAllShippingMethodsFromSite", Wire.FLAG),
    _organization("billing_address_id", "billingAddress", Wire.ADDRESS),
    _organization("shipping_address_id", "shippingAddress", Wire.ADDRESS),
    _site("contract_id", "contract", Wire.CONTRACT, name="derivedContract", filterable=True),
    _site("approval_required", "approvalRequired", Wire.FLAG, filterable=True),
    _site("order_price_limit", "orderPriceLimit", Wire.DECIMAL),
    _site("delegate_approval_management", "delegateApprovalManagement", Wire.FLAG, filterable=True),
    _site(
        "use_external_approval_webhook", "useExternalApprovalWebhook", Wire.FLAG, filterable=True
    ),
)

#: The organization-scope fields (derived values), and the site-scope ones.
ORGANIZATION_FIELDS = tuple(f for f in FIELDS if f.scope is Scope.ORGANIZATION)
SITE_FIELDS = tuple(f for f in FIELDS if f.scope is Scope.SITE)
#: Their columns, on ``organizations`` and on ``site_organization_properties``.
DERIVED_COLUMNS = tuple(f.column for f in ORGANIZATION_FIELDS)
SITE_COLUMNS = tuple(f.column for f in SITE_FIELDS)
#: Site property key (the OCC key of an own value on a site) -> column.
SITE_PROPERTY_COLUMNS = {f.own: f.column for f in SITE_FIELDS}
BY_COLUMN = {(f.scope, f.column): f for f in FIELDS}


def site_field(column: str) -> InheritedField:
    return BY_COLUMN[(Scope.SITE, column)]
