"""Parse an untrusted createOrganization document into typed inputs.

The document uses the OCC field names of ``spec/createOrganization.txt``; REST passes the
request body, GraphQL translates its input type into the same names. Every shape rule and
its error code lives here; rules that need the database live in :mod:`organizations`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from orgql.core.common.characters import check_seen
from orgql.core.common.errors import Codes
from orgql.core.common.validation import (
    REST_NAMES,
    InputNames,
    Problems,
    column_length,
    read_bool,
    read_ids,
    read_reference,
    read_str,
    too_many,
    unknown_keys,
)
from orgql.core.organizations.address_input import NewAddress, parse_addresses, stored_nicknames
from orgql.core.organizations.dynamic_properties import as_stored
from orgql.core.organizations.site_input import (
    SITE_PROPERTY_KEYS,
    SiteProperties,
    parse_site_properties,
)
from orgql.core.organizations.vocabularies import CustomerType, OrganizationType
from orgql.db import models

ORGANIZATION_TYPES = tuple(member.value for member in OrganizationType)
CUSTOMER_TYPES = tuple(member.value for member in CustomerType)
_TAX_EXEMPTION_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-. ]{0,39}$")

_ORG = models.Organization.__table__
_ADDRESS = models.Address.__table__

#: OCC key -> (column, max length) for the plain string fields of an organization.
ORGANIZATION_STRINGS = {
    "description": "description",
    "taxReferenceNumber": "tax_reference_number",
    "vatReferenceNumber": "vat_reference_number",
    "uniqueId": "unique_id",
    "externalOrganizationId": "external_organization_id",
    "partyId": "party_id",
    "partyNumber": "party_number",
}

#: orgql's extension key (not the vendor's): whether the roles held in the organization apply
#: in every organization below it (core.organizations.membership; false by default; null in
#: an update changes nothing, as for ``active``).
ROLES_APPLY_TO_DIVISIONS = "rolesApplyToDivisions"

KNOWN_KEYS = frozenset(
    [
        "name",
        "type",
        "customerType",
        "active",
        "dunsNumber",
        "taxExemptionCode",
        "organizationLogo",
        "parentOrganization",
        "members",
        "paymentMethods",
        "shippingMethods",
        "useAllPaymentMethodsFromSite",
        "useAllShippingMethodsFromSite",
        "secondaryAddresses",
        "billingAddress",
        "shippingAddress",
        ROLES_APPLY_TO_DIVISIONS,
        *ORGANIZATION_STRINGS,
        *SITE_PROPERTY_KEYS,
    ]
)


#: OCC key -> column of the plain organization values (:func:`parse_columns`).
COLUMN_KEYS = {
    **ORGANIZATION_STRINGS,
    "type": "type",
    "customerType": "customer_type",
    "dunsNumber": "duns_number",
    "taxExemptionCode": "tax_exemption_code",
    "organizationLogo": "organization_logo",
    "paymentMethods": "payment_methods",
    "shippingMethods": "shipping_methods",
    "useAllPaymentMethodsFromSite": "use_all_payment_methods_from_site",
    "useAllShippingMethodsFromSite": "use_all_shipping_methods_from_site",
}


@dataclass(frozen=True)
class NewOrganization:
    name: str
    columns: dict[str, object]
    parent_id: str | None = None
    member_ids: list[str] = field(default_factory=list)
    addresses: list[NewAddress] = field(default_factory=list)
    billing_address_id: str | None = None
    shipping_address_id: str | None = None
    site_properties: SiteProperties = field(default_factory=SiteProperties)
    dynamic_properties: dict[str, object] = field(default_factory=dict)


def parse_new_organization(
    doc: Mapping[str, object],
    dynamic_properties: Mapping[str, object] | None = None,
    *,
    stored: Mapping[str, object] | None = None,
    names: InputNames = REST_NAMES,
) -> NewOrganization:
    """Validate the shape of a createOrganization document (rules of createOrganization.txt).

    ``dynamic_properties`` are checked against their definitions by the service; ``names``:
    what the caller's input calls the references (core.common.validation.InputNames). The name
    and the addresses' nicknames hold no invisible character (core.common.characters;
    100002), unless one is the ``stored`` document's as it is: a registration request's draft
    stored before the rule, sent back with another change. Raises :class:`OrgqlError`
    listing every problem found.
    """
    problems = Problems()
    unknown_keys(doc, KNOWN_KEYS, None, problems)

    name = read_str(
        doc,
        "name",
        None,
        problems,
        max_length=column_length(_ORG, "name"),
        required=Codes.NAME_EMPTY,
    )
    stored_name = stored.get("name") if stored is not None else None
    check_name(name, stored_name if isinstance(stored_name, str) else None, problems)

    columns = parse_columns(doc, problems)
    active = read_bool(doc, "active", None, problems)
    columns["active"] = True if active is None else active
    lends = read_bool(doc, ROLES_APPLY_TO_DIVISIONS, None, problems)
    columns["roles_apply_to_divisions"] = bool(lends)

    parent_id = read_reference(
        doc,
        "parentOrganization",
        None,
        problems,
        code=Codes.INVALID_INPUT,
        name=names.get("parentOrganization"),
    )
    member_ids = read_ids(doc, "members", None, problems, code=Codes.PROFILE_INVALID) or []
    billing_id = read_reference(
        doc,
        "billingAddress",
        None,
        problems,
        code=Codes.INVALID_BILLING_ADDRESS,
        name=names.get("billingAddress"),
    )
    shipping_id = read_reference(
        doc,
        "shippingAddress",
        None,
        problems,
        code=Codes.INVALID_SHIPPING_ADDRESS,
        name=names.get("shippingAddress"),
    )
    addresses = parse_addresses(doc, problems, stored_nicknames(stored or {}))
    site_properties = parse_site_properties(doc, None, problems)

    dynamic = parse_dynamic_properties(dynamic_properties or {}, problems)

    problems.raise_if_any()
    assert name is not None
    return NewOrganization(
        name=name,
        columns=columns,
        parent_id=parent_id,
        member_ids=member_ids,
        addresses=addresses,
        billing_address_id=billing_id,
        shipping_address_id=shipping_id,
        site_properties=site_properties,
        dynamic_properties=dynamic,
    )


def check_name(name: str | None, stored: str | None, problems: Problems) -> None:
    """An organization's name (trimmed) is seen whole: no invisible or control character
    (core.common.characters), which would make it another name that looks like one taken
    (``Sample\u200b`` beside ``Sample``); 100002 at ``name``. The ``stored`` name (None: a
    new organization's) is taken back as it is: a row stored before the rule must still take
    every other change."""
    check_seen("name", name, stored, problems)


def parse_dynamic_properties(values: Mapping[str, object], problems: Problems) -> dict[str, object]:
    """Dynamic properties by name, at most :data:`MAX_ITEMS` of them (their definitions are
    checked by the service); a key of the organization itself is not one. A number is taken
    as the database will give it back (dynamic_properties.as_stored)."""
    if too_many(values, "dynamicProperties", "dynamicProperties", problems):
        return {}
    dynamic: dict[str, object] = {}
    for key, value in values.items():
        if key in KNOWN_KEYS:
            problems.add(Codes.INVALID_INPUT, f"{key!r} is not a dynamic property", key)
        else:
            dynamic[key] = as_stored(value)
    return dynamic


def parse_columns(doc: Mapping[str, object], problems: Problems) -> dict[str, object]:
    """The plain organization values of a document (every key of :data:`COLUMN_KEYS` that
    holds a value), by column. Absent, null and blank values are left out: on create they
    mean "not set"; an update maps them to "clear" itself."""
    columns: dict[str, object] = {}
    for key, column in ORGANIZATION_STRINGS.items():
        value = read_str(doc, key, None, problems, max_length=column_length(_ORG, column))
        if value is not None:
            columns[column] = value

    for key, column, allowed in (
        ("type", "type", ORGANIZATION_TYPES),
        ("customerType", "customer_type", CUSTOMER_TYPES),
    ):
        value = read_str(doc, key, None, problems, max_length=254)
        if value is None:
            continue
        if value not in allowed:
            problems.add(
                Codes.INVALID_INPUT, f"{key} must be one of {', '.join(allowed)}: {value!r}", key
            )
        else:
            columns[column] = value

    duns = doc.get("dunsNumber")
    if isinstance(duns, int) and not isinstance(duns, bool):
        duns = str(duns)
    if duns is not None:
        if not isinstance(duns, str) or not re.fullmatch(r"[0-9]{9}", duns.strip()):
            problems.add(Codes.INVALID_INPUT, "dunsNumber must be exactly 9 digits", "dunsNumber")
        else:
            columns["duns_number"] = duns.strip()

    tax_code = read_str(
        doc, "taxExemptionCode", None, problems, code=Codes.TAX_EXEMPTION_CODE_INVALID
    )
    if tax_code is not None:
        if not _TAX_EXEMPTION_CODE.fullmatch(tax_code):
            problems.add(
                Codes.TAX_EXEMPTION_CODE_INVALID,
                "taxExemptionCode must be 1 to 40 letters, digits, spaces or '-', '_', '.'",
                "taxExemptionCode",
            )
        else:
            columns["tax_exemption_code"] = tax_code

    logo = read_str(
        doc,
        "organizationLogo",
        None,
        problems,
        max_length=column_length(models.MediaFile.__table__, "path"),
        code=Codes.LOGO_NOT_FOUND,
    )
    if logo is not None:
        columns["organization_logo"] = logo

    payment = read_ids(doc, "paymentMethods", None, problems, code=Codes.PAYMENT_METHODS_INVALID)
    if payment:
        columns["payment_methods"] = payment
    shipping = read_ids(doc, "shippingMethods", None, problems, code=Codes.SHIPPING_METHODS_INVALID)
    if shipping:
        columns["shipping_methods"] = shipping
    for key, column, code in (
        (
            "useAllPaymentMethodsFromSite",
            "use_all_payment_methods_from_site",
            Codes.USE_ALL_PAYMENT_METHODS_INVALID,
        ),
        (
            "useAllShippingMethodsFromSite",
            "use_all_shipping_methods_from_site",
            Codes.USE_ALL_SHIPPING_METHODS_INVALID,
        ),
    ):
        flag = read_bool(doc, key, None, problems, code=code)
        if flag is not None:
            columns[column] = flag
    return columns
