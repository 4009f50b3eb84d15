"""Who receives which change live (core/events/audience.py): the rule of the queries, kept
current by the events themselves."""

from __future__ import annotations

from datetime import UTC, datetime

from orgql.core.access.principals import Principal, Role
from orgql.core.events.audience import Audience, LiveEvent
from orgql.core.events.outbox import EventType

SHOPPER = Principal(Role.SHOPPER, "110000")


def event(type: EventType, organization_id: str | None, **data: object) -> LiveEvent:
    return LiveEvent(1, "e", type, organization_id, datetime.now(UTC), data)


def test_a_shopper_receives_their_accounts_changes_only() -> None:
    audience = Audience(SHOPPER, everything=False, members={"100001"})
    mine = event(EventType.ORGANIZATION_UPDATED, "100001", changed=["name"])
    assert audience.receives(mine) == mine
    assert audience.receives(event(EventType.ORGANIZATION_UPDATED, "100002")) is None
    # Not the people events, not events without an account.
    assert audience.receives(event(EventType.MEMBERSHIP_ADDED, "100001")) is None
    assert audience.receives(event(EventType.ORGANIZATION_REQUEST_SUBMITTED, None)) is None


def test_a_deactivated_account_withholds_contract_and_payment_values() -> None:
    audience = Audience(SHOPPER, everything=False, members={"100001"})
    assert not audience.follow(event(EventType.ORGANIZATION_DEACTIVATED, "100001"))
    changes = [
        {"field": "derivedContract", "siteId": "siteUS", "before": None, "after": "200016"},
        {"field": "derivedDescription", "siteId": None, "before": "a", "after": "b"},
    ]
    effect = event(EventType.ORGANIZATION_EFFECTIVE_VALUE_CHANGED, "100001", changes=changes)
    seen = audience.receives(effect)
    assert seen is not None
    assert seen.data["changes"] == changes[1:]
    only_contract = event(
        EventType.ORGANIZATION_EFFECTIVE_VALUE_CHANGED, "100001", changes=changes[:1]
    )
    assert audience.receives(only_contract) is None
    audience.follow(event(EventType.ORGANIZATION_REACTIVATED, "100001"))
    assert audience.receives(effect) == effect


def test_memberships_removed_apply_at_once_and_added_ask_for_a_new_read() -> None:
    audience = Audience(SHOPPER, everything=False, members={"100001", "100002"})
    removed = event(
        EventType.MEMBERSHIP_REMOVED, "100002", organizationId="100002", profileId="110000"
    )
    assert not audience.follow(removed)
    assert audience.receives(event(EventType.ORGANIZATION_UPDATED, "100002")) is None
    someone_else = event(
        EventType.MEMBERSHIP_REMOVED, "100001", organizationId="100001", profileId="110001"
    )
    audience.follow(someone_else)
    assert audience.members == {"100001"}
    added = event(EventType.MEMBERSHIP_ADDED, "100003", organizationId="100003", profileId="110000")
    assert audience.follow(added)  # read again; until then the narrower audience applies
    assert audience.receives(event(EventType.ORGANIZATION_UPDATED, "100003")) is None
    assert not audience.follow(event(EventType.CONTACT_DEACTIVATED, "100001", id="110000"))
    assert audience.members == set()
    assert audience.follow(event(EventType.CONTACT_REACTIVATED, "100001", id="110000"))


def test_an_admin_receives_every_account() -> None:
    audience = Audience(Principal(Role.ADMIN, "k"), everything=True)
    other = event(EventType.ORGANIZATION_MOVED, "100002")
    assert audience.receives(other) == other
    assert not audience.follow(event(EventType.CONTACT_DEACTIVATED, None, id="k"))
