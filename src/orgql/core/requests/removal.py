"""deleteOrganizationRequest: an admin removes a registration request that is still in
``review`` (updateOrganizationRequests.txt's codes). A request in ``moreInfoNeeded`` waits on
the requester, so it is not deleted behind their back (101007); an approved or rejected one is
a record of a decision (101008). The row is locked first, so a delete and a concurrent
decision run one after the other and the loser sees the winner's status. Emits
``organizationRequest.deleted``."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.errors import ErrorKind, OrgqlError
from orgql.core.events import outbox as events
from orgql.core.requests.codes import RequestCodes
from orgql.core.requests.reads import locked_open
from orgql.core.requests.statuses import RequestStatus


async def delete(session: AsyncSession, request_id: str) -> None:
    """Delete the request (module rules): 101000 none, 101007 / 101008 not in review."""
    row = await locked_open(session, request_id)
    if row.status != RequestStatus.REVIEW:
        raise OrgqlError(
            RequestCodes.INVALID_STATUS,
            f"Only a request in review can be deleted; this one is in {row.status}",
            "status",
            ErrorKind.CONFLICT,
        )
    name = (row.organization_draft or {}).get("name")
    await session.delete(row)
    await session.flush()
    await events.emit(
        session,
        type=events.EventType.ORGANIZATION_REQUEST_DELETED,
        organization_id=None,
        data={"requestId": request_id, "organizationName": name},
    )
