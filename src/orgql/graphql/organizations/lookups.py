"""``organizationByKey``: one organization by one of its keys in other systems
(externalOrganizationId, uniqueId, dunsNumber, partyNumber), read as the ``organizations``
list reads it (a shopper: only accounts they are a member of)."""

from __future__ import annotations

import strawberry

from orgql.core.common.errors import Codes, OrgqlError
from orgql.graphql.context import Info
from orgql.graphql.errors import public_error
from orgql.graphql.organizations.connections import OrganizationFilter, organization_connection
from orgql.graphql.organizations.types import Organization
from orgql.graphql.permissions import SIGNED_IN


@strawberry.type
class OrganizationLookupQueries:
    @strawberry.field(
        description="The organization whose key equals the one given (exactly one of"
        " externalOrganizationId, uniqueId, dunsNumber, partyNumber); null if none. These"
        " keys are not unique in the data: when several organizations have it, the answer is"
        " an error (100002): list them with organizations(filter:).",
        permission_classes=SIGNED_IN,
    )
    async def organization_by_key(
        self,
        info: Info,
        external_organization_id: str | None = None,
        unique_id: str | None = None,
        duns_number: str | None = None,
        party_number: str | None = None,
    ) -> Organization | None:
        keys = (external_organization_id, unique_id, duns_number, party_number)
        if sum(key is not None for key in keys) != 1:
            raise public_error(
                OrgqlError(
                    Codes.INVALID_INPUT,
                    "give exactly one of externalOrganizationId, uniqueId, dunsNumber, partyNumber",
                    None,
                )
            )
        where = OrganizationFilter(
            external_organization_id=external_organization_id,
            unique_id=unique_id,
            duns_number=duns_number,
            party_number=party_number,
        )
        connection = await organization_connection(info, 2, None, where)
        if len(connection.edges) > 1:
            raise public_error(
                OrgqlError(
                    Codes.INVALID_INPUT,
                    "several organizations have this key: list them with organizations(filter:)",
                    None,
                )
            )
        return connection.edges[0].node if connection.edges else None
