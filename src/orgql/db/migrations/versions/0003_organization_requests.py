"""organization requests: self-registration from the storefront to approval

Revision ID: 0003
Revises: 0002

- ``address_types``: reference data ("Billing", "Shipping", ...) that an address may be tagged
  with (``types: [{"id": ...}]`` in OCC documents); ``address_type_links`` tags addresses.
- ``organization_requests``: a registration request. The draft organization (with its
  secondary addresses and their address types) is one JSONB document in createOrganization
  form: it becomes an organization only through the organization service, whose parser
  validates it at every write and again at approval, so its rules are not duplicated in a
  twin schema; nothing filters or joins on its fields. The draft profile is columns: its
  email is matched against profiles (case-insensitively, like ``profiles.email_key``).
  ``profile_linked`` records that a profile was linked; with ``profile_id`` NULL afterwards
  (ON DELETE SET NULL) the requester's profile no longer exists. A trigger keeps approved and
  rejected requests' decisions final.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Approved and rejected are final whoever writes: the service checks under a row lock, and
# the database refuses any later change of the decision itself. (Deleting a profile still
# nulls profile_id: that column is not watched.)
FINAL_DECISION = (
    """
CREATE FUNCTION orgql_organization_request_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'organization request % is already %', OLD.id, OLD.status
        USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_organization_requests_final';
END
$$
""",
    """
CREATE TRIGGER organization_requests_final
    BEFORE UPDATE OF status, organization_id, organization_draft, approver_comments
    ON organization_requests
    FOR EACH ROW WHEN (OLD.status IN ('approved', 'rejected'))
    EXECUTE FUNCTION orgql_organization_request_final()
""",
)

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "address_types",
        sa.Column("id", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=254), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_address_types")),
    )
    op.create_table(
        "address_type_links",
        sa.Column("address_id", sa.String(length=40), nullable=False),
        sa.Column("address_type_id", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["addresses.id"],
            name=op.f("fk_address_type_links_address_id_addresses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["address_type_id"],
            ["address_types.id"],
            name=op.f("fk_address_type_links_address_type_id_address_types"),
        ),
        sa.PrimaryKeyConstraint(
            "address_id", "address_type_id", name=op.f("pk_address_type_links")
        ),
    )
    op.create_index(
        "ix_address_type_links_address_type_id", "address_type_links", ["address_type_id"]
    )
    op.create_table(
        "organization_requests",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=254), nullable=False),
        sa.Column(
            "status", sa.String(length=16), server_default=sa.text("'review'"), nullable=False
        ),
        sa.Column("requester_comments", sa.String(length=1000), nullable=True),
        sa.Column("approver_comments", sa.String(length=1000), nullable=True),
        sa.Column("related_organization_name", sa.String(length=254), nullable=True),
        sa.Column("site_id", sa.String(length=254), nullable=False),
        sa.Column(
            "organization_draft",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("profile_email", sa.String(length=254), nullable=False),
        sa.Column(
            "profile_email_key",
            sa.String(length=254),
            sa.Computed("lower(btrim(profile_email))", persisted=True),
            nullable=False,
        ),
        sa.Column("profile_first_name", sa.String(length=254), nullable=False),
        sa.Column("profile_last_name", sa.String(length=254), nullable=False),
        sa.Column("profile_customer_contact_id", sa.String(length=254), nullable=True),
        sa.Column("profile_party_id", sa.String(length=254), nullable=True),
        sa.Column("profile_party_number", sa.String(length=254), nullable=True),
        sa.Column("profile_receive_email", sa.Boolean(), nullable=True),
        sa.Column("profile_id", sa.String(length=40), nullable=True),
        sa.Column("profile_linked", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('review', 'moreInfoNeeded', 'approved', 'rejected')",
            name=op.f("ck_organization_requests_status_known"),
        ),
        # Approval records the organization and the profile; nothing else has them.
        sa.CheckConstraint(
            "(status = 'approved') = (organization_id IS NOT NULL)",
            name=op.f("ck_organization_requests_organization_iff_approved"),
        ),
        sa.CheckConstraint(
            "status <> 'approved' OR profile_linked",
            name=op.f("ck_organization_requests_approved_has_profile"),
        ),
        sa.CheckConstraint(
            "profile_id IS NULL OR profile_linked",
            name=op.f("ck_organization_requests_profile_linked"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_organization_requests_site_id_sites")
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_organization_requests_profile_id_profiles"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_organization_requests_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organization_requests")),
    )
    # The admin's queue: by status, oldest first (keyset on created_at, id).
    op.create_index(
        "ix_organization_requests_status_created",
        "organization_requests",
        ["status", "created_at", "id"],
    )
    op.create_index(
        "ix_organization_requests_created", "organization_requests", ["created_at", "id"]
    )
    op.create_index("ix_organization_requests_profile_id", "organization_requests", ["profile_id"])
    op.create_index(
        "ix_organization_requests_organization_id", "organization_requests", ["organization_id"]
    )
    for statement in FINAL_DECISION:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS organization_requests_final ON organization_requests")
    op.execute("DROP FUNCTION IF EXISTS orgql_organization_request_final()")
    op.drop_index("ix_organization_requests_organization_id", table_name="organization_requests")
    op.drop_index("ix_organization_requests_profile_id", table_name="organization_requests")
    op.drop_index("ix_organization_requests_created", table_name="organization_requests")
    op.drop_index("ix_organization_requests_status_created", table_name="organization_requests")
    op.drop_table("organization_requests")
    op.drop_index("ix_address_type_links_address_type_id", table_name="address_type_links")
    op.drop_table("address_type_links")
    op.drop_table("address_types")
