"""The lines of an address as GraphQL inputs carry them, declared once, and their
translation into the REST document the core parses (fields left out stay out, ``null`` is
kept: it clears an optional field in an update)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import strawberry

from orgql.core.common.addresses import ADDRESS_KEYS

UNSET: Any = strawberry.UNSET


@strawberry.input
class AddressLinesFields:
    """The fields of ``ADDRESS_COLUMNS``, in their order; an input that holds an address's
    lines subclasses this (its own fields follow these) and keeps its own name and
    description. Never an input itself, so never in the schema."""

    company_name: str | None = UNSET
    first_name: str | None = UNSET
    last_name: str | None = UNSET
    address1: str | None = UNSET
    address2: str | None = UNSET
    address3: str | None = UNSET
    city: str | None = UNSET
    state: str | None = UNSET
    postal_code: str | None = UNSET
    country: str | None = UNSET
    county: str | None = UNSET
    phone_number: str | None = UNSET


Lines = TypeVar("Lines", bound=AddressLinesFields)


def lines_document(lines: AddressLinesFields) -> dict[str, object]:
    """The lines given, by the document's names (``companyName``, ``city``)."""
    return {
        key: getattr(lines, column)
        for column, key in ADDRESS_KEYS.items()
        if getattr(lines, column) is not UNSET
    }


def address_document(
    address_type: str | None,
    lines: Lines | None,
    address: Callable[[Lines], dict[str, object]] = lines_document,
) -> dict[str, object]:
    """An address input (its nickname and its lines) as the document: ``addressType`` and
    ``address``, the latter as ``address`` renders the lines."""
    document: dict[str, object] = {}
    if address_type is not UNSET:
        document["addressType"] = address_type
    if lines is None:
        document["address"] = None
    elif lines is not UNSET:
        document["address"] = address(lines)
    return document
