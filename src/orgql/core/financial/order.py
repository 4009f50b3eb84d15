"""The order of an organization's financial syncs: an older fetch never overwrites a newer one.

A sync fetches holding no database connection (core.financial.sync), so two syncs of one
organization may fetch in one order and commit in the other: sync A fetches, sync B fetches
and commits, then A would write its older copy of the upstream data over B's. Each sync
therefore takes a ticket, the next value of the database sequence ``financial_sync_tickets``
(one order across every worker process; not the app's clock), in its first read, before it
fetches; its write, under the organization's row lock, records its ticket as the
organization's ``synced_ticket`` only when that is older, else writes nothing and is refused:
100193, a conflict (409 in REST, a userError in GraphQL), as the sync's other "changed while
its financial data was fetched" refusals. A retry takes a new ticket and fetches again.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.errors import Codes, ErrorKind, OrgqlError
from orgql.db import financial_models


async def take_ticket(session: AsyncSession) -> int:
    """The next ticket: greater than every ticket taken before (``nextval`` is not undone by
    a rollback, so the read that takes it need not commit)."""
    ticket = await session.scalar(select(financial_models.financial_sync_tickets.next_value()))
    assert ticket is not None
    return int(ticket)


async def record_ticket(session: AsyncSession, organization_id: str, ticket: int) -> None:
    """Record ``ticket`` as the organization's last committed sync's, in the sync's write
    with the organization's row locked; refuse (:func:`newer_sync_committed`) when a sync
    with a newer ticket committed first. One statement: the check and the record cannot
    be told apart by another writer, whatever locks it took."""
    settings = financial_models.OrganizationFinancialSettings
    values = insert(settings).values(organization_id=organization_id, synced_ticket=ticket)
    recorded = await session.scalar(
        values.on_conflict_do_update(
            index_elements=[settings.organization_id],
            set_={"synced_ticket": values.excluded.synced_ticket},
            where=or_(
                settings.synced_ticket.is_(None),
                settings.synced_ticket < values.excluded.synced_ticket,
            ),
        ).returning(settings.organization_id)
    )
    if recorded is None:
        raise newer_sync_committed(organization_id)


def newer_sync_committed(organization_id: str) -> OrgqlError:
    return OrgqlError(
        Codes.FINANCIAL_SYNC_FAILED,
        f"A newer sync of organization {organization_id!r} committed while this one fetched"
        " its financial data: what this one fetched is older, nothing was changed; sync"
        " again to fetch the current data",
        "id",
        ErrorKind.CONFLICT,
    )
