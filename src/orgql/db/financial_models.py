"""ORM models of financial data: the sync's settings, customer accounts synced from the
financial system with their addresses, and the built-in financial source.

Kept apart from :mod:`orgql.db.models` (one concept per module); migrations own the schema.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Sequence,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from orgql.db.models import Address, Base


class FinancialSettings(Base):
    """Gateway-wide settings of the financial sync: exactly one row (id 1)."""

    __tablename__ = "financial_settings"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, server_default=text("1"))
    #: Off: syncFinancialData answers 58001.
    self_service_portal_enabled: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=text("true")
    )

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


#: Each sync takes the next ticket before it fetches (core.financial.order): the order in
#: which syncs began, across every worker process.
financial_sync_tickets = Sequence("financial_sync_tickets", metadata=Base.metadata)


class OrganizationFinancialSettings(Base):
    """The business unit an organization syncs from when the caller names none, and the
    ticket of its last committed sync (a row with neither configures nothing)."""

    __tablename__ = "organization_financial_settings"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    business_unit_id: Mapped[int | None] = mapped_column(BigInteger)
    #: The ticket of the last sync that committed (None: none since migration 0025).
    synced_ticket: Mapped[int | None] = mapped_column(BigInteger)


class CustomerAccount(Base):
    """A billing account of an organization, as last synced from the financial system."""

    __tablename__ = "customer_accounts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    external_account_id: Mapped[str] = mapped_column(String(254))
    account_number: Mapped[str | None] = mapped_column(String(254))
    account_name: Mapped[str | None] = mapped_column(String(254))
    business_unit_id: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(16), default="financial", server_default="financial")
    synced_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )

    __table_args__ = (
        UniqueConstraint(
            "organization_id", "external_account_id", name="uq_customer_accounts_org_external"
        ),
    )


class CustomerAccountAddress(Base):
    """A synced address of a customer account with its uses (bill-to, ship-to, primary)."""

    __tablename__ = "customer_account_addresses"

    customer_account_id: Mapped[str] = mapped_column(
        ForeignKey("customer_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    address_id: Mapped[str] = mapped_column(
        ForeignKey("addresses.id", ondelete="CASCADE"), primary_key=True
    )
    external_site_id: Mapped[str | None] = mapped_column(String(254))
    bill_to: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    ship_to: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    primary_bill_to: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    primary_ship_to: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )

    __table_args__ = (
        Index("ix_customer_account_addresses_address_id", "address_id"),
        CheckConstraint("bill_to OR NOT primary_bill_to", name="primary_bill_to_is_bill_to"),
        CheckConstraint("ship_to OR NOT primary_ship_to", name="primary_ship_to_is_ship_to"),
    )


# One synced address row per external address id and organization (Address is declared
# in orgql.db.models; the index lives here with the rest of the financial schema).
Index(
    "uq_addresses_org_external",
    Address.organization_id,
    Address.external_address_id,
    unique=True,
    postgresql_where=text("source = 'financial'"),
)


class FinancialSourceAccount(Base):
    """Built-in financial source: a customer account of a party (the gateway's own copy of
    the system of record, read when no upstream URL is configured)."""

    __tablename__ = "financial_source_accounts"

    account_id: Mapped[str] = mapped_column(String(254), primary_key=True)
    party_id: Mapped[str] = mapped_column(String(254))
    account_number: Mapped[str | None] = mapped_column(Text)
    account_name: Mapped[str | None] = mapped_column(Text)
    business_unit_id: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_financial_source_accounts_party_id", "party_id"),)


class FinancialSourceSite(Base):
    """Built-in financial source: an account site, its address and its uses. Text columns:
    the source holds whatever the system of record holds; the sync validates."""

    __tablename__ = "financial_source_sites"

    site_id: Mapped[str] = mapped_column(String(254), primary_key=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("financial_source_accounts.account_id", ondelete="CASCADE")
    )
    external_address_id: Mapped[str] = mapped_column(String(254))
    address1: Mapped[str | None] = mapped_column(Text)
    address2: Mapped[str | None] = mapped_column(Text)
    address3: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str | None] = mapped_column(Text)
    postal_code: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(Text)
    county: Mapped[str | None] = mapped_column(Text)
    bill_to: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    ship_to: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    primary_bill_to: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    primary_ship_to: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )

    __table_args__ = (Index("ix_financial_source_sites_account_id", "account_id"),)
