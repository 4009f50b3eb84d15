"""The organization reads' answers, from one statement's snapshot
(:mod:`orgql.core.organizations.snapshots`) to the JSON bytes.

The shape, key order and quirks are :func:`orgql.rest.render.organization`'s (the vendor's
sample response), which answers the writes and is the reference of
``tests/organizations/test_rest_reads.py``: every key is written here in the same place.
What is shared by several organizations of a page (an ancestor's summary, an address, a
contract) is rendered once per request.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import orjson

from orgql.core.access.checks import WITHHELD_WHEN_INACTIVE
from orgql.core.inheritance.fields import DERIVED_COLUMNS, SITE_COLUMNS
from orgql.core.organizations.snapshot_sql import ORGANIZATION_AT, OrganizationRow
from orgql.core.organizations.snapshots import Snapshot
from orgql.core.people.roles import ROLE_FUNCTIONS
from orgql.rest import render
from orgql.rest.organizations import shapes
from orgql.rest.render import JSON, Urls, number, self_link
from orgql.rest.shapes import SortOrder

_D = {column: index for index, column in enumerate(DERIVED_COLUMNS)}
_S = {column: index for index, column in enumerate(SITE_COLUMNS)}
_ROLE_ORDER: dict[str, int] = {function: index for index, function in enumerate(ROLE_FUNCTIONS)}
#: What an ancestor's summary reads of its array (Snapshot.by_id).
_NAME, _ACTIVE, _MEMBER = (ORGANIZATION_AT[field] for field in ("name", "active", "member"))
#: The keys a shopper's deactivated account answers as null (render._WITHHELD_KEYS).
_WITHHELD = {
    "contract_id": ("contract", "derivedContract"),
    "payment_methods": ("paymentMethods", "derivedPaymentMethods"),
    "use_all_payment_methods_from_site": (
        "useAllPaymentMethodsFromSite",
        "derivedUseAllPaymentMethodsFromSite",
    ),
}
_WITHHELD_KEYS = tuple(key for column in WITHHELD_WHEN_INACTIVE for key in _WITHHELD[column])


def _timestamp(iso: str | None) -> str | None:
    """render.timestamp of the snapshot's UTC text (microseconds): milliseconds and a Z."""
    return None if iso is None else f"{iso[:23]}Z"


def _shipping_methods(ids: object) -> list[shapes.ShippingMethod] | None:
    return [{"id": method_id} for method_id in ids] if isinstance(ids, list) else None


def _payment_methods(ids: object) -> list[str] | None:
    return list(ids) if isinstance(ids, list) else None


def _relative_roles(roles: list[tuple[str, str]]) -> list[shapes.RelativeRole]:
    """(role id, function) pairs in the order of ROLE_FUNCTIONS, as render.organization."""
    ordered = sorted(roles, key=lambda role: _ROLE_ORDER.get(role[1], 99))
    return [{"function": function, "repositoryId": role_id} for role_id, function in ordered]


def _limit(text: str | None) -> int | float | None:
    """render.number of the snapshot's exact text of a NUMERIC."""
    return None if text is None else number(Decimal(text))


def _duns_as_number(duns: object) -> int | None:
    # The vendor's quirk (render._duns_as_number): derivedDunsNumber as a JSON number.
    return int(duns) if isinstance(duns, str) and duns.isdigit() else None


class _Renderer:
    """Renders the organizations of one snapshot, each shared part once."""

    def __init__(self, snapshot: Snapshot, urls: Urls, shopper: bool) -> None:
        self.snapshot = snapshot
        self.urls = urls
        self.shopper = shopper
        self._addresses: dict[str, shapes.Address] = {}
        self._contracts: dict[str, shapes.Contract] = {}
        self._summaries: dict[str, shapes.OrganizationSummary] = {}
        #: Ancestor lists by the id of the direct parent: siblings share theirs, a child
        #: starts from its parent's.
        self._ancestors: dict[str, list[shapes.OrganizationSummary]] = {}

    def address(self, address_id: object) -> shapes.Address | None:
        if not isinstance(address_id, str):
            return None
        rendered = self._addresses.get(address_id)
        if rendered is None:
            row = self.snapshot.addresses.get(address_id)
            if row is None:
                return None
            rendered = self._addresses[address_id] = render.address(row)
        return rendered

    def address_type(self, address_id: object) -> str | None:
        row = self.snapshot.addresses.get(address_id) if isinstance(address_id, str) else None
        return row.address_type if row is not None else None

    def contract(self, contract_id: object) -> shapes.Contract | None:
        if not isinstance(contract_id, str):
            return None
        rendered = self._contracts.get(contract_id)
        if rendered is None:
            row = self.snapshot.contracts.get(contract_id)
            if row is None:
                return None
            rendered = self._contracts[contract_id] = {
                "terms": (
                    {"terms": row.terms, "repositoryId": row.terms_id}
                    if row.terms_id is not None
                    else None
                ),
                "endDate": _timestamp(row.end_date),
                "catalog": {"displayName": row.catalog_name, "repositoryId": row.catalog_id},
                "displayName": row.contract_display_name,
                "repositoryId": contract_id,
                "description": row.contract_description,
                "priceListGroup": {
                    "displayName": row.price_list_group_name,
                    "repositoryId": row.price_list_group_id,
                },
                "creationDate": _timestamp(row.creation_date),
                "startDate": _timestamp(row.start_date),
                "externalContractReference": row.external_contract_reference,
            }
        return rendered

    def ancestors(self, org: OrganizationRow) -> list[shapes.OrganizationSummary]:
        """Root first, each as the caller sees it (core.access.checks): a shopper sees of an
        ancestor that is not one of their accounts its id and name (a breadcrumb).

        Each list starts as a copy of the longest one already made for a prefix of the path
        (most often the parent's own ancestors, on the same page), and each summary is made
        once per snapshot, in this loop rather than a call per ancestor (a read by id makes
        fourteen, a page of 100 some hundreds)."""
        path = org.path
        if not path:
            return []
        lists = self._ancestors
        found = lists.get(path[-1])
        if found is not None:
            return found
        found, start = [], 0
        if lists:
            for depth in range(len(path) - 1, 0, -1):
                prefix = lists.get(path[depth - 1])
                if prefix is not None:
                    found, start = prefix.copy(), depth
                    break
        by_id = self.snapshot.by_id
        summaries = self._summaries
        shopper = self.shopper
        for ancestor_id in path[start:]:
            summary = summaries.get(ancestor_id)
            if summary is None:
                row = by_id.get(ancestor_id)
                if row is None:  # removed meanwhile: skipped
                    continue
                if shopper and not row[_MEMBER]:
                    summary = {"name": row[_NAME], "repositoryId": ancestor_id, "id": ancestor_id}
                else:
                    summary = {
                        "name": row[_NAME],
                        "repositoryId": ancestor_id,
                        "active": row[_ACTIVE],
                        "id": ancestor_id,
                    }
                summaries[ancestor_id] = summary
            found.append(summary)
        lists[path[-1]] = found
        return found

    def organization(self, org: OrganizationRow, self_href: str) -> shapes.Organization:
        snapshot = self.snapshot
        org_id: str = org.id
        derived = snapshot.derived[org_id]
        effective = snapshot.effective.get(org_id)
        own_site = snapshot.site_rows.get(org_id)
        ancestors = self.ancestors(org)
        billing = derived[_D["billing_address_id"]]
        shipping = derived[_D["shipping_address_id"]]
        logo = org.organization_logo
        # Most organizations have no roles or members: no sort nor comprehension for them.
        roles = snapshot.roles.get(org_id)
        members = snapshot.members.get(org_id)
        body: shapes.Organization = {
            "taxReferenceNumber": org.tax_reference_number,
            "organizationLogo": logo,
            "delegateApprovalManagement": own_site.delegate_approval_management
            if own_site
            else None,
            "secondaryAddresses": [
                {"address": self.address(row.id), "addressType": row.address_type}  # type: ignore[typeddict-item]
                for row in snapshot.secondary_addresses.get(org_id, ())
            ],
            "type": org.type,
            "parentOrganization": ancestors[-1] if ancestors else None,
            "customerType": org.customer_type,
            "derivedShippingMethods": _shipping_methods(derived[_D["shipping_methods"]]),
            "derivedBillingAddressType": self.address_type(billing),
            "members": [{"repositoryId": profile_id} for profile_id in members] if members else [],
            "links": [{"rel": "self", "href": self_href}],
            "id": org_id,
            "dunsNumber": org.duns_number,
            "relativeRoles": _relative_roles(roles) if roles else [],
            "derivedTaxReferenceNumber": derived[_D["tax_reference_number"]],
            "derivedUseAllPaymentMethodsFromSite": derived[_D["use_all_payment_methods_from_site"]],
            "contract": self.contract(own_site.contract_id) if own_site else None,
            "derivedCustomerType": derived[_D["customer_type"]],
            "active": org.active,
            "vatReferenceNumber": org.vat_reference_number,
            "taxExemptionCode": org.tax_exemption_code,
            "derivedType": derived[_D["type"]],
            "useAllShippingMethodsFromSite": org.use_all_shipping_methods_from_site,
            "approvalRequired": own_site.approval_required if own_site else None,
            "derivedTaxExemptionCode": derived[_D["tax_exemption_code"]],
            "derivedVatReferenceNumber": derived[_D["vat_reference_number"]],
            "name": org.name,
            "ancestorOrganizations": ancestors,
            "uniqueId": org.unique_id,
            "description": org.description,
            "derivedBillingAddress": self.address(billing),
            "derivedUniqueId": derived[_D["unique_id"]],
            "organizationLogoURL": self.urls.media(logo) if logo else None,
            "derivedContract": self.contract(effective[_S["contract_id"]]) if effective else None,
            "paymentMethods": _payment_methods(org.payment_methods),
            "derivedShippingAddressType": self.address_type(shipping),
            "shippingMethods": _shipping_methods(org.shipping_methods),
            "derivedDunsNumber": _duns_as_number(derived[_D["duns_number"]]),
            "derivedOrganizationLogo": derived[_D["organization_logo"]],
            "orderPriceLimit": _limit(own_site.order_price_limit) if own_site else None,
            "derivedShippingAddress": self.address(shipping),
            "derivedUseAllShippingMethodsFromSite": derived[
                _D["use_all_shipping_methods_from_site"]
            ],
            "useAllPaymentMethodsFromSite": org.use_all_payment_methods_from_site,
            "derivedPaymentMethods": _payment_methods(derived[_D["payment_methods"]]),
            "repositoryId": org_id,
            "shippingAddress": self.address(org.shipping_address_id),
            "useExternalApprovalWebhook": own_site.use_external_approval_webhook
            if own_site
            else None,
            "billingAddress": self.address(org.billing_address_id),
            "derivedDescription": derived[_D["description"]],
            "rolesApplyToDivisions": org.roles_apply_to_divisions,
        }
        extended: JSON = body  # type: ignore[assignment]
        if self.shopper and not org.active:  # a shopper's deactivated account
            for key in _WITHHELD_KEYS:
                extended[key] = None
        for key, value in snapshot.dynamic_properties[org_id].items():
            extended.setdefault(key, value)
        return body


def organization(
    snapshot: Snapshot, urls: Urls, self_href: str, *, shopper: bool = False
) -> shapes.Organization:
    """The one organization of ``snapshot``; ``shopper``: as its member sees it."""
    return _Renderer(snapshot, urls, shopper).organization(snapshot.page[0], self_href)


def organization_list(
    snapshot: Snapshot,
    urls: Urls,
    *,
    offset: int,
    limit: int,
    self_href: str,
    sort: Sequence[SortOrder],
) -> shapes.OrganizationList:
    renderer = _Renderer(snapshot, urls, shopper=False)
    total = snapshot.total or 0
    return {
        "items": [renderer.organization(org, urls.organization(org.id)) for org in snapshot.page],
        "totalResults": total,
        "total": total,
        "sort": list(sort),
        "offset": offset,
        "limit": limit,
        "links": self_link(self_href),
    }


def dumps(body: Any, snapshot: Snapshot) -> bytes:
    """``body`` (of ``snapshot``) as Starlette's JSONResponse writes it, with orjson when that
    writes the same bytes: always, but for floats and nested values of dynamic properties
    (json writes 1e+16 where orjson writes 1e16) and integers past 64 bits."""
    dynamic = snapshot.dynamic_properties.values()
    if all(_plain(value) for properties in dynamic for value in properties.values()):
        try:
            return orjson.dumps(body)
        except orjson.JSONEncodeError:
            pass
    return json.dumps(
        body, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")


def _plain(value: object) -> bool:
    return value is None or isinstance(value, str | bool | int)
