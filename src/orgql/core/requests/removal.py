"""deleteOrganizationRequest: an admin removes a registration request that is still in
``review`` (updateOrganizationRequests.txt's codes). A request in ``moreInfoNeeded`` waits on
the requester, so it is not deleted behind their back (101007); an approved or rejected one is
a record of a decision (101008). The row is locked first, so a delete and a concurrent
decision run one after the other and the loser sees the winner's status. Emits
``organizationRequest.deleted``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.errors import ErrorKind, OrgqlError
from orgql.core.events import outbox as events
from orgql.core.requests.codes import RequestCodes
from orgql.core.requests.reads import not_found
from orgql.core.requests.statuses import FINAL_STATUSES, RequestStatus
from orgql.db import request_models


async def delete(session: AsyncSession, request_id: str) -> None:
    """Delete the request (module rules): 101000 none, 101007 / 101008 not in review."""
    table = request_models.OrganizationRequest
    row = (
        await session.scalars(
            select(table)
            .where(table.id == request_id.replace("\x00", "\ufffd"))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).one_or_none()
    if row is None:
        raise not_found(request_id)
    if row.status in FINAL_STATUSES:
        raise OrgqlError(
            RequestCodes.FINAL,
            "This operation is not allowed as registration request is already in"
            f" {row.status} state.",
            "status",
            ErrorKind.CONFLICT,
        )
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
