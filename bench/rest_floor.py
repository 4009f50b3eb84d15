"""The floor of the REST reads (``restGet``, ``restList``): the gateway's exact JSON for
``GET /ccadmin/v1/organizations/{id}`` and ``GET /ccadmin/v1/organizations?limit=N&offset=M``
(default site, admin, no ``q`` or ``sort``) from hand-written SQL, asyncpg and orjson.

One statement: the organizations asked for with their ancestors (by the stored path), and as
JSON aggregates the default site's rows of all of them with their contracts, the page's
secondary addresses and the default addresses the chains name, roles, members (and for the
list the total). Derived values walk each organization's chain; the keys are written in the
order of the vendor's sample (``rest/render.py``). Links use ``ORGQL_PUBLIC_BASE_URL``, which
the runner sets for the gateway too, so that both answer the same bytes.

Served by ``floor.py`` (``GET /ccadmin/...``).
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import asyncpg
import orjson

ORGANIZATIONS = "/ccadmin/v1/organizations"
#: core.people.roles.ROLE_FUNCTIONS: the order relative roles are answered in.
ROLE_ORDER = {"admin": 0, "buyer": 1, "approver": 2, "accountAddressManager": 3}
ROLE_ORDER["profileAddressManager"] = 4

ORG_COLUMNS = (
    "id",
    "name",
    "description",
    "type",
    "customer_type",
    "active",
    "duns_number",
    "tax_reference_number",
    "vat_reference_number",
    "tax_exemption_code",
    "unique_id",
    "organization_logo",
    "path",
    "payment_methods",
    "shipping_methods",
    "use_all_payment_methods_from_site",
    "use_all_shipping_methods_from_site",
    "billing_address_id",
    "shipping_address_id",
    "dynamic_properties",
    "roles_apply_to_divisions",
)
(ID, NAME, DESCRIPTION, TYPE, CUSTOMER_TYPE, ACTIVE, DUNS, TAX_REF, VAT_REF, TAX_EXEMPT, UNIQUE_ID,
 LOGO, PATH, PAYMENT, SHIPPING, ALL_PAYMENT, ALL_SHIPPING, BILLING, SHIPPING_ADDRESS, DYNAMIC,
 ROLES_APPLY, POSITION) = range(len(ORG_COLUMNS) + 1)  # fmt: skip
DERIVED = (
    DESCRIPTION,
    TYPE,
    CUSTOMER_TYPE,
    DUNS,
    TAX_REF,
    VAT_REF,
    TAX_EXEMPT,
    UNIQUE_ID,
    LOGO,
    PAYMENT,
    SHIPPING,
    ALL_PAYMENT,
    ALL_SHIPPING,
    BILLING,
    SHIPPING_ADDRESS,
)
_MS = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

STATEMENT = """
WITH page AS ({page}),
chain AS (
    SELECT {columns}, p.position
      FROM organizations o LEFT JOIN page p ON p.id = o.id
     WHERE o.id = ANY(ARRAY(SELECT id FROM page UNION SELECT unnest(path) FROM page))
)
SELECT
  (SELECT json_agg(json_build_array({chain_columns}, position)) FROM chain)::text,
  (SELECT json_agg(json_build_array(a.id, a.organization_id, a.address_type, a.country,
                                    a.phone_number, a.address2, a.city, a.address1,
                                    a.postal_code, a.company_name, a.state)
                   ORDER BY a.organization_id, a.id)
     FROM addresses a
    WHERE a.organization_id = ANY(ARRAY(SELECT id FROM page))
       OR a.id = ANY(ARRAY(SELECT billing_address_id FROM chain
                           UNION SELECT shipping_address_id FROM chain)))::text,
  (SELECT json_agg(json_build_array(
            s.organization_id, s.contract_id, s.approval_required, s.order_price_limit::text,
            s.delegate_approval_management, s.use_external_approval_webhook,
            c.display_name, c.description, c.catalog_id, cat.display_name,
            c.price_list_group_id, plg.display_name, {start}, {end}, {created},
            c.external_contract_reference, c.terms_id, t.terms))
     FROM site_organization_properties s
     LEFT JOIN contracts c ON c.id = s.contract_id
     LEFT JOIN catalogs cat ON cat.id = c.catalog_id
     LEFT JOIN price_list_groups plg ON plg.id = c.price_list_group_id
     LEFT JOIN contract_terms t ON t.id = c.terms_id
    WHERE s.site_id = (SELECT id FROM sites WHERE is_default LIMIT 1)
      AND s.organization_id = ANY(ARRAY(SELECT id FROM chain)))::text,
  (SELECT json_agg(json_build_array(r.organization_id, r.id, r.function)
                   ORDER BY r.organization_id, r.id)
     FROM relative_roles r WHERE r.organization_id = ANY(ARRAY(SELECT id FROM page)))::text,
  (SELECT json_agg(json_build_array(m.organization_id, m.profile_id)
                   ORDER BY m.organization_id, m.profile_id)
     FROM organization_members m JOIN profiles pr ON pr.id = m.profile_id
    WHERE m.organization_id = ANY(ARRAY(SELECT id FROM page)))::text,
  {total}
"""
_FORMAT = {
    "columns": ", ".join(f"o.{c}" for c in ORG_COLUMNS),
    "chain_columns": ", ".join(ORG_COLUMNS),
    "start": _MS.format("c.start_date"),
    "end": _MS.format("c.end_date"),
    "created": _MS.format("c.creation_date"),
}
BY_ID = STATEMENT.format(
    page="SELECT id, path, 1 AS position FROM organizations WHERE id = $1", total="0", **_FORMAT
)
PAGE = STATEMENT.format(
    page="SELECT id, path, row_number() OVER (ORDER BY id) AS position FROM organizations"
    " ORDER BY id LIMIT $1 OFFSET $2",
    total="(SELECT count(*) FROM organizations)",
    **_FORMAT,
)


def _base() -> str:
    return os.environ.get("ORGQL_PUBLIC_BASE_URL", "http://127.0.0.1").rstrip("/")


def _number(text: str | None) -> int | float | None:
    if text is None:
        return None
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


def _address(row: list[Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "country": row[3],
        "phoneNumber": row[4],
        "address2": row[5],
        "city": row[6],
        "address1": row[7],
        "postalCode": row[8],
        "companyName": row[9],
        "repositoryId": row[0],
        "state": row[10],
    }


def _contract(row: list[Any] | None) -> dict[str, Any] | None:
    if row is None or row[1] is None:
        return None
    return {
        "terms": {"terms": row[17], "repositoryId": row[16]} if row[16] is not None else None,
        "endDate": row[13],
        "catalog": {"displayName": row[9], "repositoryId": row[8]},
        "displayName": row[6],
        "repositoryId": row[1],
        "description": row[7],
        "priceListGroup": {"displayName": row[11], "repositoryId": row[10]},
        "creationDate": row[14],
        "startDate": row[12],
        "externalContractReference": row[15],
    }


def _methods(ids: list[str] | None) -> list[dict[str, str]] | None:
    return [{"id": i} for i in ids] if ids is not None else None


def _render(parts: asyncpg.Record, href_of: Any) -> list[dict[str, Any]]:
    orgs = orjson.loads(parts[0] or "[]")
    by_id = {o[ID]: o for o in orgs}
    page = sorted((o for o in orgs if o[POSITION] is not None), key=lambda o: o[POSITION])
    addresses: dict[str, list[Any]] = {}
    secondary: dict[str, list[list[Any]]] = {}
    for a in orjson.loads(parts[1] or "[]"):
        addresses[a[0]] = a
        if a[1] in by_id and by_id[a[1]][POSITION] is not None:
            secondary.setdefault(a[1], []).append(a)
    sites = {s[0]: s for s in orjson.loads(parts[2] or "[]")}
    roles: dict[str, list[list[str]]] = {}
    for r in orjson.loads(parts[3] or "[]"):
        roles.setdefault(r[0], []).append(r)
    members: dict[str, list[str]] = {}
    for m in orjson.loads(parts[4] or "[]"):
        members.setdefault(m[0], []).append(m[1])
    media = os.environ.get("ORGQL_MEDIA_PATH", "/file").strip("/")
    items = []
    for org in page:
        chain = [org, *(by_id[a] for a in reversed(org[PATH]) if a in by_id)]
        derived = {}
        for column in DERIVED:
            derived[column] = next((o[column] for o in chain if o[column] is not None), None)
        site_chain = [sites[o[ID]] for o in chain if o[ID] in sites]
        effective_contract = next((s for s in site_chain if s[1] is not None), None)
        own = sites.get(org[ID])
        billing = addresses.get(derived[BILLING]) if derived[BILLING] else None
        shipping = addresses.get(derived[SHIPPING_ADDRESS]) if derived[SHIPPING_ADDRESS] else None
        ancestors = [
            {"name": a[NAME], "repositoryId": a[ID], "active": a[ACTIVE], "id": a[ID]}
            for a in reversed(chain[1:])
        ]
        duns = derived[DUNS]
        logo = org[LOGO]
        body = {
            "taxReferenceNumber": org[TAX_REF],
            "organizationLogo": logo,
            "delegateApprovalManagement": own[4] if own else None,
            "secondaryAddresses": [
                {"address": _address(a), "addressType": a[2]} for a in secondary.get(org[ID], [])
            ],
            "type": org[TYPE],
            "parentOrganization": ancestors[-1] if ancestors else None,
            "customerType": org[CUSTOMER_TYPE],
            "derivedShippingMethods": _methods(derived[SHIPPING]),
            "derivedBillingAddressType": billing[2] if billing else None,
            "members": [{"repositoryId": p} for p in members.get(org[ID], [])],
            "links": [{"rel": "self", "href": href_of(org[ID])}],
            "id": org[ID],
            "dunsNumber": org[DUNS],
            "relativeRoles": [
                {"function": r[2], "repositoryId": r[1]}
                for r in sorted(roles.get(org[ID], []), key=lambda r: ROLE_ORDER.get(r[2], 99))
            ],
            "derivedTaxReferenceNumber": derived[TAX_REF],
            "derivedUseAllPaymentMethodsFromSite": derived[ALL_PAYMENT],
            "contract": _contract(own),
            "derivedCustomerType": derived[CUSTOMER_TYPE],
            "active": org[ACTIVE],
            "vatReferenceNumber": org[VAT_REF],
            "taxExemptionCode": org[TAX_EXEMPT],
            "derivedType": derived[TYPE],
            "useAllShippingMethodsFromSite": org[ALL_SHIPPING],
            "approvalRequired": own[2] if own else None,
            "derivedTaxExemptionCode": derived[TAX_EXEMPT],
            "derivedVatReferenceNumber": derived[VAT_REF],
            "name": org[NAME],
            "ancestorOrganizations": ancestors,
            "uniqueId": org[UNIQUE_ID],
            "description": org[DESCRIPTION],
            "derivedBillingAddress": _address(billing),
            "derivedUniqueId": derived[UNIQUE_ID],
            "organizationLogoURL": "/".join(p for p in (_base(), media, logo.lstrip("/")) if p)
            if logo
            else None,
            "derivedContract": _contract(effective_contract),
            "paymentMethods": org[PAYMENT],
            "derivedShippingAddressType": shipping[2] if shipping else None,
            "shippingMethods": _methods(org[SHIPPING]),
            "derivedDunsNumber": int(duns) if duns and duns.isdigit() else None,
            "derivedOrganizationLogo": derived[LOGO],
            "orderPriceLimit": _number(own[3]) if own else None,
            "derivedShippingAddress": _address(shipping),
            "derivedUseAllShippingMethodsFromSite": derived[ALL_SHIPPING],
            "useAllPaymentMethodsFromSite": org[ALL_PAYMENT],
            "derivedPaymentMethods": derived[PAYMENT],
            "repositoryId": org[ID],
            "shippingAddress": _address(addresses.get(org[SHIPPING_ADDRESS]))
            if org[SHIPPING_ADDRESS]
            else None,
            "useExternalApprovalWebhook": own[5] if own else None,
            "billingAddress": _address(addresses.get(org[BILLING])) if org[BILLING] else None,
            "derivedDescription": derived[DESCRIPTION],
            "rolesApplyToDivisions": org[ROLES_APPLY],
        }
        for key, value in (org[DYNAMIC] or {}).items():
            body.setdefault(key, value)
        items.append(body)
    return items


async def answer(connection: asyncpg.Connection, path: str, query: bytes) -> bytes | None:
    """The JSON of ``GET path?query``; None when the floor does not answer that read."""
    base = _base()

    def href_of(organization_id: str) -> str:
        return f"{base}{ORGANIZATIONS}/{organization_id}"

    if path.startswith(f"{ORGANIZATIONS}/"):
        parts = await connection.fetchrow(BY_ID, path.rsplit("/", 1)[1])
        items = _render(parts, lambda _: base + path + (f"?{query.decode()}" if query else ""))
        return orjson.dumps(items[0]) if items else None
    if path != ORGANIZATIONS:
        return None
    params = parse_qs(query.decode())
    limit = int(params.get("limit", ["20"])[0])
    offset = int(params.get("offset", ["0"])[0])
    parts = await connection.fetchrow(PAGE, limit, offset)
    total = parts[5]
    return orjson.dumps(
        {
            "items": _render(parts, href_of),
            "totalResults": total,
            "total": total,
            "sort": [{"property": "id", "order": "asc"}],
            "offset": offset,
            "limit": limit,
            "links": [
                {"rel": "self", "href": base + path + (f"?{query.decode()}" if query else "")}
            ],
        }
    )
