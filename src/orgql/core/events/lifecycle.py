"""The lifecycle events of an organization and the effective-value events of its subtree.

docs/change-events.md, "Event catalogue". An update emits, in this order and in one
:func:`events.emit_many` (so the per-organization locks are taken in one sorted sweep):

- ``organization.updated`` when a value other than the parent and ``active`` changed: ``data``
  ``{id, version, changed: [OCC keys, sorted], siteId?}`` (``siteId`` when a site value is
  among them). A move and an (de)activation have events of their own, so each change is told
  once: a move that also renames is ``updated`` then ``moved``. A change that changes nothing
  (values equal to the current ones) emits nothing.
- ``organization.moved``: ``{id, version, fromParentOrganizationId, toParentOrganizationId}``.
- ``organization.deactivated`` / ``organization.reactivated``: ``{id, version}``.
- then one ``organization.effectiveValueChanged`` per organization of the subtree (the changed
  organization itself included) whose derived or per-site effective values changed:
  ``{id, causedBy: {organizationId, eventType}, changes: [{field, siteId, before, after}]}``;
  ``causedBy.eventType`` is ``organization.moved`` for a move, else the first event above.

The cause comes first: per organization, deliveries follow the order of the list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from orgql.core.events import outbox as events
from orgql.core.inheritance.effects import ValueChange
from orgql.core.organizations.input import COLUMN_KEYS
from orgql.db import models

#: Column -> OCC key of the values an update may change, beside those of COLUMN_KEYS.
_OCC_KEYS = {
    **{column: key for key, column in COLUMN_KEYS.items()},
    "billing_address_id": "billingAddress",
    "shipping_address_id": "shippingAddress",
    "roles_apply_to_divisions": "rolesApplyToDivisions",
}
#: Changes told by an event of their own rather than in ``organization.updated``.
_OWN_EVENTS = ("parent_id", "active")


@dataclass(frozen=True)
class Cause:
    """The change that altered effective values: the organization changed and the type of
    the event that tells it (a receiver can match the two)."""

    organization_id: str
    event_type: events.EventType


def json_value(value: object) -> object:
    """A value as the webhook's JSON shows it: decimals as numbers (as the REST renderer
    does: integral ones as integers), arrays as lists, dates in ISO 8601."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def effective_value_events(changes: Sequence[ValueChange], cause: Cause) -> list[events.Event]:
    """One ``organization.effectiveValueChanged`` per organization with changes, in the order
    of ``changes`` (:func:`effects.diff`: the changed organization first, then by depth)."""
    grouped: dict[str, list[dict[str, object]]] = {}
    for change in changes:
        grouped.setdefault(change.organization_id, []).append(
            {
                "field": change.field,
                "siteId": change.site_id,
                "before": json_value(change.before),
                "after": json_value(change.after),
            }
        )
    caused_by = {"organizationId": cause.organization_id, "eventType": str(cause.event_type)}
    return [
        events.Event(
            events.EventType.ORGANIZATION_EFFECTIVE_VALUE_CHANGED,
            organization_id,
            {"id": organization_id, "causedBy": caused_by, "changes": items},
        )
        for organization_id, items in grouped.items()
    ]


def own_values(organization: models.Organization) -> dict[str, object]:
    """The organization's own values an update can change, by column (copied: the update
    mutates the object), to compare before and after."""
    values: dict[str, object] = {
        column: _copy(getattr(organization, column)) for column in (*_OCC_KEYS, *_OWN_EVENTS)
    }
    values["name"] = organization.name
    values["dynamic_properties"] = dict(organization.dynamic_properties or {})
    return values


def _copy(value: object) -> object:
    return list(value) if isinstance(value, list) else value


@dataclass(frozen=True)
class Update:
    """What an update did to one organization, for its events."""

    organization: models.Organization
    before: Mapping[str, object]  # :func:`own_values` before the change
    site_id: str | None = None
    site_keys: Sequence[str] = ()  # OCC keys of the site values that changed on site_id
    effects: Sequence[ValueChange] = ()


def update_events(done: Update) -> list[events.Event]:
    """The events of one update (module docstring), the cause first, nothing when nothing
    changed."""
    organization = done.organization
    after = own_values(organization)
    before = done.before
    changed = [
        _OCC_KEYS.get(column, column)
        for column in (*_OCC_KEYS, "name")
        if before[column] != after[column]
    ]
    old_dynamic = before["dynamic_properties"]
    new_dynamic = after["dynamic_properties"]
    assert isinstance(old_dynamic, dict)
    assert isinstance(new_dynamic, dict)
    changed += [
        key
        for key in old_dynamic.keys() | new_dynamic.keys()
        if old_dynamic.get(key) != new_dynamic.get(key)
    ]
    changed += done.site_keys
    found: list[events.Event] = []
    identity = {"id": organization.id, "version": organization.version}
    if changed:
        data: dict[str, object] = {**identity, "changed": sorted(changed)}
        if done.site_keys:
            data["siteId"] = done.site_id
        found.append(events.Event(events.EventType.ORGANIZATION_UPDATED, organization.id, data))
    if before["parent_id"] != after["parent_id"]:
        moved = {
            **identity,
            "fromParentOrganizationId": before["parent_id"],
            "toParentOrganizationId": after["parent_id"],
        }
        found.append(events.Event(events.EventType.ORGANIZATION_MOVED, organization.id, moved))
    if before["active"] != after["active"]:
        kind = (
            events.EventType.ORGANIZATION_REACTIVATED
            if after["active"]
            else events.EventType.ORGANIZATION_DEACTIVATED
        )
        found.append(events.Event(kind, organization.id, identity))
    if found and done.effects:
        # A move changes what the subtree inherits more than any value does: it is the cause.
        types = [event.type for event in found]
        move = events.EventType.ORGANIZATION_MOVED
        cause = Cause(organization.id, move if move in types else types[0])
        found += effective_value_events(done.effects, cause)
    return found
