"""initial schema

Revision ID: 0001
Revises:

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The ancestor path (root first, direct parent last) is derived from parent_id by the
# database itself, so no writer can store a path that disagrees with the parent chain.
# A parent change repaths the whole subtree in the same statement's transaction, and a
# parent that is the row itself or one of its descendants is refused (no cycles).
PATH_TRIGGERS = (
    """
CREATE FUNCTION orgql_set_organization_path() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    parent_path varchar(40)[];
BEGIN
    IF NEW.parent_id IS NULL THEN
        NEW.path := '{}';
        RETURN NEW;
    END IF;
    -- FOR SHARE: the parent cannot move while a child is attached under it.
    SELECT path INTO parent_path FROM organizations WHERE id = NEW.parent_id FOR SHARE;
    IF NOT FOUND THEN
        RETURN NEW;  -- the foreign key reports the missing parent
    END IF;
    IF NEW.id = NEW.parent_id OR NEW.id = ANY(parent_path) THEN
        RAISE EXCEPTION 'organization % cannot be its own ancestor', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_organizations_no_cycle';
    END IF;
    NEW.path := parent_path || NEW.parent_id;
    RETURN NEW;
END
$$
""",
    """
CREATE FUNCTION orgql_repath_descendants() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Descendants keep the part of their path below NEW and take NEW's new prefix.
    UPDATE organizations
       SET path = NEW.path || NEW.id || path[array_position(path, NEW.id) + 1:]
     WHERE path @> ARRAY[NEW.id]::varchar(40)[] AND id <> NEW.id;
    RETURN NULL;
END
$$
""",
    """
CREATE TRIGGER organizations_path_on_insert
    BEFORE INSERT OR UPDATE OF parent_id ON organizations
    FOR EACH ROW EXECUTE FUNCTION orgql_set_organization_path()
""",
    """
CREATE TRIGGER organizations_path_on_move
    AFTER UPDATE OF parent_id ON organizations
    FOR EACH ROW WHEN (OLD.parent_id IS DISTINCT FROM NEW.parent_id)
    EXECUTE FUNCTION orgql_repath_descendants()
""",
)


def upgrade() -> None:
    """Upgrade schema."""
    op.execute("CREATE SEQUENCE repository_id_seq START WITH 200000")
    op.create_table(
        "catalogs",
        sa.Column("id", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=254), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogs")),
    )
    op.create_table(
        "contract_terms",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("terms", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_terms")),
    )
    op.create_table(
        "dynamic_property_definitions",
        sa.Column("id", sa.String(length=254), nullable=False),
        sa.Column("label", sa.String(length=254), nullable=True),
        sa.Column("data_type", sa.String(length=16), nullable=False),
        sa.Column("max_length", sa.Integer(), nullable=True),
        sa.Column("default_value", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.CheckConstraint(
            "data_type IN ('string', 'boolean', 'number', 'date')",
            name=op.f("ck_dynamic_property_definitions_data_type_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dynamic_property_definitions")),
    )
    op.create_table(
        "media_files",
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.PrimaryKeyConstraint("path", name=op.f("pk_media_files")),
    )
    op.create_table(
        "payment_methods",
        sa.Column("id", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=254), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_methods")),
    )
    op.create_table(
        "price_list_groups",
        sa.Column("id", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=254), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_list_groups")),
    )
    op.create_table(
        "profiles",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("first_name", sa.String(length=254), nullable=True),
        sa.Column("last_name", sa.String(length=254), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column(
            "email_key",
            sa.String(length=254),
            sa.Computed("lower(btrim(email))", persisted=True),
            nullable=False,
        ),
        sa.Column("customer_contact_id", sa.String(length=254), nullable=True),
        sa.Column("party_id", sa.String(length=254), nullable=True),
        sa.Column("party_number", sa.String(length=254), nullable=True),
        sa.Column("receive_email", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profiles")),
        sa.UniqueConstraint("email_key", name="uq_profiles_email_key"),
    )
    op.create_table(
        "shipping_methods",
        sa.Column("id", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=254), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipping_methods")),
    )
    op.create_table(
        "sites",
        sa.Column("id", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=254), nullable=False),
        sa.Column("production_url", sa.String(length=1024), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("b2b", sa.Boolean(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("registration_requests_enabled", sa.Boolean(), nullable=False),
        sa.Column("enable_profile_registration_email_check", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
    )
    op.create_index(
        "uq_sites_default",
        "sites",
        ["is_default"],
        unique=True,
        postgresql_where=sa.text("is_default"),
    )
    op.create_table(
        "contracts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("display_name", sa.String(length=254), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("catalog_id", sa.String(length=254), nullable=False),
        sa.Column("price_list_group_id", sa.String(length=254), nullable=False),
        sa.Column("start_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("external_contract_reference", sa.String(length=254), nullable=True),
        sa.Column("terms_id", sa.String(length=40), nullable=True),
        sa.Column(
            "creation_date",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["catalog_id"], ["catalogs.id"], name=op.f("fk_contracts_catalog_id_catalogs")
        ),
        sa.ForeignKeyConstraint(
            ["price_list_group_id"],
            ["price_list_groups.id"],
            name=op.f("fk_contracts_price_list_group_id_price_list_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["terms_id"], ["contract_terms.id"], name=op.f("fk_contracts_terms_id_contract_terms")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts")),
    )
    op.create_table(
        "organizations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=254), nullable=False),
        sa.Column(
            "name_key",
            sa.String(length=254),
            sa.Computed("lower(btrim(name))", persisted=True),
            nullable=False,
        ),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("type", sa.String(length=16), nullable=True),
        sa.Column("customer_type", sa.String(length=16), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("duns_number", sa.String(length=9), nullable=True),
        sa.Column("tax_reference_number", sa.String(length=254), nullable=True),
        sa.Column("vat_reference_number", sa.String(length=254), nullable=True),
        sa.Column("tax_exemption_code", sa.String(length=254), nullable=True),
        sa.Column("unique_id", sa.String(length=254), nullable=True),
        sa.Column("external_organization_id", sa.String(length=254), nullable=True),
        sa.Column("party_id", sa.String(length=254), nullable=True),
        sa.Column("party_number", sa.String(length=254), nullable=True),
        sa.Column("organization_logo", sa.String(length=1024), nullable=True),
        sa.Column("parent_id", sa.String(length=40), nullable=True),
        sa.Column(
            "path", postgresql.ARRAY(sa.String(length=40)), server_default="{}", nullable=False
        ),
        sa.Column("payment_methods", postgresql.ARRAY(sa.String(length=254)), nullable=True),
        sa.Column("shipping_methods", postgresql.ARRAY(sa.String(length=254)), nullable=True),
        sa.Column("use_all_payment_methods_from_site", sa.Boolean(), nullable=True),
        sa.Column("use_all_shipping_methods_from_site", sa.Boolean(), nullable=True),
        sa.Column("billing_address_id", sa.String(length=40), nullable=True),
        sa.Column("shipping_address_id", sa.String(length=40), nullable=True),
        sa.Column(
            "dynamic_properties",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "customer_type IN ('Standard', 'Preferred', 'Enterprise', 'OEM', 'Distributor',"
            " 'Supplier')",
            name=op.f("ck_organizations_customer_type_known"),
        ),
        sa.CheckConstraint(
            "duns_number ~ '^[0-9]{9}$'", name=op.f("ck_organizations_duns_nine_digits")
        ),
        sa.CheckConstraint(
            "type IN ('none', 'company', 'division', 'department', 'group')",
            name=op.f("ck_organizations_type_known"),
        ),
        sa.CheckConstraint("NOT (id = ANY(path))", name=op.f("ck_organizations_no_cycle")),
        sa.ForeignKeyConstraint(
            ["organization_logo"],
            ["media_files.path"],
            name=op.f("fk_organizations_organization_logo_media_files"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["organizations.id"],
            name=op.f("fk_organizations_parent_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("name_key", name="uq_organizations_name_key"),
    )
    op.create_index("ix_organizations_parent_id", "organizations", ["parent_id"], unique=False)
    op.create_index(
        "ix_organizations_path", "organizations", ["path"], unique=False, postgresql_using="gin"
    )
    op.create_table(
        "addresses",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=True),
        sa.Column("address_type", sa.String(length=254), nullable=True),
        sa.Column("company_name", sa.String(length=254), nullable=True),
        sa.Column("first_name", sa.String(length=254), nullable=True),
        sa.Column("last_name", sa.String(length=254), nullable=True),
        sa.Column("address1", sa.String(length=254), nullable=True),
        sa.Column("address2", sa.String(length=254), nullable=True),
        sa.Column("address3", sa.String(length=254), nullable=True),
        sa.Column("city", sa.String(length=254), nullable=True),
        sa.Column("state", sa.String(length=254), nullable=True),
        sa.Column("postal_code", sa.String(length=40), nullable=True),
        sa.Column("country", sa.String(length=40), nullable=True),
        sa.Column("county", sa.String(length=254), nullable=True),
        sa.Column("phone_number", sa.String(length=40), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("external_address_id", sa.String(length=254), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_addresses_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_addresses")),
    )
    op.create_index("ix_addresses_organization_id", "addresses", ["organization_id"], unique=False)
    op.create_index(
        "uq_addresses_org_type",
        "addresses",
        [sa.literal_column("organization_id"), sa.literal_column("lower(btrim(address_type))")],
        unique=True,
    )
    # organizations <-> addresses reference each other: the default-address keys come after
    # both tables, deferred so that one transaction can insert an organization and its
    # addresses in any order.
    for column in ("billing_address_id", "shipping_address_id"):
        op.create_foreign_key(
            f"fk_organizations_{column}_addresses",
            "organizations",
            "addresses",
            [column],
            ["id"],
            deferrable=True,
            initially="DEFERRED",
            ondelete="SET NULL",
        )
    op.create_table(
        "organization_members",
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("profile_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_organization_members_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_organization_members_profile_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "organization_id", "profile_id", name=op.f("pk_organization_members")
        ),
    )
    op.create_index(
        "ix_organization_members_profile_id", "organization_members", ["profile_id"], unique=False
    )
    op.create_table(
        "relative_roles",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("function", sa.String(length=40), nullable=False),
        sa.CheckConstraint(
            "function IN ('admin', 'buyer', 'approver', 'accountAddressManager',"
            " 'profileAddressManager')",
            name=op.f("ck_relative_roles_function_known"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_relative_roles_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relative_roles")),
        sa.UniqueConstraint("organization_id", "function", name="uq_relative_roles_org_function"),
    )
    op.create_table(
        "site_organization_properties",
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("site_id", sa.String(length=254), nullable=False),
        sa.Column("contract_id", sa.String(length=40), nullable=True),
        sa.Column("approval_required", sa.Boolean(), nullable=True),
        sa.Column("order_price_limit", sa.Numeric(precision=19, scale=4), nullable=True),
        sa.Column("delegate_approval_management", sa.Boolean(), nullable=True),
        sa.Column("use_external_approval_webhook", sa.Boolean(), nullable=True),
        sa.CheckConstraint(
            "order_price_limit >= 0",
            name=op.f("ck_site_organization_properties_order_price_limit_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_site_organization_properties_contract_id_contracts"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_site_organization_properties_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_site_organization_properties_site_id_sites")
        ),
        sa.PrimaryKeyConstraint(
            "organization_id", "site_id", name=op.f("pk_site_organization_properties")
        ),
    )
    op.create_table(
        "profile_roles",
        sa.Column("profile_id", sa.String(length=40), nullable=False),
        sa.Column("role_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_profile_roles_profile_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["role_id"],
            ["relative_roles.id"],
            name=op.f("fk_profile_roles_role_id_relative_roles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("profile_id", "role_id", name=op.f("pk_profile_roles")),
    )
    op.create_index("ix_profile_roles_role_id", "profile_roles", ["role_id"], unique=False)
    for statement in PATH_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("DROP TRIGGER IF EXISTS organizations_path_on_move ON organizations")
    op.execute("DROP TRIGGER IF EXISTS organizations_path_on_insert ON organizations")
    op.execute("DROP FUNCTION IF EXISTS orgql_set_organization_path()")
    op.execute("DROP FUNCTION IF EXISTS orgql_repath_descendants()")
    op.execute(
        "ALTER TABLE organizations DROP CONSTRAINT fk_organizations_billing_address_id_addresses"
    )
    op.execute(
        "ALTER TABLE organizations DROP CONSTRAINT fk_organizations_shipping_address_id_addresses"
    )
    op.drop_index("ix_profile_roles_role_id", table_name="profile_roles")
    op.drop_table("profile_roles")
    op.drop_table("site_organization_properties")
    op.drop_table("relative_roles")
    op.drop_index("ix_organization_members_profile_id", table_name="organization_members")
    op.drop_table("organization_members")
    op.drop_index("uq_addresses_org_type", table_name="addresses")
    op.drop_index("ix_addresses_organization_id", table_name="addresses")
    op.drop_table("addresses")
    op.drop_index("ix_organizations_path", table_name="organizations", postgresql_using="gin")
    op.drop_index("ix_organizations_parent_id", table_name="organizations")
    op.drop_table("organizations")
    op.drop_table("contracts")
    op.drop_index("uq_sites_default", table_name="sites", postgresql_where=sa.text("is_default"))
    op.drop_table("sites")
    op.drop_table("shipping_methods")
    op.drop_table("profiles")
    op.drop_table("price_list_groups")
    op.drop_table("payment_methods")
    op.drop_table("media_files")
    op.drop_table("dynamic_property_definitions")
    op.drop_table("contract_terms")
    op.drop_table("catalogs")
    op.execute("DROP SEQUENCE repository_id_seq")
