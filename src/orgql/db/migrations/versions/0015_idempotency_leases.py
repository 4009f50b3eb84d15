"""idempotency claims carry a token, a lease and the commit of their run: a failed or dead
run's key is released or taken over; a committed run's key is never run again

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows still running from before have no lease: taken for dead, so taken over.
    op.add_column("idempotency_keys", sa.Column("claim", sa.String(32)))
    op.add_column("idempotency_keys", sa.Column("lease_until", sa.DateTime(timezone=True)))
    op.add_column("idempotency_keys", sa.Column("committed_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("idempotency_keys", "committed_at")
    op.drop_column("idempotency_keys", "lease_until")
    op.drop_column("idempotency_keys", "claim")
