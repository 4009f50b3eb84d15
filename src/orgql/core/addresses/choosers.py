"""The organizations below an address's owner that chose it as their own default billing or
shipping address (core.addresses.service's deletion, and a financial sync's removal of the
previously synced addresses: the foreign key's ON DELETE SET NULL clears their references,
and each is told with an ``organization.updated``)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, Select, Text, any_, bindparam, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.common.validation import is_storable_text
from orgql.core.events import outbox as events
from orgql.db import models

#: An organization's default address columns and their OCC keys.
DEFAULTS = (("billing_address_id", "billingAddress"), ("shipping_address_id", "shippingAddress"))


async def lock(
    session: AsyncSession, organization_id: str, address_ids: Collection[str] | Select[str]
) -> None:
    """Lock the rows of the organizations below that chose one of the addresses (FOR NO KEY
    UPDATE, the lock the foreign key's ON DELETE SET NULL takes on them), ancestors first,
    before a deletion locks the addresses themselves: organizations' rows before an
    address's, the order an update of such an organization keeps (its row, then the address
    it chooses, FOR KEY SHARE, core.organizations.references). Locked the other way round, a
    deletion holding the address waited at the chooser's row for SET NULL while the
    chooser's update, holding its row, waited at the address: a deadlock (503). A chooser
    that commits after this read holds the address's lock, which the deletion then waits
    for (so read the choosers, :func:`of_addresses`, once the addresses are locked).

    ``address_ids`` may be a query of them (one statement, the ids not read first)."""
    wanted = address_ids if isinstance(address_ids, Select) else _storable(address_ids)
    if isinstance(wanted, set) and not wanted:
        return  # no address has such an id: the caller answers it is not found
    org = models.Organization
    await session.execute(
        select(org.id)
        # Below the owner only (those that may choose its addresses): an id of another
        # organization's address, refused once locked, locks nothing elsewhere meanwhile.
        .where(org.path.contains([organization_id]), _chooses(wanted))
        .order_by(func.cardinality(org.path), org.id)
        .with_for_update(key_share=True)
    )


async def of_addresses(
    session: AsyncSession, organization_id: str, address_ids: Collection[str]
) -> dict[str, list[str]]:
    """The other organizations (descendants) that chose one of the addresses as their own
    default: id -> the OCC keys of the defaults it is."""
    wanted = _storable(address_ids)
    if not wanted:
        return {}
    org = models.Organization
    rows = await session.execute(
        select(org.id, org.billing_address_id, org.shipping_address_id)
        .where(org.id != organization_id, _chooses(wanted))
        .order_by(org.id)
    )
    return {
        chooser: [key for (_, key), value in zip(DEFAULTS, values, strict=True) if value in wanted]
        for chooser, *values in rows
    }


def _storable(address_ids: Collection[str]) -> set[str]:
    return {address_id for address_id in address_ids if is_storable_text(address_id)}


def _chooses(address_ids: set[str] | Select[str]) -> ColumnElement[bool]:
    org = models.Organization
    if isinstance(address_ids, Select):
        return or_(
            org.billing_address_id.in_(address_ids), org.shipping_address_id.in_(address_ids)
        )
    # One array (a sync's 10,000 ids): an IN list was 10,000 parameters to compile and send,
    # twice, between two awaits (docs/financial-sync.md "Bounds").
    ids = bindparam("address_ids", sorted(address_ids), type_=ARRAY(Text))
    return or_(org.billing_address_id == any_(ids), org.shipping_address_id == any_(ids))


async def updated_events(
    session: AsyncSession, choosers: dict[str, list[str]]
) -> list[events.Event]:
    """``organization.updated`` of each organization whose own default the deletion cleared,
    with its new version (the database's foreign key cleared the reference)."""
    if not choosers:
        return []
    org = models.Organization
    rows = await session.execute(select(org.id, org.version).where(org.id.in_(choosers)))
    versions: dict[str, int] = {row.id: row.version for row in rows}
    return [
        events.Event(
            events.EventType.ORGANIZATION_UPDATED,
            chooser,
            {"id": chooser, "version": versions[chooser], "changed": keys},
        )
        for chooser, keys in choosers.items()
    ]
