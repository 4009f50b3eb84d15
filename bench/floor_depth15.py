"""The floor of the ``depth15`` scenario: ``scenarios.EVERYTHING`` (one organization with
every field) answered from one hand-written SQL statement on asyncpg, composed in Python and
written with orjson.

The statement reads the organization, its ancestors by the stored ``path`` (root first), its
first 10 children and their count, its addresses, roles and members, the addresses its chain
names as default billing and shipping, every own site row of the chain and the contracts the
chain names on the default site; each list is one ``json_agg`` column. Derived values are the
nearest non-null along the chain, site values within the default site (DOMAIN.md "Derived
values"), computed here as the page floor does. ``bench/floor.py`` serves it on ``POST
/depth15``; ``bench/run.py`` checks that its answer is the gateway's before the load.
"""

from __future__ import annotations

import base64
import os
from typing import Any

import asyncpg
import orjson

#: The organization columns that are inherited (derived*), in the chain's JSON arrays after
#: id and name; the billing and shipping address ids are derived in the statement.
DERIVED = (
    ("derivedDescription", "description"),
    ("derivedType", "type"),
    ("derivedCustomerType", "customer_type"),
    ("derivedDunsNumber", "duns_number"),
    ("derivedTaxReferenceNumber", "tax_reference_number"),
    ("derivedVatReferenceNumber", "vat_reference_number"),
    ("derivedTaxExemptionCode", "tax_exemption_code"),
    ("derivedUniqueId", "unique_id"),
    ("derivedOrganizationLogo", "organization_logo"),
    ("derivedPaymentMethods", "payment_methods"),
    ("derivedShippingMethods", "shipping_methods"),
    ("derivedUseAllPaymentMethodsFromSite", "use_all_payment_methods_from_site"),
    ("derivedUseAllShippingMethodsFromSite", "use_all_shipping_methods_from_site"),
)
_DERIVED_COLUMNS = ", ".join(f"a.{column}" for _, column in DERIVED)

ORGANIZATION = f"""
WITH o AS (
    SELECT id, name, description, type, customer_type, active, duns_number,
           tax_reference_number, vat_reference_number, tax_exemption_code, unique_id,
           external_organization_id, party_id, party_number, organization_logo,
           payment_methods, shipping_methods, use_all_payment_methods_from_site,
           use_all_shipping_methods_from_site, billing_address_id, shipping_address_id,
           dynamic_properties::text AS dynamic_properties, path
      FROM organizations WHERE id = $1
), chain AS (
    SELECT p.n, a.id, a.name, {_DERIVED_COLUMNS}, a.billing_address_id, a.shipping_address_id
      FROM o, unnest(o.path || o.id) WITH ORDINALITY AS p(id, n)
      JOIN organizations a ON a.id = p.id
), site_rows AS (
    SELECT s.organization_id, s.site_id, s.contract_id, s.approval_required,
           s.order_price_limit, s.delegate_approval_management,
           s.use_external_approval_webhook
      FROM o, site_organization_properties s
     WHERE s.organization_id = ANY(o.path || o.id)
)
SELECT o.*,
       (SELECT json_agg(json_build_array(a.id, a.name, {_DERIVED_COLUMNS}) ORDER BY a.n)
          FROM chain a) AS chain,
       (SELECT count(*) FROM organizations c WHERE c.parent_id = o.id) AS child_count,
       (SELECT json_agg(json_build_array(c.id, c.name) ORDER BY c.id)
          FROM (SELECT id, name FROM organizations
                 WHERE parent_id = o.id ORDER BY id LIMIT 10) c) AS children,
       (SELECT json_agg(json_build_array(d.id, d.address_type, d.address1, d.city,
                                         d.postal_code) ORDER BY d.id)
          FROM addresses d WHERE d.organization_id = o.id) AS addresses,
       (SELECT json_agg(json_build_array(r.id, r.function) ORDER BY r.id)
          FROM relative_roles r WHERE r.organization_id = o.id) AS roles,
       (SELECT json_agg(json_build_array(p.id, p.email) ORDER BY p.id)
          FROM organization_members m JOIN profiles p ON p.id = m.profile_id
         WHERE m.organization_id = o.id) AS members,
       (SELECT json_build_array(d.id, d.city, d.address_type) FROM addresses d
         WHERE d.id = (SELECT billing_address_id FROM chain
                        WHERE billing_address_id IS NOT NULL ORDER BY n DESC LIMIT 1))
          AS derived_billing,
       (SELECT json_build_array(d.id, d.city, d.address_type) FROM addresses d
         WHERE d.id = (SELECT shipping_address_id FROM chain
                        WHERE shipping_address_id IS NOT NULL ORDER BY n DESC LIMIT 1))
          AS derived_shipping,
       (SELECT id FROM sites WHERE is_default) AS default_site,
       (SELECT json_agg(json_build_array(s.organization_id, s.site_id, s.contract_id,
                                         s.approval_required, s.order_price_limit,
                                         s.delegate_approval_management,
                                         s.use_external_approval_webhook) ORDER BY s.site_id)
          FROM site_rows s) AS site_rows,
       (SELECT json_agg(json_build_array(k.id, k.display_name, k.catalog_id, k.terms_id,
                                         t.terms))
          FROM contracts k LEFT JOIN contract_terms t ON t.id = k.terms_id
         WHERE k.id IN (SELECT s.contract_id FROM site_rows s JOIN sites d
                          ON d.id = s.site_id AND d.is_default)) AS contracts
  FROM o
"""

#: Positions in a site row (the statement's ``site_rows`` arrays).
_ORG, _SITE, _CONTRACT, _APPROVAL, _LIMIT, _DELEGATE, _WEBHOOK = range(7)


def global_id(type_name: str, vendor_id: str) -> str:
    """A Node's ``id`` as the gateway answers it (graphql/global_ids.py)."""
    raw = f"{type_name}:{vendor_id}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _logo_url(logo: str | None, base_url: str) -> str | None:
    if logo is None:
        return None
    base = os.environ.get("ORGQL_PUBLIC_BASE_URL") or base_url
    return f"{base.rstrip('/')}{os.environ.get('ORGQL_MEDIA_PATH', '/file')}{logo}"


def _address(found: list[Any] | None) -> dict[str, Any] | None:
    return None if found is None else {"repositoryId": found[0], "city": found[1]}


def _shipping(ids: list[str] | None) -> list[dict[str, str]] | None:
    return None if ids is None else [{"id": i} for i in ids]


def _nearest(chain_ids: list[str], own: dict[str, list[Any]], index: int) -> tuple[Any, Any]:
    """The value of a site row's ``index`` in effect: the nearest of the chain that sets it
    (``chain_ids`` nearest first), with that organization's id; (None, None) if none does."""
    for org_id in chain_ids:
        row = own.get(org_id)
        if row is not None and row[index] is not None:
            return row[index], org_id
    return None, None


async def organization(pool: asyncpg.Pool | None, organization_id: str, base_url: str) -> bytes:
    """The gateway's answer to ``scenarios.EVERYTHING`` for ``organization_id``; ``base_url``
    is the request's own (the logo URL's, when ORGQL_PUBLIC_BASE_URL is not set)."""
    assert pool is not None
    async with pool.acquire() as connection:
        row = await connection.fetchrow(ORGANIZATION, organization_id)
    if row is None:
        return orjson.dumps({"data": {"organization": None}})
    chain = orjson.loads(row["chain"])[::-1]  # nearest first: the organization, its parent...
    ancestors = chain[:0:-1]
    parent = chain[1] if len(chain) > 1 else None
    children = orjson.loads(row["children"] or "[]")
    default_site = row["default_site"]
    site_rows = orjson.loads(row["site_rows"] or "[]")
    own_rows = [s for s in site_rows if s[_ORG] == row["id"]]
    on_default = {s[_ORG]: s for s in site_rows if s[_SITE] == default_site}
    own = on_default.get(row["id"]) or [None] * 7
    contracts = {c[0]: c for c in orjson.loads(row["contracts"] or "[]")}
    chain_ids = [a[0] for a in chain]
    billing = orjson.loads(row["derived_billing"]) if row["derived_billing"] else None
    shipping = orjson.loads(row["derived_shipping"]) if row["derived_shipping"] else None
    derived = {
        field: next((a[i] for a in chain if a[i] is not None), None)
        for i, (field, _) in enumerate(DERIVED, start=2)
    }
    derived["derivedShippingMethods"] = _shipping(derived["derivedShippingMethods"])
    contract_id, contract_from = _nearest(chain_ids, on_default, _CONTRACT)
    contract = contracts.get(contract_id)
    approval, approval_from = _nearest(chain_ids, on_default, _APPROVAL)
    limit, limit_from = _nearest(chain_ids, on_default, _LIMIT)
    own_contract = contracts.get(own[_CONTRACT])
    node = {
        "id": global_id("Organization", row["id"]),
        "repositoryId": row["id"],
        "name": row["name"],
        "description": row["description"],
        "type": row["type"],
        "customerType": row["customer_type"],
        "active": row["active"],
        "dunsNumber": row["duns_number"],
        "taxReferenceNumber": row["tax_reference_number"],
        "vatReferenceNumber": row["vat_reference_number"],
        "taxExemptionCode": row["tax_exemption_code"],
        "uniqueId": row["unique_id"],
        "externalOrganizationId": row["external_organization_id"],
        "partyId": row["party_id"],
        "partyNumber": row["party_number"],
        "organizationLogo": row["organization_logo"],
        "organizationLogoURL": _logo_url(row["organization_logo"], base_url),
        "paymentMethods": row["payment_methods"],
        "useAllPaymentMethodsFromSite": row["use_all_payment_methods_from_site"],
        "useAllShippingMethodsFromSite": row["use_all_shipping_methods_from_site"],
        "dynamicProperties": orjson.loads(row["dynamic_properties"]),
        "shippingMethods": _shipping(row["shipping_methods"]),
        "parentOrganization": (
            {"id": global_id("Organization", parent[0]), "name": parent[1]} if parent else None
        ),
        "ancestorOrganizations": [
            {"id": global_id("Organization", a[0]), "name": a[1]} for a in ancestors
        ],
        "childOrganizations": {
            "totalCount": row["child_count"],
            "edges": [
                {"node": {"id": global_id("Organization", c[0]), "name": c[1]}} for c in children
            ],
        },
        "secondaryAddresses": [
            {
                "addressType": d[1],
                "address": {
                    "repositoryId": d[0],
                    "address1": d[2],
                    "city": d[3],
                    "postalCode": d[4],
                },
            }
            for d in orjson.loads(row["addresses"] or "[]")
        ],
        # Own defaults: the organization is the nearest of its chain, so an own default is
        # the derived one.
        "billingAddress": _address(billing) if row["billing_address_id"] else None,
        "shippingAddress": _address(shipping) if row["shipping_address_id"] else None,
        "relativeRoles": [
            {"repositoryId": r[0], "function": r[1]} for r in orjson.loads(row["roles"] or "[]")
        ],
        "members": [
            {"id": global_id("Profile", p[0]), "email": p[1]}
            for p in orjson.loads(row["members"] or "[]")
        ],
        **derived,
        "derivedBillingAddress": _address(billing),
        "derivedBillingAddressType": billing[2] if billing else None,
        "derivedShippingAddress": _address(shipping),
        "derivedShippingAddressType": shipping[2] if shipping else None,
        "contract": {"repositoryId": own_contract[0]} if own_contract else None,
        "derivedContract": (
            {
                "repositoryId": contract[0],
                "displayName": contract[1],
                "catalog": {"repositoryId": contract[2]},
                "terms": {"terms": contract[4]} if contract[3] else None,
            }
            if contract
            else None
        ),
        "approvalRequired": own[_APPROVAL],
        "orderPriceLimit": _float(own[_LIMIT]),
        "delegateApprovalManagement": own[_DELEGATE],
        "useExternalApprovalWebhook": own[_WEBHOOK],
        "siteOrganizationProperties": [
            {
                "site": {"id": global_id("Site", s[_SITE])},
                "approvalRequired": s[_APPROVAL],
                "orderPriceLimit": _float(s[_LIMIT]),
            }
            for s in own_rows
        ],
        "effectiveSiteProperties": (
            {
                "approvalRequired": approval,
                "orderPriceLimit": _float(limit),
                "contract": (
                    {"repositoryId": contract[0], "displayName": contract[1]} if contract else None
                ),
                "inheritedFrom": {
                    "contract": contract_from,
                    "approvalRequired": approval_from,
                    "orderPriceLimit": limit_from,
                },
            }
            if default_site is not None
            else None
        ),
    }
    return orjson.dumps({"data": {"organization": node}})
