"""Organization requests in the OCC wire shape (updateOrganizationRequests.txt, sample
response), with the ``expand`` values of the spec.

By default ``profile`` and ``organization`` are references (``{"id": ...}``, null ids before a
profile is linked or the organization created). ``expand`` adds:

- ``profile`` / ``profileAll``: the request's profile fields (profiles have no dynamic
  properties here, so both give the same);
- ``organization`` / ``organizationAll``: the draft organization's fields (likewise);
- ``organizationAddresses``: the draft's ``secondaryAddresses``, address types with their names;
- ``requestAll``: the request's dates (``creationDate``, ``lastModifiedDate``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Literal, cast

from orgql.core.common import addresses as address_fields
from orgql.core.common.errors import OrgqlError
from orgql.core.requests.codes import RequestCodes
from orgql.core.requests.statuses import RequestStatus
from orgql.db import request_models
from orgql.rest.render import self_link, timestamp
from orgql.rest.requests import shapes

EXPAND_VALUES = (
    "profile",
    "profileAll",
    "organization",
    "organizationAll",
    "requestAll",
    "organizationAddresses",
)


def parse_expand(raw: Sequence[str]) -> frozenset[str]:
    """``expand``, repeated or comma-separated; an unknown value is 101001."""
    values = {part.strip() for item in raw for part in item.split(",") if part.strip()}
    unknown = sorted(values - set(EXPAND_VALUES))
    if unknown:
        raise OrgqlError(
            RequestCodes.INVALID_INPUT,
            f"expand takes {', '.join(EXPAND_VALUES)}; not {', '.join(unknown)[:200]}",
            "expand",
        )
    return frozenset(values)


def _receive_email(value: bool | None) -> Literal["yes", "no"] | None:
    # The vendor's profile API speaks "yes" / "no".
    return None if value is None else ("yes" if value else "no")


def _profile(
    row: request_models.OrganizationRequest, expand: Collection[str]
) -> shapes.RequestProfile:
    body: shapes.RequestProfile = {"id": row.profile_id}
    if {"profile", "profileAll"} & set(expand):
        body.update(
            {
                "email": row.profile_email,
                "firstName": row.profile_first_name,
                "lastName": row.profile_last_name,
                "customerContactId": row.profile_customer_contact_id,
                "partyId": row.profile_party_id,
                "partyNumber": row.profile_party_number,
                "receiveEmail": _receive_email(row.profile_receive_email),
            }
        )
    return body


def _address(
    address: Mapping[str, Any], types: Mapping[str, request_models.AddressType]
) -> shapes.RequestAddress:
    fields: dict[str, object] = {
        key: address.get(key) for key in address_fields.ADDRESS_KEYS.values()
    }
    return cast(
        shapes.RequestAddress,
        fields
        | {
            "externalAddressId": address.get("externalAddressId"),
            "isDefaultBillingAddress": bool(address.get("isDefaultBillingAddress")),
            "isDefaultShippingAddress": bool(address.get("isDefaultShippingAddress")),
            "types": [
                {
                    "displayName": types[item["id"]].display_name if item["id"] in types else None,
                    "repositoryId": item["id"],
                    "id": item["id"],
                }
                for item in address.get("types") or []
            ],
        },
    )


def _organization(
    row: request_models.OrganizationRequest,
    expand: Collection[str],
    types: Mapping[str, request_models.AddressType],
) -> shapes.RequestOrganization:
    draft = row.organization_draft
    body: shapes.RequestOrganization = {"id": row.organization_id}
    if {"organization", "organizationAll"} & set(expand):
        body.update(
            {
                "name": draft.get("name"),
                "description": draft.get("description"),
                "type": draft.get("type"),
                "customerType": draft.get("customerType"),
                "dunsNumber": draft.get("dunsNumber"),
                "taxReferenceNumber": draft.get("taxReferenceNumber"),
                "vatReferenceNumber": draft.get("vatReferenceNumber"),
                "uniqueId": draft.get("uniqueId"),
                "externalOrganizationId": draft.get("externalOrganizationId"),
                "partyId": draft.get("partyId"),
                "partyNumber": draft.get("partyNumber"),
            }
        )
    if "organizationAddresses" in expand:
        body["secondaryAddresses"] = [
            {"addressType": item["addressType"], "address": _address(item["address"], types)}
            for item in draft.get("secondaryAddresses") or []
        ]
    return body


def organization_request(
    row: request_models.OrganizationRequest,
    expand: Collection[str] = (),
    types: Mapping[str, request_models.AddressType] | None = None,
) -> shapes.OrganizationRequest:
    """One request; ``types`` are the address types its draft names (for their names)."""
    body: shapes.OrganizationRequest = {
        "approverComments": row.approver_comments,
        "relatedOrganizationName": row.related_organization_name,
        "profile": _profile(row, expand),
        "organization": _organization(row, expand, types or {}),
        "name": row.name,
        "siteId": row.site_id,
        "id": row.id,
        "requesterComments": row.requester_comments,
        "status": RequestStatus(row.status),
    }
    if "requestAll" in expand:
        body["creationDate"] = timestamp(row.created_at)
        body["lastModifiedDate"] = timestamp(row.updated_at)
    return body


def organization_request_list(
    rows: Sequence[request_models.OrganizationRequest],
    expand: Collection[str],
    types: Mapping[str, request_models.AddressType],
    *,
    total: int,
    offset: int,
    limit: int,
    self_href: str,
) -> shapes.OrganizationRequestList:
    return {
        "items": [organization_request(row, expand, types) for row in rows],
        "totalResults": total,
        "offset": offset,
        "limit": limit,
        "links": self_link(self_href),
    }
