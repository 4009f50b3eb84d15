"""SQLAlchemy 2 typed ORM models. Alembic migrations own the schema; these mirror it.

Every relationship is ``lazy="raise"``: an accidental lazy load fails loudly instead of
quietly issuing one query per row.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    DateTime,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    Sequence,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: One sequence numbers every generated repository id (organizations, addresses, roles,
#: contracts, terms, profiles), as OCC does: ids are strings such as ``"200003"``.
repository_id_seq = Sequence("repository_id_seq", start=200000)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _created_at() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


# ---------------------------------------------------------------- reference data


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[str] = mapped_column(String(254), primary_key=True)
    name: Mapped[str] = mapped_column(String(254))
    production_url: Mapped[str | None] = mapped_column(String(1024))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    b2b: Mapped[bool] = mapped_column(Boolean, default=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    registration_requests_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    enable_profile_registration_email_check: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        # At most one default site.
        Index("uq_sites_default", "is_default", unique=True, postgresql_where=text("is_default")),
    )


class Catalog(Base):
    __tablename__ = "catalogs"

    id: Mapped[str] = mapped_column(String(254), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(254))


class PriceListGroup(Base):
    __tablename__ = "price_list_groups"

    id: Mapped[str] = mapped_column(String(254), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(254))


class PaymentMethod(Base):
    __tablename__ = "payment_methods"

    id: Mapped[str] = mapped_column(String(254), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(254))


class ShippingMethod(Base):
    __tablename__ = "shipping_methods"

    id: Mapped[str] = mapped_column(String(254), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(254))


class MediaFile(Base):
    """A file an organization logo may point at (``/general/hero-image1.jpg``)."""

    __tablename__ = "media_files"

    path: Mapped[str] = mapped_column(String(1024), primary_key=True)


class DynamicPropertyDefinition(Base):
    """A custom organization property: its values live in ``organizations.dynamic_properties``."""

    __tablename__ = "dynamic_property_definitions"

    id: Mapped[str] = mapped_column(String(254), primary_key=True)
    label: Mapped[str | None] = mapped_column(String(254))
    data_type: Mapped[str] = mapped_column(String(16), default="string")
    max_length: Mapped[int | None]
    default_value: Mapped[Any] = mapped_column(JSONB, nullable=True)

    __table_args__ = (
        CheckConstraint(
            "data_type IN ('string', 'boolean', 'number', 'date')", name="data_type_known"
        ),
    )


# ---------------------------------------------------------------- contracts


class ContractTerms(Base):
    __tablename__ = "contract_terms"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    terms: Mapped[str | None] = mapped_column(Text)


class Contract(Base):
    __tablename__ = "contracts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(254))
    description: Mapped[str | None] = mapped_column(String(1000))
    catalog_id: Mapped[str] = mapped_column(ForeignKey("catalogs.id"))
    price_list_group_id: Mapped[str] = mapped_column(ForeignKey("price_list_groups.id"))
    start_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    external_contract_reference: Mapped[str | None] = mapped_column(String(254))
    terms_id: Mapped[str | None] = mapped_column(ForeignKey("contract_terms.id"))
    creation_date: Mapped[datetime] = _created_at()


# ---------------------------------------------------------------- organizations


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(254))
    # Uniqueness of names is case-insensitive after trimming: the database enforces it.
    name_key: Mapped[str] = mapped_column(
        String(254), Computed("lower(btrim(name))", persisted=True)
    )
    description: Mapped[str | None] = mapped_column(String(1000))
    type: Mapped[str | None] = mapped_column(String(16))
    customer_type: Mapped[str | None] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    duns_number: Mapped[str | None] = mapped_column(String(9))
    tax_reference_number: Mapped[str | None] = mapped_column(String(254))
    vat_reference_number: Mapped[str | None] = mapped_column(String(254))
    tax_exemption_code: Mapped[str | None] = mapped_column(String(254))
    unique_id: Mapped[str | None] = mapped_column(String(254))
    external_organization_id: Mapped[str | None] = mapped_column(String(254))
    party_id: Mapped[str | None] = mapped_column(String(254))
    party_number: Mapped[str | None] = mapped_column(String(254))
    organization_logo: Mapped[str | None] = mapped_column(ForeignKey("media_files.path"))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"))
    #: Ancestor ids, root first, direct parent last. Maintained by a trigger from parent_id.
    path: Mapped[list[str]] = mapped_column(
        ARRAY(String(40)), server_default="{}", server_onupdate=FetchedValue()
    )
    #: NULL means "not set here": the derived value comes from an ancestor.
    payment_methods: Mapped[list[str] | None] = mapped_column(ARRAY(String(254)))
    shipping_methods: Mapped[list[str] | None] = mapped_column(ARRAY(String(254)))
    use_all_payment_methods_from_site: Mapped[bool | None] = mapped_column(Boolean)
    use_all_shipping_methods_from_site: Mapped[bool | None] = mapped_column(Boolean)
    billing_address_id: Mapped[str | None] = mapped_column(
        ForeignKey("addresses.id", use_alter=True, deferrable=True, initially="DEFERRED")
    )
    shipping_address_id: Mapped[str | None] = mapped_column(
        ForeignKey("addresses.id", use_alter=True, deferrable=True, initially="DEFERRED")
    )
    dynamic_properties: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    created_at: Mapped[datetime] = _created_at()
    #: Bumped by a trigger on every change of the row (not on a repath alone): the ETag.
    version: Mapped[int] = mapped_column(
        Integer, server_default="1", server_onupdate=FetchedValue()
    )

    # RETURNING brings back what the database computes: path (trigger), name_key, created_at,
    # version (trigger).
    __mapper_args__ = {"eager_defaults": True}

    __table_args__ = (
        UniqueConstraint("name_key", name="uq_organizations_name_key"),
        Index("ix_organizations_path", "path", postgresql_using="gin"),
        Index("ix_organizations_parent_id", "parent_id"),
        CheckConstraint("NOT (id = ANY(path))", name="no_cycle"),
        CheckConstraint("duns_number ~ '^[0-9]{9}$'", name="duns_nine_digits"),
        CheckConstraint(
            "type IN ('none', 'company', 'division', 'department', 'group')", name="type_known"
        ),
        CheckConstraint(
            "customer_type IN ('Standard', 'Preferred', 'Enterprise', 'OEM', 'Distributor',"
            " 'Supplier')",
            name="customer_type_known",
        ),
    )


class Address(Base):
    __tablename__ = "addresses"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    #: The nickname of the address within its organization ("Office Address").
    address_type: Mapped[str | None] = mapped_column(String(254))
    company_name: Mapped[str | None] = mapped_column(String(254))
    first_name: Mapped[str | None] = mapped_column(String(254))
    last_name: Mapped[str | None] = mapped_column(String(254))
    address1: Mapped[str | None] = mapped_column(String(254))
    address2: Mapped[str | None] = mapped_column(String(254))
    address3: Mapped[str | None] = mapped_column(String(254))
    city: Mapped[str | None] = mapped_column(String(254))
    state: Mapped[str | None] = mapped_column(String(254))
    postal_code: Mapped[str | None] = mapped_column(String(40))
    country: Mapped[str | None] = mapped_column(String(40))
    county: Mapped[str | None] = mapped_column(String(254))
    phone_number: Mapped[str | None] = mapped_column(String(40))
    #: Where the address came from: "manual" or a financial sync ("financial").
    source: Mapped[str] = mapped_column(String(16), default="manual")
    external_address_id: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = _created_at()

    __table_args__ = (
        Index("ix_addresses_organization_id", "organization_id"),
        # The nickname is unique within one organization, compared case-insensitively.
        Index(
            "uq_addresses_org_type",
            text("organization_id"),
            text("lower(btrim(address_type))"),
            unique=True,
        ),
    )


class SiteOrganizationProperties(Base):
    """Per (organization, site) values; NULL means "inherit from the parent on this site"."""

    __tablename__ = "site_organization_properties"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    contract_id: Mapped[str | None] = mapped_column(ForeignKey("contracts.id"))
    approval_required: Mapped[bool | None] = mapped_column(Boolean)
    order_price_limit: Mapped[Decimal | None] = mapped_column(Numeric(19, 4))
    delegate_approval_management: Mapped[bool | None] = mapped_column(Boolean)
    use_external_approval_webhook: Mapped[bool | None] = mapped_column(Boolean)

    __table_args__ = (
        CheckConstraint("order_price_limit >= 0", name="order_price_limit_not_negative"),
    )


# ---------------------------------------------------------------- profiles and roles


class Profile(Base):
    __tablename__ = "profiles"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    first_name: Mapped[str | None] = mapped_column(String(254))
    last_name: Mapped[str | None] = mapped_column(String(254))
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(
        String(254), Computed("lower(btrim(email))", persisted=True)
    )
    customer_contact_id: Mapped[str | None] = mapped_column(String(254))
    party_id: Mapped[str | None] = mapped_column(String(254))
    party_number: Mapped[str | None] = mapped_column(String(254))
    receive_email: Mapped[bool] = mapped_column(Boolean, default=False)
    #: An inactive profile keeps its memberships but counts for nothing (e.g. as approver).
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_at: Mapped[datetime] = _created_at()

    __table_args__ = (UniqueConstraint("email_key", name="uq_profiles_email_key"),)


class OrganizationMember(Base):
    __tablename__ = "organization_members"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    profile_id: Mapped[str] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True
    )

    __table_args__ = (Index("ix_organization_members_profile_id", "profile_id"),)


class RelativeRole(Base):
    """One of the five roles every organization owns (admin, buyer, approver, ...)."""

    __tablename__ = "relative_roles"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    function: Mapped[str] = mapped_column(String(40))

    __table_args__ = (
        UniqueConstraint("organization_id", "function", name="uq_relative_roles_org_function"),
        CheckConstraint(
            "function IN ('admin', 'buyer', 'approver', 'accountAddressManager',"
            " 'profileAddressManager')",
            name="function_known",
        ),
    )


class ProfileRole(Base):
    """A profile holding one of an organization's relative roles."""

    __tablename__ = "profile_roles"

    profile_id: Mapped[str] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True
    )
    role_id: Mapped[str] = mapped_column(
        ForeignKey("relative_roles.id", ondelete="CASCADE"), primary_key=True
    )

    __table_args__ = (Index("ix_profile_roles_role_id", "role_id"),)


# ---------------------------------------------------------------- financial data


class FinancialSettings(Base):
    """Gateway-wide settings of the financial sync: exactly one row (id 1)."""

    __tablename__ = "financial_settings"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, server_default=text("1"))
    #: Off: syncFinancialData answers 58001.
    self_service_portal_enabled: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=text("true")
    )

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


class OrganizationFinancialSettings(Base):
    """The business unit an organization syncs from when the caller names none."""

    __tablename__ = "organization_financial_settings"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    business_unit_id: Mapped[int | None] = mapped_column(BigInteger)


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
# above; the index lives here with the rest of the financial schema).
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


# ---------------------------------------------------------------- organization requests


class AddressType(Base):
    """Reference data an address may be tagged with ("Billing", "Shipping", ...)."""

    __tablename__ = "address_types"

    id: Mapped[str] = mapped_column(String(254), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(254))


class AddressTypeLink(Base):
    """An address tagged with an address type (OCC ``address.types``)."""

    __tablename__ = "address_type_links"

    address_id: Mapped[str] = mapped_column(
        ForeignKey("addresses.id", ondelete="CASCADE"), primary_key=True
    )
    address_type_id: Mapped[str] = mapped_column(ForeignKey("address_types.id"), primary_key=True)

    __table_args__ = (Index("ix_address_type_links_address_type_id", "address_type_id"),)


REQUEST_STATUSES = ("review", "moreInfoNeeded", "approved", "rejected")


class OrganizationRequest(Base):
    """A self-registration request (migration 0003 explains the draft's representation)."""

    __tablename__ = "organization_requests"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(16), server_default=text("'review'"))
    requester_comments: Mapped[str | None] = mapped_column(String(1000))
    approver_comments: Mapped[str | None] = mapped_column(String(1000))
    related_organization_name: Mapped[str | None] = mapped_column(String(254))
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    #: The organization to be, as a createOrganization document (validated on every write).
    organization_draft: Mapped[dict[str, Any]] = mapped_column(
        JSONB, server_default=text("'{}'::jsonb")
    )
    profile_email: Mapped[str] = mapped_column(String(254))
    profile_email_key: Mapped[str] = mapped_column(
        String(254), Computed("lower(btrim(profile_email))", persisted=True)
    )
    profile_first_name: Mapped[str] = mapped_column(String(254))
    profile_last_name: Mapped[str] = mapped_column(String(254))
    profile_customer_contact_id: Mapped[str | None] = mapped_column(String(254))
    profile_party_id: Mapped[str | None] = mapped_column(String(254))
    profile_party_number: Mapped[str | None] = mapped_column(String(254))
    profile_receive_email: Mapped[bool | None] = mapped_column(Boolean)
    profile_id: Mapped[str | None] = mapped_column(ForeignKey("profiles.id", ondelete="SET NULL"))
    #: A profile was linked; with ``profile_id`` NULL since, it has been deleted.
    profile_linked: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"))
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _created_at()

    # RETURNING brings back what the database computes (status default, email key, dates).
    __mapper_args__ = {"eager_defaults": True}

    __table_args__ = (
        CheckConstraint(
            "status IN ('review', 'moreInfoNeeded', 'approved', 'rejected')", name="status_known"
        ),
        CheckConstraint(
            "(status = 'approved') = (organization_id IS NOT NULL)",
            name="organization_iff_approved",
        ),
        CheckConstraint("status <> 'approved' OR profile_linked", name="approved_has_profile"),
        CheckConstraint("profile_id IS NULL OR profile_linked", name="profile_linked"),
        Index("ix_organization_requests_status_created", "status", "created_at", "id"),
        Index("ix_organization_requests_created", "created_at", "id"),
        Index("ix_organization_requests_profile_id", "profile_id"),
        Index("ix_organization_requests_organization_id", "organization_id"),
    )


# ---------------------------------------------------------------- admin application keys


class AppKey(Base):
    """An admin client's application key; only a hash of its secret part is stored."""

    __tablename__ = "app_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(254))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = _created_at()
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (CheckConstraint("length(secret_hash) = 64", name="secret_hash_sha256"),)


class IdempotencyKey(Base):
    """The first answer to a mutation sent with an ``Idempotency-Key`` header."""

    __tablename__ = "idempotency_keys"

    owner: Mapped[str] = mapped_column(String(80), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(SmallInteger)
    headers: Mapped[Any] = mapped_column(JSONB)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = _created_at()

    __table_args__ = (Index("ix_idempotency_keys_created_at", "created_at"),)


# ---------------------------------------------------------------- history


class OrganizationHistory(Base):
    """One row written in a tracked table, recorded by a trigger in the writing transaction
    (migration 0010 explains the columns). Read-only for the application."""

    __tablename__ = "organization_history"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(BigInteger)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(Text)
    #: organization, site_properties, address, member or contract.
    entity_kind: Mapped[str] = mapped_column(String(32))
    #: The entity's id; ``organization:site`` for site properties, ``organization:profile``
    #: for members.
    entity_id: Mapped[str] = mapped_column(String(100))
    organization_id: Mapped[str | None] = mapped_column(String(40))
    #: baseline (the row as it was when history was installed), insert, update or delete.
    operation: Mapped[str] = mapped_column(String(8))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)

    __table_args__ = (
        Index("ix_organization_history_organization_id", "organization_id", "id"),
        Index("ix_organization_history_entity", "entity_kind", "entity_id", "changed_at", "id"),
    )
