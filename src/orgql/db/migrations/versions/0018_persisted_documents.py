"""persisted_documents: GraphQL documents registered by clients (automatic persisted
queries), shared by every process, bounded in number and size

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "persisted_documents",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_persisted_documents")),
        sa.CheckConstraint(
            "sha256 ~ '^[0-9a-f]{64}$'", name=op.f("ck_persisted_documents_sha256_hex")
        ),
        sa.CheckConstraint(
            "octet_length(document) <= 262144",
            name=op.f("ck_persisted_documents_document_bounded"),
        ),
    )
    op.create_index("ix_persisted_documents_created_at", "persisted_documents", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_persisted_documents_created_at", table_name="persisted_documents")
    op.drop_table("persisted_documents")
