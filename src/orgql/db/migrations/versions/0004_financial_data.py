"""financial data: customer accounts synced from the financial system of record

Revision ID: 0004
Revises: 0002

- ``financial_settings``: one row of gateway-wide settings; ``self_service_portal_enabled``
  off makes syncFinancialData answer 58001.
- ``organization_financial_settings``: the business unit an organization syncs from when
  the caller names none.
- ``customer_accounts`` and ``customer_account_addresses``: an organization's synced billing
  accounts and the link from each to its (synced) addresses, with the bill-to / ship-to uses.
  Synced addresses are ordinary ``addresses`` rows with ``source = 'financial'`` and their
  ``external_address_id``; one external id is one row per organization.
- ``financial_source_*``: the built-in financial source, the gateway's own copy of the
  upstream data keyed by party (used when no upstream URL is configured).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "financial_settings",
        sa.Column("id", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "self_service_portal_enabled",
            sa.Boolean(),
            server_default=sa.text("true"),
            nullable=False,
        ),
        sa.CheckConstraint("id = 1", name=op.f("ck_financial_settings_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_financial_settings")),
    )
    op.execute("INSERT INTO financial_settings (id, self_service_portal_enabled) VALUES (1, true)")

    op.create_table(
        "organization_financial_settings",
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("business_unit_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_organization_financial_settings_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_organization_financial_settings")),
    )

    op.create_table(
        "customer_accounts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("external_account_id", sa.String(length=254), nullable=False),
        sa.Column("account_number", sa.String(length=254), nullable=True),
        sa.Column("account_name", sa.String(length=254), nullable=True),
        sa.Column("business_unit_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "source", sa.String(length=16), server_default=sa.text("'financial'"), nullable=False
        ),
        sa.Column("synced_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_customer_accounts_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_accounts")),
        sa.UniqueConstraint(
            "organization_id", "external_account_id", name="uq_customer_accounts_org_external"
        ),
    )

    op.create_table(
        "customer_account_addresses",
        sa.Column("customer_account_id", sa.String(length=40), nullable=False),
        sa.Column("address_id", sa.String(length=40), nullable=False),
        sa.Column("external_site_id", sa.String(length=254), nullable=True),
        sa.Column("bill_to", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("ship_to", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("primary_bill_to", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("primary_ship_to", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.CheckConstraint(
            "bill_to OR NOT primary_bill_to",
            name=op.f("ck_customer_account_addresses_primary_bill_to_is_bill_to"),
        ),
        sa.CheckConstraint(
            "ship_to OR NOT primary_ship_to",
            name=op.f("ck_customer_account_addresses_primary_ship_to_is_ship_to"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_account_id"],
            ["customer_accounts.id"],
            name=op.f("fk_customer_account_addresses_customer_account_id_customer_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["addresses.id"],
            name=op.f("fk_customer_account_addresses_address_id_addresses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "customer_account_id", "address_id", name=op.f("pk_customer_account_addresses")
        ),
    )
    op.create_index(
        "ix_customer_account_addresses_address_id", "customer_account_addresses", ["address_id"]
    )
    # One synced row per external address id and organization.
    op.create_index(
        "uq_addresses_org_external",
        "addresses",
        ["organization_id", "external_address_id"],
        unique=True,
        postgresql_where=sa.text("source = 'financial'"),
    )

    op.create_table(
        "financial_source_accounts",
        sa.Column("account_id", sa.String(length=254), nullable=False),
        sa.Column("party_id", sa.String(length=254), nullable=False),
        sa.Column("account_number", sa.Text(), nullable=True),
        sa.Column("account_name", sa.Text(), nullable=True),
        sa.Column("business_unit_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_financial_source_accounts")),
    )
    op.create_index(
        "ix_financial_source_accounts_party_id", "financial_source_accounts", ["party_id"]
    )
    # Address columns are text: the source holds what the system of record holds, valid or
    # not; the sync validates.
    op.create_table(
        "financial_source_sites",
        sa.Column("site_id", sa.String(length=254), nullable=False),
        sa.Column("account_id", sa.String(length=254), nullable=False),
        sa.Column("external_address_id", sa.String(length=254), nullable=False),
        sa.Column("address1", sa.Text(), nullable=True),
        sa.Column("address2", sa.Text(), nullable=True),
        sa.Column("address3", sa.Text(), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("state", sa.Text(), nullable=True),
        sa.Column("postal_code", sa.Text(), nullable=True),
        sa.Column("country", sa.Text(), nullable=True),
        sa.Column("county", sa.Text(), nullable=True),
        sa.Column("bill_to", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("ship_to", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("primary_bill_to", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("primary_ship_to", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["financial_source_accounts.account_id"],
            name=op.f("fk_financial_source_sites_account_id_financial_source_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_financial_source_sites")),
    )
    op.create_index(
        "ix_financial_source_sites_account_id", "financial_source_sites", ["account_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_financial_source_sites_account_id", table_name="financial_source_sites")
    op.drop_table("financial_source_sites")
    op.drop_index("ix_financial_source_accounts_party_id", table_name="financial_source_accounts")
    op.drop_table("financial_source_accounts")
    op.drop_index("uq_addresses_org_external", table_name="addresses")
    op.drop_index(
        "ix_customer_account_addresses_address_id", table_name="customer_account_addresses"
    )
    op.drop_table("customer_account_addresses")
    op.drop_table("customer_accounts")
    op.drop_table("organization_financial_settings")
    op.drop_table("financial_settings")
