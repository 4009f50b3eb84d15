"""The lock that keeps organization paths consistent while a subtree moves.

A move rewrites its subtree's paths in one UPDATE (the path trigger of migration 0001) whose
snapshot misses rows inserted concurrently: a child created under a member of the subtree
while the move runs would keep the old path. And two snapshots of a subtree (effects) taken
around a change would see a concurrent move's commit between them and report values that
did not change. So a move holds this transaction-level advisory lock exclusively, and every
writer that creates under a parent or compares a subtree's snapshots holds it shared: moves
run one at a time and never alongside those writers, which still run alongside each other.
A writer that removes addresses organizations below may have chosen holds it shared too,
compared or not, so that its row locks are never taken in the opposite order of a move's
(:func:`hold_off_moves_always`). Every writer takes it before any row lock.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.events import outbox as events

#: Key of the advisory lock (any 64-bit constant unique to this purpose; "orgmove" in ASCII).
MOVE_LOCK_KEY = 0x6F72676D6F7665


async def lock_moves(session: AsyncSession) -> None:
    """Exclusive until the transaction ends: this transaction moves an organization."""
    await session.execute(select(func.pg_advisory_xact_lock(MOVE_LOCK_KEY)))


async def hold_off_moves(session: AsyncSession) -> None:
    """Shared until the transaction ends: no move commits (or runs) meanwhile; taken before
    any row lock, as a move takes its lock first, so the two orders cannot deadlock."""
    await session.execute(select(func.pg_advisory_xact_lock_shared(MOVE_LOCK_KEY)))


async def hold_off_moves_if_compared(session: AsyncSession) -> bool:
    """Whether a write compares its subtree's effective values around itself (a subscriber
    takes the effective-value events); if so, :func:`hold_off_moves`, so that no move
    commits between the two snapshots. Called before any row lock (a shopper's standing's
    included)."""
    compared = await events.wanted(session, events.EventType.ORGANIZATION_EFFECTIVE_VALUE_CHANGED)
    if compared:
        await hold_off_moves(session)
    return compared


async def hold_off_moves_always(session: AsyncSession) -> bool:
    """:func:`hold_off_moves`, compared or not, and whether the write compares its subtree's
    effective values (as :func:`hold_off_moves_if_compared` answers; one statement). Called
    before any row lock by a write that removes addresses organizations below may have
    chosen as defaults (core.addresses.choosers): it locks the owner's row, then the
    choosers'. A move locks the moved organization's row, then its new parent's (FOR SHARE):
    run alongside, the move of a chooser under the owner (or under a chooser locked before
    it) held the chooser and waited for the parent while the removal held the parent and
    waited for the chooser (a deadlock, one of them broken off: 503)."""
    compared = events.wanting(events.EventType.ORGANIZATION_EFFECTIVE_VALUE_CHANGED)
    row = (await session.execute(select(holding_off_moves(), compared))).one()
    return bool(row[1])


def holding_off_moves() -> ColumnElement[Any]:
    """:func:`hold_off_moves` as a column, for a statement that takes the lock on its way
    (it must run before the transaction takes any row lock)."""
    return func.pg_advisory_xact_lock_shared(MOVE_LOCK_KEY)
