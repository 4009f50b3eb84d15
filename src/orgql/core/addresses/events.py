"""The events of an address change (the event catalogue: docs/addresses-and-listing.md).

In this order, in one :func:`events.emit_many`:

- ``organization.address.created`` / ``.updated`` / ``.deleted``: ``data`` ``{id (the
  organization), addressId, addressType, changed: [OCC keys, sorted] (created, updated)}``;
- ``organization.updated`` ``{id, version, changed: ["billingAddress"|"shippingAddress"]}``
  when the organization's own default references changed (as an update of them tells it);
- one ``organization.effectiveValueChanged`` per organization of the subtree whose derived
  default addresses changed (``causedBy.eventType`` the address event). An update of the
  content of an address that organizations show as their derived default (its lines, its
  nickname) changes no id: each of them gets a change with the same id before and after,
  so that a receiver that caches derived addresses reads it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from orgql.core.events import lifecycle
from orgql.core.events import outbox as events
from orgql.core.inheritance.effects import EffectiveValues, ValueChange, diff
from orgql.db import models

_DEFAULT_FIELDS = {
    "billing_address_id": ("billingAddress", "derivedBillingAddress"),
    "shipping_address_id": ("shippingAddress", "derivedShippingAddress"),
}


@dataclass(frozen=True)
class Done:
    """What an address change did, for its events."""

    type: events.EventType
    organization: models.Organization
    address: models.Address
    changed: list[str]
    #: The organization's default address ids before the change, by column.
    own_before: Mapping[str, str | None]
    #: The subtree's effective values before the change (None: nobody takes them).
    before: Mapping[str, EffectiveValues] | None
    #: An update changed what the address reads (lines or nickname).
    content_changed: bool = False


def events_of(done: Done, after: Mapping[str, EffectiveValues] | None) -> list[events.Event]:
    """The events of one address change (module docstring), the cause first."""
    organization, address = done.organization, done.address
    data: dict[str, object] = {
        "id": organization.id,
        "addressId": address.id,
        "addressType": address.address_type,
    }
    if done.type is not events.EventType.ORGANIZATION_ADDRESS_DELETED:
        data["changed"] = done.changed
    found = [events.Event(done.type, organization.id, data)]
    defaults = sorted(
        key
        for column, (key, _) in _DEFAULT_FIELDS.items()
        if done.own_before[column] != getattr(organization, column)
    )
    if defaults:
        found.append(
            events.Event(
                events.EventType.ORGANIZATION_UPDATED,
                organization.id,
                {"id": organization.id, "version": organization.version, "changed": defaults},
            )
        )
    if done.before is not None and after is not None:
        changes = diff(done.before, after)
        if done.content_changed:
            changes += _reads_differently(address.id, after, changes)
        cause = lifecycle.Cause(organization.id, done.type)
        found += lifecycle.effective_value_events(_ordered(changes, after), cause)
    return found


def _reads_differently(
    address_id: str, after: Mapping[str, EffectiveValues], changes: list[ValueChange]
) -> list[ValueChange]:
    """A change (same id) for each organization showing ``address_id`` as a derived default
    whose id did not change (those whose id changed have their change already)."""
    told = {(change.organization_id, change.field) for change in changes}
    return [
        ValueChange(organization_id, field, None, address_id, address_id)
        for organization_id, values in after.items()
        for _, field in _DEFAULT_FIELDS.values()
        if values.derived.get(field) == address_id and (organization_id, field) not in told
    ]


def _ordered(changes: list[ValueChange], after: Mapping[str, EffectiveValues]) -> list[ValueChange]:
    """Changes in the snapshot's order (the changed organization first, then by depth)."""
    position = {organization_id: index for index, organization_id in enumerate(after)}
    return sorted(changes, key=lambda change: position.get(change.organization_id, 0))
