"""registration requests still open that were linked to a profile by a look-alike email are
unlinked (core.common.emails)

Revision ID: 0024
Revises: 0023

Before this revision a request was linked to the profile whose unique key
``lower(btrim(email))`` equalled its email's, so ``shelly.smİth@example.com`` (a dotted capital
I, which PostgreSQL lowercases to "i") was linked to shelly.smith@example.com's profile, and its
approval would make that profile the admin of the requester's account. Such a link is undone
on the requests still in ``review`` or ``moreInfoNeeded`` (decided ones are final): the linked
profile holds the request's key in other letters (equal lowercased, not uppercased). Approval
then looks the email up by today's rule. A request whose linked profile's email changed since
(another key) is left linked, as the service leaves it. Nothing to undo on downgrade: the old
rule would link the same profile again only when the request is updated or approved.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        UPDATE organization_requests AS r
        SET profile_id = NULL, profile_linked = false
        FROM profiles AS p
        WHERE r.profile_id = p.id
          AND r.status IN ('review', 'moreInfoNeeded')
          AND p.email_key = r.profile_email_key
          AND upper(btrim(p.email)) <> upper(btrim(r.profile_email))
        """
    )


def downgrade() -> None:
    pass
