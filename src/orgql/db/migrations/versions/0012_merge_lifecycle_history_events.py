"""merge the account-lifecycle branches (versions 0009, history 0010, change events 0011)
into one head

Revision ID: 0012
Revises: 0009, 0010, 0011
"""

from collections.abc import Sequence

revision: str = "0012"
down_revision: str | Sequence[str] | None = ("0009", "0010", "0011")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: history's triggers record whole rows (to_jsonb), so the version
    column of 0009 is captured whichever branch runs first; the outbox touches other tables."""


def downgrade() -> None:
    """Nothing to change."""
