"""index the organizations' default billing and shipping address keys

Deleting an address checks ``organizations.billing_address_id`` and ``shipping_address_id``
(ON DELETE SET NULL). Unindexed, every deleted address scanned the whole organizations table:
a re-sync of 1,000 financial addresses took minutes on 100,000 organizations (bench/run.py).
Partial indexes: most organizations inherit their addresses and store NULL.

Revision ID: 0007
Revises: 0005
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for column in ("billing_address_id", "shipping_address_id"):
        op.create_index(
            f"ix_organizations_{column}",
            "organizations",
            [column],
            postgresql_where=f"{column} IS NOT NULL",
        )


def downgrade() -> None:
    for column in ("billing_address_id", "shipping_address_id"):
        op.drop_index(f"ix_organizations_{column}", table_name="organizations")
