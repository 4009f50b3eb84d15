"""Reads of organization requests: one by id, pages (keyset for GraphQL, offset for REST),
and the batch reads that loaders and the REST renderer share (one statement each)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.errors import ErrorKind, OrgqlError, quoted
from orgql.core.common.paging import Unreadable, limit_problem, offset_problem
from orgql.core.common.validation import Problems
from orgql.core.requests.codes import RequestCodes
from orgql.core.requests.statuses import FINAL_STATUSES, RequestStatus
from orgql.db import models, request_models


@dataclass(frozen=True)
class RequestPage:
    items: list[request_models.OrganizationRequest]
    has_next: bool


def not_found(request_id: str) -> OrgqlError:
    return OrgqlError(
        RequestCodes.NOT_FOUND,
        f"Invalid Organization Request ID: {quoted(request_id)}",
        "id",
        ErrorKind.NOT_FOUND,
    )


async def get(session: AsyncSession, request_id: str) -> request_models.OrganizationRequest:
    found = await requests_by_id(session, [request_id])
    row = found.get(request_id)
    if row is None:
        raise not_found(request_id)
    return row


def _keys(ids: Iterable[str]) -> list[str]:
    # PostgreSQL text cannot hold NUL: such a key names nothing.
    return [key for key in dict.fromkeys(ids) if "\x00" not in key]


async def requests_by_id(
    session: AsyncSession, ids: Iterable[str]
) -> dict[str, request_models.OrganizationRequest]:
    keys = _keys(ids)
    if not keys:
        return {}
    table = request_models.OrganizationRequest
    rows = await session.scalars(select(table).where(table.id.in_(keys)))
    return {row.id: row for row in rows}


async def profiles_by_id(session: AsyncSession, ids: Iterable[str]) -> dict[str, models.Profile]:
    keys = _keys(ids)
    if not keys:
        return {}
    rows = await session.scalars(select(models.Profile).where(models.Profile.id.in_(keys)))
    return {row.id: row for row in rows}


async def address_types_by_id(
    session: AsyncSession, ids: Iterable[str]
) -> dict[str, request_models.AddressType]:
    keys = _keys(ids)
    if not keys:
        return {}
    rows = await session.scalars(
        select(request_models.AddressType).where(request_models.AddressType.id.in_(keys))
    )
    return {row.id: row for row in rows}


def draft_address_type_ids(rows: Iterable[request_models.OrganizationRequest]) -> list[str]:
    """Every address type id the drafts of ``rows`` name (for one batch read)."""
    ids: list[str] = []
    for row in rows:
        for item in row.organization_draft.get("secondaryAddresses") or []:
            ids.extend(t["id"] for t in item["address"].get("types") or [])
    return list(dict.fromkeys(ids))


def _status_filter(status: str | None) -> list[ColumnElement[bool]]:
    return [request_models.OrganizationRequest.status == status] if status is not None else []


def _check_page(status: str | None, limit: int, offset: int, problems: Problems) -> None:
    if status is not None and status not in tuple(RequestStatus):
        problems.add(
            RequestCodes.INVALID_INPUT,
            f"status must be one of {', '.join(RequestStatus)}",
            "status",
        )
    if (problem := limit_problem(limit)) is not None:
        problems.add(RequestCodes.INVALID_INPUT, problem, "limit")
    if (problem := offset_problem(offset)) is not None:
        problems.add(RequestCodes.INVALID_INPUT, problem, "offset")


async def list_page(
    session: AsyncSession,
    *,
    status: str | None,
    limit: int,
    after: tuple[datetime, str] | Unreadable | None = None,
    offset: int = 0,
) -> RequestPage:
    """Requests oldest first (the review queue's order), optionally of one status; ``after``
    is the (creation time, id) of the last request of a previous page."""
    problems = Problems()
    _check_page(status, limit, offset, problems)
    if isinstance(after, Unreadable):
        problems.add(RequestCodes.INVALID_INPUT, "not a cursor of this API", "after")
    problems.raise_if_any()
    position = None if isinstance(after, Unreadable) else after
    table = request_models.OrganizationRequest
    statement = (
        select(table)
        .where(*_status_filter(status))
        .order_by(table.created_at, table.id)
        .limit(limit + 1)
        .offset(offset)
    )
    if position is not None:
        statement = statement.where(tuple_(table.created_at, table.id) > tuple_(*position))
    rows = list(await session.scalars(statement))
    return RequestPage(items=rows[:limit], has_next=len(rows) > limit)


async def count(session: AsyncSession, *, status: str | None) -> int:
    statement = (
        select(func.count())
        .select_from(request_models.OrganizationRequest)
        .where(*_status_filter(status))
    )
    return int(await session.scalar(statement) or 0)


async def locked_open(session: AsyncSession, request_id: str) -> request_models.OrganizationRequest:
    """The request, locked until the transaction ends (a decision, an update and a deletion
    of one request run one after the other); 101000 if none, 101008 if final."""
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
    return row
