"""application keys: admin clients log in with one (POST /ccadmin/v1/login)

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "app_keys",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(254), nullable=False),
        # SHA-256 of the secret part: keys are 256 random bits, so no slow hash is needed.
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("length(secret_hash) = 64", name=op.f("ck_app_keys_secret_hash_sha256")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_keys")),
    )


def downgrade() -> None:
    op.drop_table("app_keys")
