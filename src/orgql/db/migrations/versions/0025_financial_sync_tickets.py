"""financial sync tickets: two syncs of one organization commit in the order they began

Revision ID: 0025
Revises: 0024

A sync reads, fetches from the financial source holding no connection, then writes under
the organization's row lock (core.financial.sync). Without an order, a sync that fetched
first but committed last wrote older upstream data over a newer sync's. Now:

- ``financial_sync_tickets``: a sequence; each sync takes the next value in its first read,
  before it fetches (one order across every worker process, not the app's clock).
- ``organization_financial_settings.synced_ticket``: the ticket of the organization's last
  committed sync, written by the sync's write (an upsert: the row is created for an
  organization without a configured business unit, ``business_unit_id`` null as before). A
  sync whose ticket is not newer writes nothing and is refused (100193, conflict). On the
  settings row, not ``organizations``: a ticket is no change of the organization, so it
  neither bumps its version (0009) nor is recorded in its history (0010).

Existing rows get no ticket: the first sync of each organization after the upgrade commits.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | Sequence[str] | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE financial_sync_tickets AS bigint")
    op.add_column(
        "organization_financial_settings",
        sa.Column("synced_ticket", sa.BigInteger(), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("organization_financial_settings", "synced_ticket")
    op.execute("DROP SEQUENCE financial_sync_tickets")
