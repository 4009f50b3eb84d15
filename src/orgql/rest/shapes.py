"""The REST shim's JSON shapes shared by every route: links, the errorModel, access tokens,
an address's keys.

Each request and response body is declared once, as a ``TypedDict`` in this module family
(``rest/<domain>/*shapes.py``). The renderers return these types, so mypy holds them to every key
and type; the OpenAPI document's schemas are generated from them (``rest/json_schema.py``).
Keys and their order are the vendor's (``/work/shared/spec``); no ``from __future__ import
annotations`` here, so ``NotRequired`` is seen at runtime.
"""

from typing import Annotated, Literal, NotRequired, TypedDict

from orgql.rest.json_schema import Schema

#: An OCC timestamp: UTC with milliseconds and a Z.
Timestamp = Annotated[str | None, Schema(format="date-time", example="2017-10-10T11:44:26.000Z")]


class Link(TypedDict):
    rel: str
    href: Annotated[str, Schema(format="uri")]


#: One problem: the OCC code, a message, the HTTP status as text and the input field at fault.
ErrorEntry = TypedDict(
    "ErrorEntry",
    {
        "errorCode": str,
        "message": str,
        "status": str,
        "o:errorPath": NotRequired[
            Annotated[str, Schema(description="The input field at fault, when one is")]
        ],
    },
)


class ErrorModel(ErrorEntry):
    """OCC's errorModel: the first problem, and every problem found in errors.
    errorCode is the OCC code, or the HTTP status for routing failures and internal errors
    that no OCC code names."""

    errors: list[ErrorEntry]


class AccessToken(TypedDict):
    access_token: str
    token_type: Literal["bearer"]
    expires_in: Annotated[int, Schema(description="Seconds")]


class LogoutResult(TypedDict):
    result: Annotated[bool, Schema(description="true: the access token is revoked")]


class LoginForm(TypedDict):
    """The form of ``POST /ccadmin/v1/login`` (application/x-www-form-urlencoded)."""

    grant_type: Literal["client_credentials"]


class AddressFields(TypedDict):
    """The contact and postal keys of an address as answered, in OCC order
    (``core/common/addresses.py``); the address shapes add their own keys after them. Not a
    component of its own: a shape that extends it holds its keys."""

    companyName: str | None
    firstName: str | None
    lastName: str | None
    address1: str | None
    address2: str | None
    address3: str | None
    city: str | None
    state: str | None
    postalCode: str | None
    country: str | None
    county: str | None
    phoneNumber: str | None


class SortOrder(TypedDict):
    """One key of the order a list's answer is in (its ``sort``: orgql.rest.sorting)."""

    property: str
    order: Literal["asc", "desc"]


class Page(TypedDict):
    """The paging keys of a list response."""

    totalResults: int
    offset: int
    limit: int
    links: list[Link]
