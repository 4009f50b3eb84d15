"""The event catalogue (docs/change-events.md) lists every event type the outbox emits."""

from __future__ import annotations

from pathlib import Path

from orgql.core.events.outbox import EventType

CATALOGUE = Path(__file__).resolve().parents[2] / "docs" / "change-events.md"


def test_every_event_type_is_in_the_catalogue() -> None:
    page = CATALOGUE.read_text(encoding="utf-8")

    assert [kind.value for kind in EventType if f"`{kind.value}`" not in page] == []
