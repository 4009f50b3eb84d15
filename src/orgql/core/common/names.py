"""Names as callers spell them: OCC documents, GraphQL fields and error paths are camelCase,
Python attributes and columns snake_case."""

from __future__ import annotations

from sqlalchemy import ColumnElement, String, func, literal


def camel(name: str) -> str:
    """``billing_address_id`` -> ``billingAddressId``: the first word as it is, each next
    word with its first letter upper-cased (the rest kept, so ``x_ccSite`` -> ``xCcSite``)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def snake(name: str) -> str:
    """``derivedBillingAddress`` -> ``derived_billing_address``: the inverse of :func:`camel`
    for names whose words start with a lower-case letter."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def text_key(value: str) -> ColumnElement[str]:
    """The key a unique ``lower(btrim(column))`` column (an organization's name, a contact's
    email) holds for ``value``, computed by the database: Python's ``str.lower`` differs from
    PostgreSQL's on some letters (a final sigma, a dotted capital I), so a key computed in
    Python would miss the row the unique key stores."""
    return func.lower(func.btrim(literal(value, String())))
