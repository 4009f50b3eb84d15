"""SQLAlchemy 2 typed ORM models. Alembic migrations own the schema; these mirror it.

Every relationship is ``lazy="raise"``: an accidental lazy load fails loudly instead of
quietly issuing one query per row.

This module holds the base, reference data, contracts, organizations, profiles and roles;
other concepts have modules of their own (``event_models``, ``financial_models``,
``request_models``, ``access_models``, ``history_models``), all imported by
:mod:`orgql.db` so that ``Base.metadata`` always holds every table.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    DateTime,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    Sequence,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from orgql.core.organizations.vocabularies import CustomerType, OrganizationType
from orgql.core.people.roles import RoleFunction

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


def one_of(column: str, vocabulary: Iterable[StrEnum]) -> str:
    """The CHECK that holds ``column`` to a vocabulary of the core, in the text the
    migrations wrote (``status IN ('review', ...)``); the values are identifiers, never
    quotes."""
    values = ", ".join(f"'{value}'" for value in vocabulary)
    return f"{column} IN ({values})"


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
    #: Whether the roles held here apply in every organization below (an admin of a parent
    #: acting in its divisions: core.access.permissions). Not inherited: a setting per account.
    roles_apply_to_divisions: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="false"
    )
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
        Index(
            "ix_organizations_roles_apply_to_divisions",
            "id",
            postgresql_where=text("roles_apply_to_divisions"),
        ),
        CheckConstraint("NOT (id = ANY(path))", name="no_cycle"),
        CheckConstraint("duns_number ~ '^[0-9]{9}$'", name="duns_nine_digits"),
        CheckConstraint(one_of("type", OrganizationType), name="type_known"),
        CheckConstraint(one_of("customer_type", CustomerType), name="customer_type_known"),
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
    #: The contact's parent organization (it is a member of it too); None: no organization.
    parent_organization_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"))

    __table_args__ = (
        # Email is unique compared case-insensitively after trimming: the database enforces
        # it, so of two concurrent creates with one email exactly one succeeds.
        UniqueConstraint("email_key", name="uq_profiles_email_key"),
        Index("ix_profiles_parent_organization_id", "parent_organization_id"),
        Index("ix_profiles_customer_contact_id", "customer_contact_id"),
    )


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
        CheckConstraint(one_of("function", RoleFunction), name="function_known"),
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
