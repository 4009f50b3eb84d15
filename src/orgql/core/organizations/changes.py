"""Parse an untrusted updateOrganization document into typed changes.

The document has createOrganization's property names (``spec/createOrganization.txt``) and
its rules (:mod:`organization_input` holds them once). What is new is partiality: a key left
out is unchanged; a key given as ``null`` (or blank, or an empty list) clears the
organization's own value, so that it is inherited again. ``parentOrganization: null`` moves
the organization to the root; ``active: null`` changes nothing (the vendor's wording for
``active``). Site-specific keys (contract, approval settings) follow
updateSiteOrganizationProperties' rules and codes (:mod:`site_properties`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from orgql.core.common.errors import Codes, OrgqlError
from orgql.core.common.validation import (
    REST_NAMES,
    InputNames,
    Problems,
    column_length,
    read_bool,
    read_reference,
    read_str,
    unknown_keys,
)
from orgql.core.organizations.input import (
    COLUMN_KEYS,
    KNOWN_KEYS,
    ROLES_APPLY_TO_DIVISIONS,
    parse_columns,
    parse_dynamic_properties,
)
from orgql.core.organizations.site_input import SITE_PROPERTY_KEYS
from orgql.core.sites import service as site_properties
from orgql.db import models

#: createOrganization keys that an update does not take: addresses and members have
#: resources of their own in the vendor's API (secondaryAddresses, profiles). The registry
#: (spec/occ-organization-endpoints.md) gives addresses four operations of their own and the
#: vendor documents no shape for them in updateOrganization, so PUT keeps refusing the list
#: (replacing it wholesale would silently delete addresses other organizations inherit).
NOT_UPDATABLE = ("secondaryAddresses", "members")

#: Where a key an update does not take is changed instead (appended to the refusal).
_CHANGED_ELSEWHERE = {
    "secondaryAddresses": ": add, change and delete addresses with"
    " /ccadmin/v1/organizations/{id}/secondaryAddresses (GraphQL: addOrganizationAddress,"
    " updateOrganizationAddress, deleteOrganizationAddress); billingAddress and"
    " shippingAddress name the defaults",
}

_SITE_PREFIX = "siteOrganizationProperties[0].properties."


@dataclass(frozen=True)
class Move:
    """A new parent: an organization id, or None for the root."""

    parent_id: str | None


@dataclass(frozen=True)
class OrganizationChanges:
    """What an update changes; anything not named here is left as it is."""

    name: str | None = None
    #: Column -> new value; None clears it (inherited again). ``active``, the default
    #: address ids and every column of :data:`COLUMN_KEYS` may appear.
    columns: dict[str, object] = field(default_factory=dict)
    move: Move | None = None
    #: Dynamic property -> new value; None removes it.
    dynamic_properties: dict[str, object] = field(default_factory=dict)
    #: The site-specific values, for the request's site (its id is filled in by the service).
    site_update: site_properties.SiteUpdate | None = None

    def is_empty(self) -> bool:
        return self == OrganizationChanges()


def _clears(value: object) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def parse_changes(
    doc: Mapping[str, object],
    dynamic_properties: Mapping[str, object] | None = None,
    names: InputNames = REST_NAMES,
) -> OrganizationChanges:
    """Validate the shape of an update document; raises :class:`OrgqlError` listing every
    problem found (the codes of createOrganization). ``names``: what the caller's input
    calls the references (core.common.validation.InputNames)."""
    problems = Problems()
    unknown_keys(doc, KNOWN_KEYS, None, problems)
    for key in NOT_UPDATABLE:
        if key in doc:
            where = _CHANGED_ELSEWHERE.get(key, "")
            problems.add(
                Codes.INVALID_INPUT,
                f"{key} cannot be changed by updating the organization{where}",
                key,
            )

    name = None
    if "name" in doc:
        name = read_str(
            doc,
            "name",
            None,
            problems,
            max_length=column_length(models.Organization.__table__, "name"),
            required=Codes.NAME_EMPTY,
        )

    given = {key: doc[key] for key in COLUMN_KEYS if key in doc}
    columns = parse_columns({k: v for k, v in given.items() if not _clears(v)}, problems)
    columns.update({COLUMN_KEYS[key]: None for key, value in given.items() if _clears(value)})
    active = read_bool(doc, "active", None, problems)
    if active is not None:
        columns["active"] = active
    lends = read_bool(doc, ROLES_APPLY_TO_DIVISIONS, None, problems)
    if lends is not None:
        columns["roles_apply_to_divisions"] = lends
    for key, column, code in (
        ("billingAddress", "billing_address_id", Codes.INVALID_BILLING_ADDRESS),
        ("shippingAddress", "shipping_address_id", Codes.INVALID_SHIPPING_ADDRESS),
    ):
        if key in doc:
            columns[column] = read_reference(
                doc, key, None, problems, code=code, name=names.get(key)
            )

    move = None
    if doc.get("parentOrganization") == {}:
        # read_reference reads {} as no reference: here that would be a silent move to the
        # root, which only an explicit null asks for.
        problems.add(
            Codes.INVALID_INPUT,
            "parentOrganization needs an id (null moves the organization to the root)",
            "parentOrganization",
        )
    elif "parentOrganization" in doc:
        parent = read_reference(
            doc,
            "parentOrganization",
            None,
            problems,
            code=Codes.INVALID_INPUT,
            name=names.get("parentOrganization"),
        )
        move = Move(parent)

    dynamic = parse_dynamic_properties(dynamic_properties or {}, problems)

    site_update = _site_update(doc, problems)
    problems.raise_if_any()
    return OrganizationChanges(
        name=name,
        columns=columns,
        move=move,
        dynamic_properties=dynamic,
        site_update=site_update,
    )


def _site_update(
    doc: Mapping[str, object], problems: Problems
) -> site_properties.SiteUpdate | None:
    """The site-specific keys as one updateSiteOrganizationProperties entry, its errors named
    by the update document's keys (``contract.catalogId``, not the entry's path)."""
    properties = {key: doc[key] for key in SITE_PROPERTY_KEYS if key in doc}
    if not properties:
        return None
    try:
        (update,) = site_properties.parse_site_updates(
            [{"site": {"id": "-"}, "properties": properties}]
        )
    except OrgqlError as error:
        for detail in error.details:
            where = detail.field or ""
            problems.add(detail.code, detail.message, where.removeprefix(_SITE_PREFIX) or None)
        return None
    return update
