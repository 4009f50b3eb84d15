"""Organization history: who changed what, and when.

The database records every row written in the tracked tables (migration 0010), in the
writing transaction: a failed mutation rolls its history back with it. The application only
says who is writing (:func:`set_actor`, once per writing transaction) and reads the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, event, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

from orgql.core.access.principals import Principal
from orgql.db import history_models
from orgql.db.models import Base

#: Columns of a row image that say nothing a caller asked for (computed from others).
_COMPUTED = frozenset({"name_key"})

#: The most field changes one change can list: a row image holds one table's columns.
MAX_FIELD_CHANGES = max(len(table.columns) for table in Base.metadata.tables.values())


def actor_of(principal: Principal) -> str:
    """How history names the caller: ``admin:<application key>``, ``shopper:<profile>``,
    ``anonymous``."""
    if principal.subject is None:
        return principal.role.value
    return f"{principal.role.value}:{principal.subject}"


#: ``session.info`` key of an actor named but not yet sent (:func:`set_actor`).
_PENDING_ACTOR = "orgql.pending_actor"
_SET_ACTOR = text("SELECT set_config('orgql.actor', :actor, true)")


async def set_actor(session: AsyncSession, actor: str) -> None:
    """Name the writer of the session's current transaction in the history it records.

    Local to the transaction (``set_config(..., true)``): a pooled connection carries no actor
    over to the next request. Call it at the start of each writing transaction.

    Sent with the transaction's first statement rather than as one of its own: a writer's
    first statement may carry it (:func:`take_actor`, e.g. createOrganization's first read);
    else it goes just before whatever statement comes first (an execute or a flush)."""
    sync = session.sync_session
    sync.info[_PENDING_ACTOR] = actor[:200]
    if not event.contains(sync, "do_orm_execute", _send_pending_actor):
        event.listen(sync, "do_orm_execute", _send_pending_actor)
        event.listen(sync, "before_flush", _send_pending_actor_before_flush)


def take_actor(session: AsyncSession) -> ColumnElement[Any] | None:
    """The ``set_config`` naming the writer, for a statement that carries it (then nothing
    else sends it); None when it was sent already or none was named. The statement must run
    before any write of the transaction."""
    actor = session.sync_session.info.pop(_PENDING_ACTOR, None)
    if actor is None:
        return None
    return func.set_config("orgql.actor", actor, True)


def _send_pending_actor(state: ORMExecuteState) -> None:
    _send(state.session)


def _send_pending_actor_before_flush(session: Session, *_: object) -> None:
    _send(session)


def _send(session: Session) -> None:
    actor = session.info.pop(_PENDING_ACTOR, None)
    if actor is not None:
        session.execute(_SET_ACTOR, {"actor": actor})


@dataclass(frozen=True)
class FieldChange:
    """One column of a row image: its value before and after the change."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Change:
    row: history_models.OrganizationHistory

    @property
    def changes(self) -> list[FieldChange]:
        """The columns whose value differs (every column set, for an insert or a baseline;
        every column, for a delete)."""
        before = self.row.before or {}
        after = self.row.after or {}
        names = [name for name in {**before, **after} if name not in _COMPUTED]
        return [
            FieldChange(name, before.get(name), after.get(name))
            for name in names
            if before.get(name) != after.get(name)
        ]


@dataclass(frozen=True)
class ChangePage:
    items: list[Change]
    has_next: bool


async def organization_history(
    session: AsyncSession,
    organization_id: str,
    *,
    limit: int,
    before_id: int | None = None,
    as_of: datetime | None = None,
) -> ChangePage:
    """The changes filed under an organization (every entity kind of docs/history.md whose
    row names it), newest first (by recording order); ``before_id`` continues a page,
    ``as_of`` stops at that instant. One statement."""
    table = history_models.OrganizationHistory
    query = select(table).where(table.organization_id == organization_id)
    if before_id is not None:
        query = query.where(table.id < before_id)
    if as_of is not None:
        query = query.where(table.changed_at <= as_of)
    rows = list(await session.scalars(query.order_by(table.id.desc()).limit(limit + 1)))
    return ChangePage([Change(row) for row in rows[:limit]], has_next=len(rows) > limit)
