"""Organization views in the OCC wire shape (``spec/createOrganization.txt``, sample response).

Pure functions: a view and the request's URLs in, plain JSON-ready dicts out. The keys, their
nesting and their null-where-unset behaviour follow the vendor's sample response exactly; the
few quirks kept on purpose are noted where they are rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import cast

from orgql.core.access import checks as access
from orgql.core.organizations.snapshot_sql import AddressRow
from orgql.core.organizations.views import OrganizationView
from orgql.core.people.roles import ROLE_FUNCTIONS
from orgql.core.sites.repository import ContractView
from orgql.db import models
from orgql.rest.organizations import shapes
from orgql.rest.shapes import Link

JSON = dict[str, object]

ORGANIZATIONS_PATH = "/ccadmin/v1/organizations"


@dataclass(frozen=True)
class Urls:
    """Where this deployment is reachable: ``base`` has no trailing slash."""

    base: str
    media_path: str

    def media(self, path: str) -> str:
        prefix = self.media_path.strip("/")
        return "/".join(part for part in (self.base, prefix, path.lstrip("/")) if part)

    def organization(self, organization_id: str) -> str:
        return f"{self.base}{ORGANIZATIONS_PATH}/{organization_id}"


def timestamp(value: datetime | None) -> str | None:
    """OCC timestamps: UTC with milliseconds and a ``Z`` ("2017-10-10T11:44:26.000Z")."""
    if value is None:
        return None
    utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def number(value: Decimal | None) -> int | float | None:
    """A NUMERIC as a JSON number: integral values as integers, others as floats."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def self_link(href: str) -> list[Link]:
    return [{"rel": "self", "href": href}]


def address(row: models.Address | AddressRow) -> shapes.Address:
    """An address in the vendor's shape, from its model or a REST snapshot's row."""
    return {
        "country": row.country,
        "phoneNumber": row.phone_number,
        "address2": row.address2,
        "city": row.city,
        "address1": row.address1,
        "postalCode": row.postal_code,
        "companyName": row.company_name,
        "repositoryId": row.id,
        "state": row.state,
    }


def optional_address(row: models.Address | None) -> shapes.Address | None:
    return address(row) if row is not None else None


def organization_summary(
    row: models.Organization, seen: access.Access = access.EVERYTHING
) -> shapes.OrganizationSummary | None:
    """An ancestor as ``seen`` sees it (core.access.checks): a shopper's breadcrumb is its id and
    name; None if they see nothing of it (moved since their access was read)."""
    view = seen.view(row)
    if view is access.View.NONE:
        return None
    if view is access.View.BREADCRUMB:
        return {"name": row.name, "repositoryId": row.id, "id": row.id}
    return {"name": row.name, "repositoryId": row.id, "active": row.active, "id": row.id}


def contract(view: ContractView | None) -> shapes.Contract | None:
    if view is None:
        return None
    return {
        "terms": (
            {"terms": view.terms, "repositoryId": view.terms_id}
            if view.terms_id is not None
            else None
        ),
        "endDate": timestamp(view.end_date),
        "catalog": {"displayName": view.catalog_name, "repositoryId": view.catalog_id},
        "displayName": view.display_name,
        "repositoryId": view.id,
        "description": view.description,
        "priceListGroup": {
            "displayName": view.price_list_group_name,
            "repositoryId": view.price_list_group_id,
        },
        "creationDate": timestamp(view.creation_date),
        "startDate": timestamp(view.start_date),
        "externalContractReference": view.external_contract_reference,
    }


def _shipping_methods(ids: object) -> list[shapes.ShippingMethod] | None:
    return [{"id": method_id} for method_id in ids] if isinstance(ids, list) else None


def _payment_methods(ids: object) -> list[str] | None:
    return list(ids) if isinstance(ids, list) else None


def _duns_as_number(duns: object) -> int | None:
    # Vendor quirk kept on purpose: the sample response sends derivedDunsNumber as a JSON
    # number (123456789) while dunsNumber is a string, so a leading zero is lost here.
    return int(duns) if isinstance(duns, str) and duns.isdigit() else None


def _address_type(row: models.Address | None) -> str | None:
    return row.address_type if row is not None else None


def _role_order(role: models.RelativeRole) -> int:
    return ROLE_FUNCTIONS.index(role.function) if role.function in ROLE_FUNCTIONS else 99


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _flag(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


#: The keys answering each column of core.access.checks.WITHHELD_WHEN_INACTIVE (own, in effect).
_WITHHELD_KEYS: dict[str, tuple[str, ...]] = {
    "contract_id": ("contract", "derivedContract"),
    "payment_methods": ("paymentMethods", "derivedPaymentMethods"),
    "use_all_payment_methods_from_site": (
        "useAllPaymentMethodsFromSite",
        "derivedUseAllPaymentMethodsFromSite",
    ),
}


def organization(
    view: OrganizationView, urls: Urls, self_href: str, seen: access.Access = access.EVERYTHING
) -> shapes.Organization:
    """One organization: its own values, derived values and the site's values of ``view``;
    its parent and ancestors as the caller (``seen``) sees them."""
    org = view.organization
    derived = {column: inherited.value for column, inherited in view.derived.items()}
    own_site = view.own_site_properties
    billing = view.derived_address("billing_address_id")
    shipping = view.derived_address("shipping_address_id")
    body: shapes.Organization = {
        "taxReferenceNumber": org.tax_reference_number,
        "organizationLogo": org.organization_logo,
        "delegateApprovalManagement": own_site.delegate_approval_management if own_site else None,
        "secondaryAddresses": [
            {"address": address(row), "addressType": row.address_type} for row in view.addresses
        ],
        "type": org.type,
        "parentOrganization": organization_summary(view.parent, seen) if view.parent else None,
        "customerType": org.customer_type,
        "derivedShippingMethods": _shipping_methods(derived["shipping_methods"]),
        "derivedBillingAddressType": _address_type(billing),
        "members": [{"repositoryId": profile.id} for profile in view.members],
        "links": self_link(self_href),
        "id": org.id,
        "dunsNumber": org.duns_number,
        "relativeRoles": [
            {"function": role.function, "repositoryId": role.id}
            for role in sorted(view.roles, key=_role_order)
        ],
        "derivedTaxReferenceNumber": _text(derived["tax_reference_number"]),
        "derivedUseAllPaymentMethodsFromSite": _flag(derived["use_all_payment_methods_from_site"]),
        "contract": contract(view.contract),
        "derivedCustomerType": _text(derived["customer_type"]),
        "active": org.active,
        "vatReferenceNumber": org.vat_reference_number,
        "taxExemptionCode": org.tax_exemption_code,
        "derivedType": _text(derived["type"]),
        "useAllShippingMethodsFromSite": org.use_all_shipping_methods_from_site,
        "approvalRequired": own_site.approval_required if own_site else None,
        "derivedTaxExemptionCode": _text(derived["tax_exemption_code"]),
        "derivedVatReferenceNumber": _text(derived["vat_reference_number"]),
        "name": org.name,
        "ancestorOrganizations": [
            summary for row in view.ancestors if (summary := organization_summary(row, seen))
        ],
        "uniqueId": org.unique_id,
        "description": org.description,
        "derivedBillingAddress": optional_address(billing),
        "derivedUniqueId": _text(derived["unique_id"]),
        "organizationLogoURL": urls.media(org.organization_logo) if org.organization_logo else None,
        "derivedContract": contract(view.derived_contract),
        "paymentMethods": _payment_methods(org.payment_methods),
        "derivedShippingAddressType": _address_type(shipping),
        "shippingMethods": _shipping_methods(org.shipping_methods),
        "derivedDunsNumber": _duns_as_number(derived["duns_number"]),
        "derivedOrganizationLogo": _text(derived["organization_logo"]),
        "orderPriceLimit": number(own_site.order_price_limit) if own_site else None,
        "derivedShippingAddress": optional_address(shipping),
        "derivedUseAllShippingMethodsFromSite": _flag(
            derived["use_all_shipping_methods_from_site"]
        ),
        "useAllPaymentMethodsFromSite": org.use_all_payment_methods_from_site,
        "derivedPaymentMethods": _payment_methods(derived["payment_methods"]),
        "repositoryId": org.id,
        "shippingAddress": optional_address(view.address(org.shipping_address_id)),
        "useExternalApprovalWebhook": own_site.use_external_approval_webhook if own_site else None,
        "billingAddress": optional_address(view.address(org.billing_address_id)),
        "derivedDescription": _text(derived["description"]),
        "rolesApplyToDivisions": org.roles_apply_to_divisions,
    }
    for column in access.withheld(seen.view(org)):  # a shopper's deactivated account
        for key in _WITHHELD_KEYS[column]:
            body[key] = None  # type: ignore[literal-required]
    # Dynamic properties are top-level keys, as in the sample ("dynamicProperty1"): the one
    # open part of the shape (additionalProperties in the OpenAPI document). A definition
    # whose name collides with a standard key cannot shadow it.
    extended = cast(JSON, body)
    for key, value in org.dynamic_properties.items():
        extended.setdefault(key, value)
    return body
