"""Organization.history: the recorded changes as a connection, newest first."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from orgql.core.common.errors import Codes, OrgqlError
from orgql.core.common.names import camel
from orgql.core.common.paging import DEFAULT_PAGE_SIZE, first_problem
from orgql.core.history import service as history
from orgql.graphql import cursors
from orgql.graphql.context import Info
from orgql.graphql.errors import public_error
from orgql.graphql.types import PageInfo


@strawberry.enum(description="What kind of record changed.")
class HistoryEntityKind(Enum):
    ORGANIZATION = "organization"
    SITE_PROPERTIES = "site_properties"
    ADDRESS = "address"
    ADDRESS_TYPE = strawberry.enum_value(
        "address_type", description="An address type tagged on an address (its types)."
    )
    MEMBER = "member"
    CONTRACT = "contract"
    PROFILE = "profile"
    PROFILE_ROLE = "profile_role"
    PROFILE_ADDRESS = strawberry.enum_value(
        "profile_address",
        description="An address of a profile's own, filed under the profile's parent organization.",
    )


@strawberry.enum
class HistoryOperation(Enum):
    BASELINE = strawberry.enum_value(
        "baseline", description="The record as it was when history was installed."
    )
    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"


def _image(values: dict[str, Any] | None) -> JSON | None:
    if values is None:
        return None
    return cast(JSON, {camel(key): value for key, value in values.items() if key != "name_key"})


@strawberry.type(description="One field of a changed record, before and after the change.")
class FieldChange:
    field: str = strawberry.field(description="The column, in camelCase (customerType).")
    before: JSON | None
    after: JSON | None


@strawberry.type(description="One record written: who, when, what it was before and after.")
class OrganizationChange:
    change: strawberry.Private[history.Change]
    changed_at: datetime = strawberry.field(
        description="The writing transaction's timestamp (all its changes share it)."
    )
    actor: str = strawberry.field(
        description="admin:<application key>, shopper:<profile>, system:<job>, or db:<role>"
        " for a write made directly in the database."
    )
    operation: HistoryOperation
    entity_kind: HistoryEntityKind
    entity_id: str = strawberry.field(
        description="The record's id; organization:site for site properties,"
        " organization:profile for members."
    )
    transaction_id: str = strawberry.field(description="Groups the changes of one transaction.")
    before: JSON | None = strawberry.field(description="The whole record before (null: none).")
    after: JSON | None = strawberry.field(description="The whole record after (null: deleted).")

    @strawberry.field(description="The fields whose value differs between before and after.")
    def changes(self) -> list[FieldChange]:
        return [
            FieldChange(
                field=camel(item.field),
                before=cast(JSON, item.before),
                after=cast(JSON, item.after),
            )
            for item in self.change.changes
        ]

    @classmethod
    def of(cls, change: history.Change) -> OrganizationChange:
        row = change.row
        return cls(
            change=change,
            changed_at=row.changed_at,
            actor=row.actor,
            operation=HistoryOperation(row.operation),
            entity_kind=HistoryEntityKind(row.entity_kind),
            entity_id=row.entity_id,
            transaction_id=str(row.transaction_id),
            before=_image(row.before),
            after=_image(row.after),
        )


@strawberry.type
class OrganizationChangeEdge:
    cursor: str
    node: OrganizationChange


@strawberry.type
class OrganizationChangeConnection:
    edges: list[OrganizationChangeEdge]
    page_info: PageInfo


def _encode(change_id: int) -> str:
    return cursors.encode("change", str(change_id))


def _decode(cursor: str) -> int:
    value = cursors.decode("change", cursor)
    # A change id is a bigint: ASCII digits below 2**63 (a larger one overflows the driver).
    if value is not None and value.isascii() and value.isdigit() and int(value) < 2**63:
        return int(value)
    raise public_error(OrgqlError(Codes.INVALID_INPUT, "not a cursor of this API", "after"))


async def history_connection(
    info: Info,
    organization_id: str,
    first: int | None,
    after: str | None,
    as_of: datetime | None,
) -> OrganizationChangeConnection:
    size = DEFAULT_PAGE_SIZE if first is None else first
    if (problem := first_problem(size)) is not None:
        raise public_error(OrgqlError(Codes.INVALID_INPUT, problem, "first"))
    before_id = _decode(after) if after is not None else None
    page = await info.context.run(
        lambda session: history.organization_history(
            session, organization_id, limit=size, before_id=before_id, as_of=as_of
        )
    )
    edges = [
        OrganizationChangeEdge(cursor=_encode(change.row.id), node=OrganizationChange.of(change))
        for change in page.items
    ]
    return OrganizationChangeConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None
        ),
    )
