"""Who receives which change event live (GraphQL subscriptions, docs/spa-clients.md).

The rule is that of the queries (core.access.checks): an admin receives the changes of every
account; a shopper those of the accounts their active profile is a member of (directly, or
below a member organization whose roles apply to divisions: core.organizations.membership),
and nothing of any other account (not an ancestor's, not a sibling's); an anonymous caller
nothing. An account below a lending membership is known by the path (and state) the feed
reads with its event, never by reading the lender's subtree. Of a
deactivated account a shopper is not shown contract or payment values: its
``organization.effectiveValueChanged`` events reach them without the changes of those values.

An :class:`Audience` is read once when a subscription starts (:func:`load`, two statements
for a shopper, none for an admin) and then kept current by the events themselves, in commit
order, before they are filtered (:meth:`Audience.follow`): a membership removed, or the
profile deactivated, applies to the very next event; a membership added or the profile
reactivated, or a member organization's ``rolesApplyToDivisions`` changed, asks for a new
:func:`load` (the caller reads it again; until then the narrower audience applies, never a
wider one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orgql.core.access.checks import WITHHELD_WHEN_INACTIVE
from orgql.core.access.principals import Principal
from orgql.core.events.outbox import EventType
from orgql.core.inheritance.fields import FIELDS
from orgql.core.organizations import membership
from orgql.db import models

#: The events of an account a subscriber of account changes receives: its lifecycle and
#: its effective values (the catalogue: docs/change-events.md).
ACCOUNT_EVENT_TYPES: frozenset[str] = frozenset(
    {
        EventType.ORGANIZATION_CREATED,
        EventType.ORGANIZATION_UPDATED,
        EventType.ORGANIZATION_MOVED,
        EventType.ORGANIZATION_DEACTIVATED,
        EventType.ORGANIZATION_REACTIVATED,
        EventType.ORGANIZATION_EFFECTIVE_VALUE_CHANGED,
        EventType.ORGANIZATION_SITE_PROPERTIES_UPDATED,
        EventType.FINANCIAL_DATA_SYNCED,
    }
)
#: The events of an organization request's status: a move between review and
#: moreInfoNeeded, and the decisions that end it.
REQUEST_STATUS_EVENT_TYPES: frozenset[str] = frozenset(
    {
        EventType.ORGANIZATION_REQUEST_STATUS_CHANGED,
        EventType.ORGANIZATION_REQUEST_APPROVED,
        EventType.ORGANIZATION_REQUEST_REJECTED,
    }
)
#: What a follower of one request's status is told of: its status events, and its deletion
#: (in review only), which ends the following as for an unknown request.
REQUEST_FOLLOWED_EVENT_TYPES: frozenset[str] = REQUEST_STATUS_EVENT_TYPES | {
    EventType.ORGANIZATION_REQUEST_DELETED
}
#: Events that change what a shopper may see (their memberships, their profile).
_PEOPLE_EVENT_TYPES: frozenset[str] = frozenset(
    {
        EventType.MEMBERSHIP_ADDED,
        EventType.MEMBERSHIP_REMOVED,
        EventType.CONTACT_DEACTIVATED,
        EventType.CONTACT_REACTIVATED,
    }
)
#: What the feed reads the payload of (the others it only orders).
LIVE_EVENT_TYPES: frozenset[str] = (
    ACCOUNT_EVENT_TYPES | REQUEST_FOLLOWED_EVENT_TYPES | _PEOPLE_EVENT_TYPES
)
#: The effective-value fields a shopper of a deactivated account is not shown.
WITHHELD_FIELDS: frozenset[str] = frozenset(
    f.name for f in FIELDS if f.column in WITHHELD_WHEN_INACTIVE
)


@dataclass(frozen=True)
class LiveEvent:
    """One committed outbox event as the live feed reads it."""

    position: int
    event_id: str
    type: str
    organization_id: str | None
    occurred_at: datetime
    data: Mapping[str, object]
    #: The organization's stored path and state when the feed read the event (empty, None:
    #: no such organization any more): whether it lies below a lending membership.
    organization_path: tuple[str, ...] = ()
    organization_active: bool | None = None


@dataclass
class Audience:
    """What one subscriber may receive (the module's docstring)."""

    principal: Principal
    everything: bool
    #: The accounts the shopper's active profile is itself a member of.
    members: set[str] = field(default_factory=set)
    #: Those of them that are deactivated.
    inactive: set[str] = field(default_factory=set)
    #: Those of them whose roles apply to divisions (their subtrees are the shopper's too).
    lenders: set[str] = field(default_factory=set)
    #: Counts the narrowings (:meth:`follow`): a read of the audience begun before one is
    #: stale (it may still hold a membership since removed) and is read again.
    narrowed: int = 0

    def receives(self, event: LiveEvent) -> LiveEvent | None:
        """``event`` as this subscriber may see it, or None: not theirs to see."""
        if event.type not in ACCOUNT_EVENT_TYPES or event.organization_id is None:
            return None
        if self.everything:
            return event
        if event.organization_id in self.members:
            inactive = event.organization_id in self.inactive
        elif not self.lenders.isdisjoint(event.organization_path):
            inactive = event.organization_active is False
        else:
            return None
        if event.type == EventType.ORGANIZATION_EFFECTIVE_VALUE_CHANGED and inactive:
            return _withhold(event)
        return event

    def follow(self, event: LiveEvent) -> bool:
        """Keep the audience current with ``event`` (before it is filtered); True when it
        must be read again (something was added to what it may see)."""
        if self.everything:
            return False
        subject = self.principal.subject
        data, organization_id = event.data, event.organization_id
        if event.type == EventType.ORGANIZATION_DEACTIVATED and organization_id in self.members:
            self.inactive.add(organization_id)
        elif event.type == EventType.ORGANIZATION_REACTIVATED:
            self.inactive.discard(organization_id or "")
        elif event.type == EventType.MEMBERSHIP_REMOVED and data.get("profileId") == subject:
            self.members.discard(str(data.get("organizationId")))
            self.lenders.discard(str(data.get("organizationId")))
            self.narrowed += 1
        elif event.type == EventType.CONTACT_DEACTIVATED and data.get("id") == subject:
            self.members.clear()
            self.lenders.clear()
            self.narrowed += 1
        elif event.type == EventType.ORGANIZATION_UPDATED and _lending_changed(event, self):
            # Narrowed at once (it may be off now), widened by the read it asks for.
            self.lenders.discard(organization_id or "")
            self.narrowed += 1
            return True
        else:
            added = event.type == EventType.MEMBERSHIP_ADDED and data.get("profileId") == subject
            back = event.type == EventType.CONTACT_REACTIVATED and data.get("id") == subject
            return added or back
        return False


def _lending_changed(event: LiveEvent, audience: Audience) -> bool:
    changed = event.data.get("changed")
    return (
        event.organization_id in audience.members
        and isinstance(changed, list)
        and "rolesApplyToDivisions" in changed
    )


def _withhold(event: LiveEvent) -> LiveEvent | None:
    changes = event.data.get("changes")
    if not isinstance(changes, list):
        return event
    kept = [c for c in changes if not (isinstance(c, dict) and c.get("field") in WITHHELD_FIELDS)]
    if not kept:
        return None
    return replace(event, data={**event.data, "changes": kept})


async def load(session: AsyncSession, principal: Principal) -> Audience | None:
    """The audience of ``principal`` now; None for a caller who may receive nothing
    (anonymous). A shopper with no active membership receives nothing until one is added."""
    if principal.is_admin:
        return Audience(principal, everything=True)
    if not principal.is_shopper or not principal.subject:
        return None
    found = await membership.member_sources(session, principal.subject)
    members = set(found)
    lenders = {organization_id for organization_id, (_, lends) in found.items() if lends}
    inactive: set[str] = set()
    if members:
        org = models.Organization
        rows = await session.scalars(
            select(org.id).where(org.id.in_(members), org.active.is_(False))
        )
        inactive = set(rows)
    return Audience(principal, False, members=members, inactive=inactive, lenders=lenders)
