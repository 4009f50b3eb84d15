"""Parse the site-specific values of an untrusted document: the contract, the approval
settings and the order price limit of one (organization, site). createOrganization, the
organization updates and the site-properties operations share these rules and codes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from orgql.core.common.errors import Codes
from orgql.core.common.validation import (
    Problems,
    column_length,
    join,
    read_bool,
    read_datetime,
    read_decimal,
    read_object,
    read_str,
)
from orgql.core.inheritance.fields import (
    SITE_FIELDS,
    SITE_PROPERTY_COLUMNS,
    InheritedField,
    Wire,
)
from orgql.db import models

_EXTERNAL_REFERENCE = re.compile(r"^[\x21-\x7e](?:[\x20-\x7e]{0,252}[\x21-\x7e])?$")

_CONTRACT = models.Contract.__table__

#: The site property keys a document may hold (the site-scope inherited fields).
SITE_PROPERTY_KEYS = tuple(SITE_PROPERTY_COLUMNS)


@dataclass(frozen=True)
class NewContract:
    display_name: str
    catalog_id: str
    price_list_group_id: str
    description: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    external_contract_reference: str | None = None
    terms: str | None = None


@dataclass(frozen=True)
class SiteProperties:
    """Values for one (organization, site): ``values`` by column of
    ``site_organization_properties`` (only those set: a value left out or null is "not set
    here"), the contract apart (it is created, then its id stored)."""

    contract: NewContract | None = None
    values: Mapping[str, object] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return self.contract is None and not self.values


def read_site_value(
    inherited: InheritedField,
    doc: Mapping[str, object],
    path: str | None,
    problems: Problems,
    code: str = Codes.INVALID_INPUT,
) -> object:
    """The own value of a site-scope field that is not the contract, read from its key."""
    if inherited.wire is Wire.FLAG:
        return read_bool(doc, inherited.own, path, problems, code=code)
    if inherited.wire is Wire.DECIMAL:
        return read_decimal(doc, inherited.own, path, problems, code=code)
    raise AssertionError(f"no reader for {inherited.wire} ({inherited.own})")


def parse_site_properties(
    doc: Mapping[str, object], path: str | None, problems: Problems
) -> SiteProperties:
    """The site-specific values of a document (contract, approval settings, order limit)."""
    contract_doc = read_object(doc, "contract", path, problems)
    contract = (
        parse_contract(contract_doc, join(path, "contract"), problems)
        if contract_doc is not None
        else None
    )
    values = {
        f.column: value
        for f in SITE_FIELDS
        if f.wire is not Wire.CONTRACT
        and (value := read_site_value(f, doc, path, problems)) is not None
    }
    return SiteProperties(contract=contract, values=values)


def parse_contract(doc: Mapping[str, object], path: str, problems: Problems) -> NewContract | None:
    before = len(problems.details)
    display_name = read_str(
        doc,
        "displayName",
        path,
        problems,
        max_length=column_length(_CONTRACT, "display_name"),
        required=Codes.INVALID_INPUT,
    )
    catalog_id = read_str(
        doc,
        "catalogId",
        path,
        problems,
        max_length=254,
        code=Codes.CATALOG_INVALID,
        required=Codes.CATALOG_REQUIRED,
    )
    price_list_group_id = read_str(
        doc,
        "priceListGroupId",
        path,
        problems,
        max_length=254,
        code=Codes.PRICE_LIST_GROUP_INVALID,
        required=Codes.PRICE_LIST_GROUP_REQUIRED,
    )
    reference = doc.get("externalContractReference")
    external_reference: str | None = None
    if reference is not None:
        if not isinstance(reference, str) or not _EXTERNAL_REFERENCE.fullmatch(reference):
            problems.add(
                Codes.EXTERNAL_REFERENCE_INVALID,
                "externalContractReference must be 1 to 254 printable ASCII characters",
                join(path, "externalContractReference"),
            )
        else:
            external_reference = reference
    description = read_str(
        doc, "description", path, problems, max_length=column_length(_CONTRACT, "description")
    )
    start = read_datetime(doc, "startDate", path, problems)
    end = read_datetime(doc, "endDate", path, problems)
    if start and end and end < start:
        problems.add(Codes.INVALID_INPUT, "endDate is before startDate", join(path, "endDate"))
    terms: str | None = None
    terms_doc = read_object(doc, "contract_terms", path, problems)
    if terms_doc is not None:
        terms = read_str(
            terms_doc, "terms", join(path, "contract_terms"), problems, max_length=10000
        )
    if len(problems.details) > before or not (display_name and catalog_id and price_list_group_id):
        return None
    return NewContract(
        display_name=display_name,
        catalog_id=catalog_id,
        price_list_group_id=price_list_group_id,
        description=description,
        start_date=start,
        end_date=end,
        external_contract_reference=external_reference,
        terms=terms,
    )
