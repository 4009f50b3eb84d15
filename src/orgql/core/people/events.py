"""The change events of the people domain (the catalogue: ``core/events/outbox.EventType``).

- ``contact.created`` (``organizationId``: the parent organization, or null):
  ``id``, ``parentOrganizationId``.
- ``contact.updated`` (the parent organization): ``id``, ``changed`` (OCC keys, sorted).
- ``contact.deactivated`` / ``contact.reactivated`` (the parent organization): ``id``.
- ``contact.parentOrganizationChanged`` (the organization named by the change):
  ``id``, ``fromOrganizationId``, ``toOrganizationId``.
- ``membership.added`` / ``membership.removed`` (the organization):
  ``organizationId``, ``profileId``.
- ``role.granted`` / ``role.revoked`` (the organization):
  ``organizationId``, ``profileId``, ``function``, ``roleId``.

No personal data (names, email) travels in an event: a receiver reads the contact by id.
A membership removed takes the roles held in that organization with it: their
``role.revoked`` events come first.
"""

from __future__ import annotations

from orgql.core.events.outbox import Event, EventType


def membership(added: bool, organization_id: str, profile_id: str) -> Event:
    kind = EventType.MEMBERSHIP_ADDED if added else EventType.MEMBERSHIP_REMOVED
    data = {"organizationId": organization_id, "profileId": profile_id}
    return Event(kind, organization_id, data)


def role(
    granted: bool, organization_id: str, profile_id: str, function: str, role_id: str
) -> Event:
    kind = EventType.ROLE_GRANTED if granted else EventType.ROLE_REVOKED
    data = {
        "organizationId": organization_id,
        "profileId": profile_id,
        "function": function,
        "roleId": role_id,
    }
    return Event(kind, organization_id, data)
