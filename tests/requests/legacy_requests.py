"""What the tests of requests stored before a rule share (test_legacy_request_emails,
test_invisible_characters_in_request_names): the request they store, and what an approval
would write, counted."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

#: The request stored as it was before the rule.
REQUEST = "R-LEGACY"
#: What an approval writes: the profile, the organization, its history and the events.
TABLES = ("profiles", "organizations", "organization_history", "outbox_events")


async def approval_state(engine: AsyncEngine) -> tuple[Any, ...]:
    """The request's status and profile link, and how many rows an approval would add to."""
    async with engine.connect() as connection:
        request = (
            await connection.execute(
                text("SELECT status, profile_id FROM organization_requests WHERE id = :id"),
                {"id": REQUEST},
            )
        ).one()
        counts = [
            await connection.scalar(text(f"SELECT count(*) FROM {table}")) for table in TABLES
        ]
    return (str(request.status), request.profile_id, *counts)
