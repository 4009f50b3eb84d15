"""organizations.roles_apply_to_divisions: whether the roles held in an organization apply
in every organization below it (DOMAIN.md, "The people of an account": an admin of a parent
acting in its divisions is a setting per account, off by default)

Revision ID: 0022
Revises: 0021
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "organizations",
        sa.Column("roles_apply_to_divisions", sa.Boolean(), nullable=False, server_default="false"),
    )
    # The accounts whose roles reach down are few: a partial index finds them for the
    # membership rule (core.organizations.membership) without a scan.
    op.create_index(
        "ix_organizations_roles_apply_to_divisions",
        "organizations",
        ["id"],
        postgresql_where=sa.text("roles_apply_to_divisions"),
    )


def downgrade() -> None:
    op.drop_index("ix_organizations_roles_apply_to_divisions", table_name="organizations")
    op.drop_column("organizations", "roles_apply_to_divisions")
