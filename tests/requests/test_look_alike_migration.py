"""Migration 0024 on requests linked before it: a link made by a look-alike email (the
profile holds the request's unique key in other letters) is undone on open requests; a link
in the same letters, or to a profile whose email changed since, stays."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import text

from orgql.db.engine import make_engine
from orgql.db.migrate import upgrade

PROFILES = [
    ("P1", "shelly.smith@example.com"),  # a look-alike request's key, other letters
    ("P2", "ada@example.com"),  # linked in another case of the same letters
    ("P3", "renamed@example.com"),  # its email changed after the link
]
REQUESTS = [
    ("R1", "review", "shelly.sm\u0130th@example.com", "P1"),
    ("R2", "moreInfoNeeded", "ADA@example.com", "P2"),
    ("R3", "review", "old@example.com", "P3"),
    ("R4", "moreInfoNeeded", "SHELLY.SM\u0130TH@example.com", "P1"),
]


async def test_open_requests_linked_by_a_look_alike_are_unlinked(server: Any) -> None:
    name = f"orgql_look_alike_{secrets.token_hex(4)}"
    await server.create_database(name)
    engine = make_engine(server.database_url(name), pool_size=1)
    try:
        await upgrade(engine, "0023")
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO sites (id, name, enabled, b2b, is_default,"
                    " registration_requests_enabled, enable_profile_registration_email_check)"
                    " VALUES ('s', 's', true, true, true, true, false)"
                )
            )
            for profile_id, email in PROFILES:
                await connection.execute(
                    text("INSERT INTO profiles (id, email, receive_email) VALUES (:i, :e, false)"),
                    {"i": profile_id, "e": email},
                )
            for request_id, status, email, profile_id in REQUESTS:
                await connection.execute(
                    text(
                        "INSERT INTO organization_requests (id, name, status, site_id,"
                        " profile_email, profile_first_name, profile_last_name, profile_id,"
                        " profile_linked) VALUES (:i, :i, :s, 's', :e, 'A', 'B', :p, true)"
                    ),
                    {"i": request_id, "s": status, "e": email, "p": profile_id},
                )

        await upgrade(engine)

        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT id, profile_id, profile_linked FROM organization_requests ORDER BY id")
            )
            assert [tuple(row) for row in rows] == [
                ("R1", None, False),
                ("R2", "P2", True),
                ("R3", "P3", True),
                ("R4", None, False),
            ]
    finally:
        await engine.dispose()
        await server.drop_database(name)
